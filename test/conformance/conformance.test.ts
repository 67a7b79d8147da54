/**
 * `clacks conformance` against the TypeScript tower (every case passes), and
 * against a tower that breaks the protocol (the suite notices).
 */
import t from 'tap'
import { runConformance, type SuiteReport } from '../../src/conformance/run.js'
import { CASES } from '../../src/conformance/cases.js'
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:tls'
import { encodeFrame } from '../../src/wire/index.js'
import { testCertificate, towerOn } from '../helpers/towers.js'
import { assertBuilt, run } from '../cli/helpers/spawn.js'
import { GoodbyeReason } from '../../src/gen/clacks/v1/frame.js'

const SELF = { hostname: '127.0.0.9', port: 1 }

function failures (report: SuiteReport): string {
  return report.results.filter(r => r.verdict !== 'pass').map(r => `${r.verdict} ${r.id}: ${r.seen}`).join('\n')
}

t.test('every case passes against the TypeScript tower, as acceptor and as dialer, the slow one included', async t => {
  const tower = await towerOn(t, '127.0.0.2', { handshakeTimeout: 500 })
  const report = await runConformance({ target: { hostname: '127.0.0.2', port: tower.port }, timeoutMs: 5000, handshakeTimeoutMs: 500, self: SELF, listen: { hostname: '127.0.0.10', port: 0 }, quick: false })
  t.equal(report.counts.fail + report.counts.info, 0, failures(report) || 'all pass')
  t.same(report.results.map(r => r.id), [...CASES.map(c => c.id), 'alive.after-hostile'], 'every case ran, the liveness check last')
  t.ok(report.results.every(r => /^§\d+/.test(r.section)), 'each case cites a PROTOCOL.md section')
  t.equal(tower.stats().queued > 0, true, 'the tower holds what the suite handed it')
})

t.test('the suite fails a tower that answers everything with Goodbye SHUTTING_DOWN', async t => {
  const { key, cert } = await testCertificate()
  const shuttingDown = encodeFrame({ kind: { $case: 'goodbye', value: { reason: GoodbyeReason.GOODBYE_REASON_SHUTTING_DOWN, detail: '' } } })
  // Not a tower: whatever a dialer says first, it says goodbye and closes.
  const fake = createServer({ key, cert, minVersion: 'TLSv1.3', ALPNProtocols: ['clacks/1'] }, socket => {
    socket.on('error', () => {})
    socket.once('data', () => socket.end(shuttingDown))
  })
  await new Promise<void>(resolve => fake.listen(0, '127.0.0.3', resolve))
  t.teardown(() => new Promise<void>(resolve => fake.close(() => resolve())))
  const port = (fake.address() as AddressInfo).port
  const report = await runConformance({ target: { hostname: '127.0.0.3', port }, timeoutMs: 1000, handshakeTimeoutMs: 500, self: SELF, quick: true, only: ['handshake.welcome', 'handshake.version', 'goodbye', 'alive'] })
  const verdicts = Object.fromEntries(report.results.map(r => [r.id, r.verdict]))
  t.same(verdicts, { 'handshake.welcome': 'fail', 'handshake.version': 'fail', 'goodbye.from-dialer': 'fail', 'goodbye.from-acceptor': 'fail', 'alive.after-hostile': 'fail' })
  t.match(report.results[0]?.seen, /expected Welcome, got goodbye SHUTTING_DOWN/)
  t.match(report.results[1]?.seen, /expected Goodbye VERSION_UNSUPPORTED, got goodbye SHUTTING_DOWN/)
  t.equal(report.skipped.length, CASES.length - 4, 'the rest left out by --only')
})

t.test('the command: --quick --json prints the report and exits 0; an unreachable tower exits 1 with one line', async t => {
  assertBuilt()
  const tower = await towerOn(t, '127.0.0.4')
  const ok = await run(t, ['conformance', `127.0.0.4:${tower.port}`, '--quick', '--json'], 60_000)
  t.equal(ok.code, 0, ok.stderr)
  const report = JSON.parse(ok.stdout) as SuiteReport
  t.equal(report.counts.fail, 0)
  t.same(report.skipped, ['handshake.timeout'], '--quick skips the slow case')
  const table = await run(t, ['conformance', `127.0.0.4:${tower.port}`, '--only', 'handoff.ack'], 30_000)
  t.match(table.stdout, /pass\s+§6\s+handoff\.ack/)
  t.match(table.stdout, /2 passed, 0 failed, 0 info/)
  const down = await run(t, ['conformance', '127.0.0.4:1'], 30_000)
  t.equal(down.code, 1)
  t.match(down.stderr, /^clacks conformance: cannot reach a tower at 127\.0\.0\.4:1: .*\n$/)
})
