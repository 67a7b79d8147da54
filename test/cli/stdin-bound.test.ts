/**
 * `clacks start` reads stdin with a bound: a line over maxPayloadBytes is
 * refused with one line on stderr and the tower keeps running, even when
 * stdin is /dev/zero (which once ended in a RangeError).
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { readBoundedLines } from '../../src/cli/bounded-lines.js'
import { PassThrough } from 'node:stream'
import { assertBuilt, clacks, CLI, tempDir } from './helpers/spawn.js'

assertBuilt()

const START = ['start', '--hostname', '127.0.0.1', '--port', '0', '--status-interval', '0']
const TOO_LONG = /not queued: a line of stdin is over the 1048576-byte payload limit/g

t.test('lines split and bounded, however the bytes are cut', async t => {
  const input = new PassThrough()
  const lines: string[] = []
  let tooLong = 0
  readBoundedLines(input, 8, { line: line => lines.push(line), tooLong: () => tooLong++ })
  const text = 'short\r\nexactly8\nnine bytes\n' + 'x'.repeat(100) + '\nafter\n\nlast'
  // Byte at a time: every split point.
  for (const byte of Buffer.from(text)) input.write(Buffer.from([byte]))
  input.end()
  await new Promise(resolve => input.on('end', resolve))
  t.same(lines, ['short', 'exactly8', 'after', '', 'last'])
  t.equal(tooLong, 2, 'each over-long line reported once')
})

t.test('an over-long line is refused, the lines after it are queued', async t => {
  const dir = tempDir(t)
  const tower = clacks(t, [...START, '--state-dir', join(dir, 'a')])
  await tower.waitFor('stderr', /type lines to enqueue them/)
  const zeros = Buffer.alloc(64 * 1024)
  for (let i = 0; i < 48; i++) tower.child.stdin?.write(zeros)
  tower.write('')
  tower.write('a line after the long one')
  await tower.waitFor('stderr', /queued [0-9a-f]{32}/)
  t.equal(tower.stderr.match(TOO_LONG)?.length, 1, 'one line on stderr for the 3 MiB line')
  tower.child.kill('SIGTERM')
  t.equal((await tower.exit()).code, 0, 'the tower ran on and stopped cleanly')
})

t.test('stdin from /dev/zero: one refusal, and the tower keeps running', async t => {
  const dir = tempDir(t)
  const zero = openSync('/dev/zero', 'r')
  const child = spawn(process.execPath, [CLI, ...START, '--state-dir', join(dir, 'z')], { stdio: [zero, 'ignore', 'pipe'], env: { ...process.env, NODE_DEBUG: '' } })
  closeSync(zero)
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const exited = new Promise<number | null>(resolve => child.on('close', code => resolve(code)))
  const deadline = Date.now() + 30_000
  while (!TOO_LONG.test(stderr) && Date.now() < deadline && child.exitCode === null) await new Promise(resolve => setTimeout(resolve, 50))
  TOO_LONG.lastIndex = 0
  // Gigabytes of zeros pass meanwhile: the tower must neither crash nor say it again.
  await new Promise(resolve => setTimeout(resolve, 1500))
  t.equal(child.exitCode, null, 'still running')
  t.equal(stderr.match(TOO_LONG)?.length, 1, 'one line on stderr')
  t.notMatch(stderr, /RangeError|at .*\.js/, 'no stack trace')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  t.equal(await exited, 0, 'a signal still stops it cleanly')
  clearTimeout(timer)
})
