/**
 * The log of `clacks start` as a collector reads it: with stderr not a
 * terminal the default is JSON lines; every line parses, carries time,
 * level, msg and, once the tower listens, `tower`; events carry their stable
 * fields; messages moving log nothing at the default level.
 */
import t from 'tap'
import { join } from 'node:path'
import { freePort, getJson, http, until } from './helpers/operate.js'
import { assertBuilt, clacks, tempDir, type Clacks } from './helpers/spawn.js'

assertBuilt()

interface LogLine {
  time: string
  level: string
  msg: string
  tower?: string
  event?: string
  [field: string]: unknown
}

/** Every line of stderr, each of which must be one JSON object. */
function logLines (tower: Clacks): LogLine[] {
  return tower.stderr.split('\n').filter(line => line !== '').map(line => {
    try {
      return JSON.parse(line) as LogLine
    } catch {
      throw new Error(`not a JSON line: ${line}`)
    }
  })
}

function eventsOf (tower: Clacks, event: string): LogLine[] {
  return logLines(tower).filter(line => line.event === event)
}

// An empty CLACKS_LOG_FORMAT is unset: the default for a stderr that is a pipe.
const JSON_DEFAULT = { env: { CLACKS_LOG_FORMAT: '' } }

t.test('JSON lines by default off a terminal, with stable fields', async t => {
  const dir = tempDir(t)
  const a = clacks(t, ['start', '--hostname', '127.0.0.1', '--port', '0', '--state-dir', join(dir, 'a'), '--admin', '127.0.0.1:0',
    '--sendrate', '0', '--status-interval', '0.5'], JSON_DEFAULT)
  await a.waitFor('stderr', /"event":"admin"/)
  const [up] = eventsOf(a, 'up') as [LogLine]
  const towerA = up.tower as string
  t.match(towerA, /^127\.0\.0\.1:\d+$/, 'the tower field names it')
  const admin = (eventsOf(a, 'admin')[0] as LogLine).url as string

  const b = clacks(t, ['start', '--hostname', '127.0.0.1', '--port', '0', '--state-dir', join(dir, 'b'), '--bootstrap', towerA,
    '--sendrate', '0', '--status-interval', '0'], JSON_DEFAULT)
  await b.waitFor('stderr', /"event":"bootstrapped"/)
  await a.waitFor('stderr', /"event":"discovered"/)
  b.write('typed into b')
  await b.waitFor('stderr', /"event":"queued"/)

  // Messages moving between the towers log nothing at the default level (peers changing status do).
  const perMessage = (): number => logLines(a).filter(line => !['status', 'discovered', 'peer-status'].includes(line.event ?? '')).length
  const before = perMessage()
  for (let i = 0; i < 50; i++) t.equal((await http('POST', `${admin}/enqueue`, `m${i}`)).status, 201)
  await until('50 messages to reach b', async () => {
    const status = await getJson<{ stats: { acked: number } }>(`${admin}/status`)
    return status.stats.acked >= 50 ? true : undefined
  })
  await a.waitFor('stderr', /"event":"status".*\n.*"event":"status"/)
  t.equal(perMessage(), before, 'no line per message')

  // a hands everything to b, then b stops with nowhere to hand it.
  a.child.kill('SIGTERM')
  t.same(await a.exit(), { code: 0, signal: null })
  b.child.kill('SIGTERM')
  t.same(await b.exit(), { code: 0, signal: null })

  for (const [name, tower] of [['a', a], ['b', b]] as const) {
    const lines = logLines(tower)
    t.ok(lines.length > 0, `${name} logged`)
    for (const line of lines) {
      t.match(line, { time: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, level: /^(info|warn|error)$/, msg: String, event: String }, `${name}: ${line.msg}`)
      t.equal(line.tower, name === 'a' ? towerA : eventsOf(b, 'up')[0]?.tower, `${name}: every line names the tower`)
    }
  }
  t.match(eventsOf(a, 'up')[0], { instance: /^[0-9a-f]{32}$/, certificate: String })
  t.match(eventsOf(a, 'discovered')[0], { peer: /^127\.0\.0\.1:\d+$/, status: 'new' })
  t.match(eventsOf(b, 'bootstrapped')[0], { peers: [towerA], round: 1 })
  t.match(eventsOf(b, 'queued')[0], { id: /^[0-9a-f]{32}$/ })
  t.match(eventsOf(a, 'status').at(-1), { queued: Number, inFlight: Number, sent: Number, acked: Number, received: Number, peers: { alive: Number } })
  t.match(eventsOf(a, 'stopping')[0], { signal: 'SIGTERM', held: Number, drain: Boolean })
  t.match(eventsOf(a, 'stopped')[0], { held: Number, left: 0 })
  t.match(eventsOf(b, 'stopped')[0], { level: 'error', held: 51, left: 51 })
})

t.test('--log-level warn keeps only warnings and errors; --log-format pretty is for people', async t => {
  const dir = tempDir(t)
  // Nothing at info is logged, not even where the admin endpoint is: give it a port.
  const admin = `http://127.0.0.1:${await freePort()}`
  const quiet = clacks(t, ['start', '--hostname', '127.0.0.1', '--port', '0', '--state-dir', join(dir, 'c'), '--status-interval', '0', '--log-level', 'warn',
    '--admin', admin.slice('http://'.length)], JSON_DEFAULT)
  quiet.write('held here alone')
  await until('the typed line to be queued', async () => (await getJson<{ stats: { queued: number } }>(`${admin}/status`)).stats.queued === 1 ? true : undefined)
  quiet.child.kill('SIGTERM')
  t.same(await quiet.exit(), { code: 0, signal: null })
  t.same(logLines(quiet).map(line => [line.level, line.event]), [['warn', 'stopping'], ['error', 'stopped']], 'only the warning and the loss')
  t.match(eventsOf(quiet, 'stopped')[0], { held: 1, left: 1 })

  const pretty = clacks(t, ['start', '--hostname', '127.0.0.1', '--port', '0', '--state-dir', join(dir, 'c'), '--status-interval', '0', '--log-format', 'pretty'], JSON_DEFAULT)
  await pretty.waitFor('stderr', /type lines to enqueue them/)
  pretty.child.kill('SIGTERM')
  t.same(await pretty.exit(), { code: 0, signal: null })
  for (const line of pretty.stderr.trimEnd().split('\n')) t.match(line, /^clacks: [^{]/, 'a line for a person')
})
