/**
 * /healthz and /readyz as an orchestrator sees them: ready once listening,
 * not ready while draining for a stop (yet still live), and, with bootstrap
 * peers, not ready until one of them answered, which --bootstrap keeps
 * trying until it does.
 */
import t from 'tap'
import { join } from 'node:path'
import { freePort, started, http, until } from './helpers/operate.js'
import { assertBuilt, clacks, tempDir } from './helpers/spawn.js'

assertBuilt()

const COMMON = ['--hostname', '127.0.0.1', '--admin', '127.0.0.1:0', '--status-interval', '0']

t.test('a draining tower is live but not ready', async t => {
  const dir = tempDir(t)
  const nowhere = await freePort()
  const tower = clacks(t, ['start', ...COMMON, '--port', '0', '--state-dir', join(dir, 'a'), '--expand', `127.0.0.1:${nowhere}`, '--drain-timeout', '8000'])
  const { admin } = await started(tower)

  t.same(JSON.parse((await http('GET', `${admin}/healthz`)).text), { live: true }, '/healthz answers')
  const ready = await http('GET', `${admin}/readyz`)
  t.same({ status: ready.status, body: ready.json() }, { status: 200, body: { ready: true, reasons: [] } }, 'ready without bootstrap peers once listening')
  for (let i = 0; i < 3; i++) t.equal((await http('POST', `${admin}/enqueue`, `m${i}`)).status, 201)

  // Its one peer never answers, so the drain lasts the whole drain timeout.
  tower.child.kill('SIGTERM')
  await tower.waitFor('stderr', /SIGTERM: handing 3 messages to peers/)
  const draining = await http('GET', `${admin}/readyz`)
  t.same({ status: draining.status, body: draining.json() }, { status: 503, body: { ready: false, reasons: ['draining for a stop'] } }, 'not ready while draining')
  t.equal((await http('GET', `${admin}/healthz`)).status, 200, 'still live while draining')
  t.equal((await http('POST', `${admin}/readyz`)).status, 405, '/readyz takes GET')

  t.same(await tower.exit(), { code: 0, signal: null })
  t.match(tower.stderr, /stopped: 3 messages could not be handed on/)
})

t.test('with --bootstrap, ready only once a peer answered; the bootstrap retries until one does', async t => {
  const dir = tempDir(t)
  const port = await freePort()
  const late = clacks(t, ['start', ...COMMON, '--port', '0', '--state-dir', join(dir, 'b'), '--bootstrap', `127.0.0.1:${port}`])
  const { admin } = await started(late)
  const before = await http('GET', `${admin}/readyz`)
  t.same({ status: before.status, body: before.json() }, { status: 503, body: { ready: false, reasons: ['no handshake with a peer yet'] } }, 'not ready while nobody answered')
  await late.waitFor('stderr', /bootstrap: none of 1 answered; trying again in/)
  t.pass('the bootstrap retries')

  // The peer it was told about comes up late, at the address it was given.
  const first = clacks(t, ['start', ...COMMON, '--port', String(port), '--state-dir', join(dir, 'a')])
  await started(first)
  await late.waitFor('stderr', new RegExp(`bootstrapped: 127\\.0\\.0\\.1:${port} answered \\(round \\d+\\)`), 40_000)
  const after = await until('/readyz to say ready', async () => {
    const answer = await http('GET', `${admin}/readyz`)
    return answer.status === 200 ? answer.json() : undefined
  })
  t.same(after, { ready: true, reasons: [] }, 'ready after the handshake')
  await first.waitFor('stderr', /discovered 127\.0\.0\.1:\d+ \(new\)/)
  t.pass('the late tower announced itself to the first')
})
