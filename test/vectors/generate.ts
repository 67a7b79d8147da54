// Writes the golden vectors: NAME.bin (the delimited bytes, length prefix
// included) and NAME.json (what the frame holds) for every case in
// fixtures/cases.ts, and removes vectors no case names any more; and the
// invalid ones of fixtures/invalid-cases.ts, in invalid/.
// Run: npx tsx test/vectors/generate.ts
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodeFrame } from '../../src/wire/index.js'
import { VECTOR_CASES, VECTORS_DIR, vectorJson } from './fixtures/cases.js'
import { INVALID_CASES, INVALID_DIR, invalidJson } from './fixtures/invalid-cases.js'

async function generate (): Promise<void> {
  const names = new Set(VECTOR_CASES.map(c => c.name))
  for (const file of await readdir(VECTORS_DIR)) {
    const match = /^(.*)\.(bin|json)$/.exec(file)
    if (match !== null && !names.has(match[1])) await rm(join(VECTORS_DIR, file))
  }
  for (const { name, frame } of VECTOR_CASES) {
    await writeFile(join(VECTORS_DIR, `${name}.bin`), encodeFrame(frame))
    await writeFile(join(VECTORS_DIR, `${name}.json`), vectorJson(name))
  }
  await rm(INVALID_DIR, { recursive: true, force: true })
  await mkdir(INVALID_DIR)
  for (const found of INVALID_CASES) {
    await writeFile(join(INVALID_DIR, `${found.name}.bin`), found.bytes)
    await writeFile(join(INVALID_DIR, `${found.name}.json`), invalidJson(found))
  }
  console.log(`wrote ${VECTOR_CASES.length} vectors to ${VECTORS_DIR}, ${INVALID_CASES.length} to ${INVALID_DIR}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // tap runs every .ts under test/, this one too: it must not rewrite the
  // vectors while vectors.test.ts reads them, so under tap it reports a skip.
  if (process.env.TAP === '1') console.log('1..0 # SKIP the generator is not a test; vectors.test.ts checks its output')
  else await generate()
}
