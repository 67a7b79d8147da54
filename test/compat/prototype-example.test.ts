import { spawn } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { freePort } from '../helpers/towers.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const EXAMPLE = join(ROOT, 'test/compat/fixtures/prototype-example.cjs')

interface Line { event: string, [field: string]: unknown }

/** Runs the example (require('clacks/compat') resolves to this package's built CommonJS copy), bounded in time. */
function runExample (ports: string[], ms: number): Promise<{ lines: Line[], stderr: string, code: number | null }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [EXAMPLE, ...ports], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    const timer = setTimeout(() => child.kill('SIGKILL'), ms)
    child.on('close', code => {
      clearTimeout(timer)
      resolve({ lines: stdout.split('\n').filter(Boolean).map(line => JSON.parse(line) as Line), stderr, code })
    })
  })
}

t.test('the prototype\'s example, from CommonJS through clacks/compat, delivers its message and ends by itself', async t => {
  const ports = await Promise.all([freePort('127.0.0.1'), freePort('127.0.0.1'), freePort('127.0.0.1')])
  const [port1, port2, port3] = ports.map(String) as [string, string, string]
  const { lines, stderr, code } = await runExample([port1, port2, port3], 60_000)
  t.equal(code, 0, 'the process ended by itself, without being killed')
  t.equal(stderr, '', 'no call failed: nothing reported')
  const firstPeek = lines.find(line => line.event === 'peek')
  const secondPeek = lines.filter(line => line.event === 'peek')[1]
  t.same(firstPeek?.queues, [[], [], []], 'queues start empty')
  t.same(secondPeek?.queues, [[], ['Hello Discworld!'], []], 'peek shows the message enqueued before the start')
  t.ok(lines.some(line => line.event === 'received' && line.peer === 1 && line.message === 'Hello Discworld!' && line.from === `localhost:${port2}`),
    'peer 1 received the message from peer 2, whose port was given as a string')
  t.ok(lines.some(line => line.event === 'discovered' && line.peer === 1 && line.found === `localhost:${port3}`), 'peer 3\'s announce reached peer 1')
  const closed = lines.find(line => line.event === 'closed')
  t.ok(closed, 'every tower closed')
  const left = (closed?.summaries as Array<{ left: number }>).reduce((sum, s) => sum + s.left, 0)
  t.equal(left, 1, 'the one message is still held by exactly one tower when they close together')
})
