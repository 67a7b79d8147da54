/**
 * The golden frames are part of the protocol (PROTOCOL.md §18): they ship in
 * the npm package, so an implementer can fetch them with the schema.
 */
import { execFile } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { promisify } from 'node:util'
import t from 'tap'

t.test('every vector, the schema and PROTOCOL.md are in the npm package', async t => {
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { maxBuffer: 16 * 1024 * 1024 })
  const [pack] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>
  const packed = new Set((pack?.files ?? []).map(file => file.path))
  const vectors = (await readdir(new URL('.', import.meta.url))).filter(name => /\.(bin|json)$/.test(name) || name === 'README.md')
  t.ok(vectors.length > 20, `${vectors.length} vector files`)
  for (const name of vectors) t.ok(packed.has(`test/vectors/${name}`), `test/vectors/${name} is packed`)
  const invalid = await readdir(new URL('invalid/', import.meta.url))
  t.ok(invalid.length > 10, `${invalid.length} invalid vector files`)
  for (const name of invalid) t.ok(packed.has(`test/vectors/invalid/${name}`), `test/vectors/invalid/${name} is packed`)
  for (const name of ['PROTOCOL.md', 'proto/clacks/v1/frame.proto', 'proto/clacks/v1/tower.proto']) t.ok(packed.has(name), `${name} is packed`)
})
