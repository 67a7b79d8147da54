/**
 * The Python tower of interop/python/, written from PROTOCOL.md and the
 * .proto alone, against the golden vectors and the whole conformance suite.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { runConformance } from '../../src/conformance/run.js'
import { tempDir } from '../cli/helpers/spawn.js'
import { findPython, generate, INTEROP_DIR, PythonTower } from './python-tower.js'

const found = findPython()
const skip = 'missing' in found ? `the Python tower needs protoc and python3-protobuf: ${found.missing}` : false
const python = 'python' in found ? found.python : ''

t.test('the Python codec decodes and encodes every golden vector byte for byte', { skip }, async t => {
  await generate()
  const { stdout } = await promisify(execFile)(python, [join(INTEROP_DIR, 'vectors_check.py')])
  t.match(stdout, /^\d+ vectors decode and encode byte for byte/)
})

t.test('the Python tower passes clacks conformance, the slow case included', { skip }, async t => {
  const tower = await PythonTower.start(t, python, '127.0.0.6', tempDir(t), ['--handshake-timeout', '0.5'])
  const report = await runConformance({ target: { hostname: '127.0.0.6', port: tower.port }, timeoutMs: 5000, handshakeTimeoutMs: 500, self: { hostname: '127.0.0.9', port: 1 }, listen: { hostname: '127.0.0.11', port: 0 }, quick: false })
  const problems = report.results.filter(r => r.verdict !== 'pass').map(r => `${r.verdict} ${r.id}: ${r.seen}`)
  t.same(problems, [], `${report.counts.pass} passed`)
  t.ok((await tower.stats()).queued > 0, 'the Python tower holds what the suite handed it')
})
