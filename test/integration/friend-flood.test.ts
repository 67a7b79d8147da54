/**
 * Friends are hints, not orders: a stranger naming a new made-up friend in
 * every message must not turn a tower into a reflector (dials bounded per
 * source, per host, tower-wide) nor crowd real towers out of its table.
 */
import t from 'tap'
import type { Frame } from '../../src/gen/clacks/v1/frame.js'
import { defaultDialLimits } from '../../src/tower/dial-budget.js'
import { maxHintsPerSource } from '../../src/tower/peer-table.js'
import { messageFrame, RawPeer } from '../helpers/raw-peer.js'
import { towerOn, waitFor } from '../helpers/towers.js'

const TARGET_HOST = '127.0.0.2'
const GOOD_HOST = '127.0.0.3'
const OTHER_HOST = '127.0.0.4'
/** The attacker's connection comes from another /24 than the real towers' (they dial from 127.0.0.1). */
const ATTACKER_FROM = '127.0.9.1'
const FAKES = 10_000

/** The n-th made-up tower: addresses where nothing listens, each a different host. */
const fake = (n: number): { hostname: string, port: number } => ({ hostname: `127.50.${n >> 8}.${n & 255}`, port: 20_000 + (n % 1000) })

t.test('10,000 made-up friends from one source: dials within the bounds, real towers kept', async t => {
  const target = await towerOn(t, TARGET_HOST, { sendrate: 2000 })
  const good = await towerOn(t, GOOD_HOST, { sendrate: 2000 })
  const other = await towerOn(t, OTHER_HOST, { sendrate: 2000 })
  await good.announce(TARGET_HOST, target.port)
  target.expand(OTHER_HOST, other.port)
  target.enqueue('before the flood')
  await waitFor(() => target.stats().acked >= 1, 5000, 'a first message handed on')

  const raw = await RawPeer.connect(target.port, TARGET_HOST, undefined, undefined, ATTACKER_FROM)
  t.teardown(() => raw.destroy())
  await raw.handshake({ tower: { hostname: ATTACKER_FROM, port: 1 } })
  const dialsBefore = target.stats().dialsMade
  const started = Date.now()
  for (let first = 0; first < FAKES; first += 500) {
    const frames: Frame[] = []
    for (let n = first; n < first + 500; n++) frames.push(messageFrame(n + 1, { friend: fake(n) }))
    raw.sendAll(frames)
    await new Promise(resolve => setImmediate(resolve))
  }
  await waitFor(() => target.stats().received >= FAKES, 20_000, 'the target to take the flood')
  // Let the target keep picking (it prefers new towers) for a while: every pick is a chance to dial a fake.
  for (let i = 0; i < 200; i++) good.enqueue(`real ${i}`)
  await waitFor(() => target.stats().acked >= FAKES + 101, 20_000, 'the flood to be handed on to the real towers')
  await new Promise(resolve => setTimeout(resolve, 1500))
  const elapsedSeconds = (Date.now() - started) / 1000

  const stats = target.stats()
  const limits = defaultDialLimits(target.options.maxConnections)
  // The attacker's source may have named 10,000 towers; its dials are one bucket's worth.
  const allowed = limits.perSourceBurst + limits.perSourceRate * elapsedSeconds
  // The real towers' dials (a handful: one each, and a redial after an idle close) are vouched and not in that bucket.
  const realDials = 6
  const dials = stats.dialsMade - dialsBefore
  t.ok(dials <= allowed + realDials, `${dials} dials in ${elapsedSeconds.toFixed(1)} s, at most ${allowed.toFixed(0)} to made-up towers allowed`)
  t.ok(stats.dialsRefused > 0, `dials refused by the bounds are counted (${stats.dialsRefused})`)
  t.equal(stats.hintsRefused, FAKES - maxHintsPerSource(target.options.maxPeers), 'the source got its quota of the table and no more')
  const survey = target.survey()
  const statusOf = (host: string): string | undefined => survey.find(peer => peer.hostname === host)?.status
  t.equal(statusOf(GOOD_HOST), 'alive', 'the tower that told us about itself stays, alive')
  t.equal(statusOf(OTHER_HOST), 'alive', 'the operator\'s tower stays, alive')
  t.ok(good.stats().acked >= 200, 'the real towers kept exchanging messages')
})

t.test('a small table: the flood churns only its own hints', async t => {
  const target = await towerOn(t, TARGET_HOST, { sendrate: 2000, maxPeers: 50 })
  const good = await towerOn(t, GOOD_HOST, { sendrate: 2000 })
  await good.announce(TARGET_HOST, target.port)
  const raw = await RawPeer.connect(target.port, TARGET_HOST, undefined, undefined, ATTACKER_FROM)
  t.teardown(() => raw.destroy())
  await raw.handshake({ tower: { hostname: ATTACKER_FROM, port: 1 } })
  const frames: Frame[] = []
  for (let n = 0; n < 2000; n++) frames.push(messageFrame(n + 1, { friend: fake(n) }))
  raw.sendAll(frames)
  await waitFor(() => target.stats().received >= 2000, 20_000, 'the target to take the flood')
  const survey = target.survey()
  t.ok(survey.some(peer => peer.hostname === GOOD_HOST), 'the real tower is still in the table')
  t.ok(survey.filter(peer => peer.hostname.startsWith('127.50.')).length <= maxHintsPerSource(50), 'at most the quota of made-up towers')
})

t.test('a public tower takes no local-range friends unless allowed', async t => {
  for (const allowLocalHints of [undefined, true]) {
    const target = await towerOn(t, 'tower.example', { bind: TARGET_HOST, allowLocalHints })
    const raw = await RawPeer.connect(target.port, TARGET_HOST)
    await raw.handshake({ tower: { hostname: 'dialer.example', port: 7000 } })
    raw.sendAll([
      messageFrame(1, { friend: { hostname: '10.1.2.3', port: 7000 } }),
      messageFrame(2, { friend: { hostname: '169.254.1.1', port: 7000 } }),
      messageFrame(3, { friend: { hostname: 'public.example', port: 7000 } })
    ])
    await waitFor(() => target.stats().received === 3, 5000, 'three messages taken')
    const hosts = target.survey().map(peer => peer.hostname)
    t.ok(hosts.includes('public.example'), 'a public friend is taken')
    if (allowLocalHints === true) {
      t.ok(hosts.includes('10.1.2.3') && hosts.includes('169.254.1.1'), 'allowed: local friends are taken')
      t.equal(target.stats().localHintsRefused, 0)
    } else {
      t.notOk(hosts.includes('10.1.2.3') || hosts.includes('169.254.1.1'), 'local friends are not taken')
      t.equal(target.stats().localHintsRefused, 2)
    }
    raw.destroy()
    await target.close({ drain: false })
  }
})
