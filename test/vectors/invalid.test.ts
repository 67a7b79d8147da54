/**
 * The invalid vectors (test/vectors/invalid/): frames every reader must
 * refuse. Fresh from the generator, and refused by the TypeScript decoder
 * with a typed error.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { ClacksError } from '../../src/errors.js'
import { FrameDecoder } from '../../src/wire/index.js'
import { INVALID_CASES, INVALID_DIR, invalidJson } from './fixtures/invalid-cases.js'

t.test('the committed invalid vectors are exactly what generate.ts writes', async t => {
  const files = (await readdir(INVALID_DIR)).sort()
  t.same(files, INVALID_CASES.flatMap(c => [`${c.name}.bin`, `${c.name}.json`]).sort(), 'a .bin and a .json per case, no strays')
  for (const found of INVALID_CASES) {
    t.ok((await readFile(join(INVALID_DIR, `${found.name}.bin`))).equals(found.bytes), `${found.name}.bin is fresh`)
    t.equal(await readFile(join(INVALID_DIR, `${found.name}.json`), 'utf8'), invalidJson(found), `${found.name}.json is fresh`)
  }
})

for (const found of INVALID_CASES) {
  t.test(`${found.name}: refused with a typed error, whole or a byte at a time`, async t => {
    for (const chunks of [[found.bytes], [...found.bytes].map(byte => Buffer.from([byte]))]) {
      const decoder = new FrameDecoder()
      let error: unknown
      try {
        for (const chunk of chunks) {
          decoder.push(chunk)
          while (decoder.read() !== undefined);
        }
      } catch (caught) {
        error = caught
      }
      t.ok(error instanceof ClacksError, `${chunks.length === 1 ? 'whole' : 'byte by byte'}: ${(error as Error | undefined)?.message ?? 'accepted'}`)
    }
  })
}
