/**
 * Towers named by others are hints: the peer table keeps a quota of them per
 * source and lets them evict only each other; the dial budget bounds the
 * dials to them per source, per host and tower-wide.
 */
import t from 'tap'
import { isLocalAddress, sourceGroup } from '../../src/tower/address-range.js'
import { DialBudget, defaultDialLimits, type DialBudgetLimits } from '../../src/tower/dial-budget.js'
import { PeerTable, unverifiedSource, type Peer } from '../../src/tower/peer-table.js'

function table (maxPeers: number, maxHintsPerSource?: number): PeerTable {
  return new PeerTable({
    self: { hostname: 'self.example', port: 7000 },
    maxPeers,
    maxHintsPerSource,
    killtimeout: 60_000,
    random: Math.random,
    now: () => 0,
    events: { discovered: () => {}, updated: () => {}, evicted: () => {} },
    canEvict: () => true
  })
}

const fake = (n: number): { hostname: string, port: number } => ({ hostname: `made-up-${n}.example`, port: 1 + (n % 60_000) })
const hint = (source: string) => ({ origin: 'hint' as const, source })

t.test('one source gets its quota of hints and no more', async t => {
  const peers = table(1000, 10)
  for (let n = 0; n < 10_000; n++) peers.add(fake(n), 'new', undefined, hint('203.0.113.0/24'))
  t.equal(peers.hintsFrom('203.0.113.0/24'), 10)
  t.equal(peers.size, 10)
  t.equal(peers.refusedSourceQuota, 9_990)
  peers.add(fake(20_000), 'new', undefined, hint('198.51.100.0/24'))
  t.equal(peers.hintsFrom('198.51.100.0/24'), 1, 'another source still gets its hints in')
})

t.test('hints never evict the operator\'s towers, towers that told us of themselves, or verified ones', async t => {
  const peers = table(20, 1000)
  const operator = peers.add({ hostname: 'operator.example', port: 1 }) as Peer
  const self = peers.add({ hostname: 'self-reported.example', port: 1 }, 'new', undefined, { origin: 'self', source: '192.0.2.0/24' }) as Peer
  const verified = peers.add({ hostname: 'verified.example', port: 1 }, 'new', undefined, hint('192.0.2.0/24')) as Peer
  peers.markVerified(verified)
  peers.markFailure(verified)
  t.equal(verified.status, 'lost', 'verified, then lost: still not a hint')
  for (let n = 0; n < 10_000; n++) peers.add(fake(n), 'new', undefined, hint('203.0.113.0/24'))
  for (const peer of [operator, self, verified]) t.equal(peers.getByKey(peer.key), peer, `${peer.hostname} is still in the table`)
  t.equal(peers.size, 20)
  t.equal(peers.hintsFrom('203.0.113.0/24'), 17, 'the made-up towers churn only each other')
})

t.test('a full table evicts the largest source\'s hints first, for a hint or for a real tower', async t => {
  const peers = table(12, 100)
  for (let n = 0; n < 10; n++) peers.add(fake(n), 'new', undefined, hint('attacker'))
  peers.add(fake(100), 'new', undefined, hint('honest'))
  peers.add(fake(101), 'new', undefined, hint('honest'))
  peers.add(fake(102), 'new', undefined, hint('honest'))
  t.equal(peers.hintsFrom('honest'), 3)
  t.equal(peers.hintsFrom('attacker'), 9, 'the attacker\'s oldest made room')
  const real = peers.add({ hostname: 'real.example', port: 1 }, 'new', undefined, { origin: 'self', source: 'real' })
  t.ok(real, 'a tower that told us of itself gets in')
  t.equal(peers.hintsFrom('attacker'), 8)
  t.equal(peers.hintsFrom('honest'), 3)
})

t.test('a tower that dials us after a stranger named it is no longer a hint', async t => {
  const peers = table(100, 5)
  const peer = peers.add(fake(1), 'new', undefined, hint('attacker')) as Peer
  t.equal(unverifiedSource(peer), 'attacker')
  peers.add(fake(1), 'new', undefined, { origin: 'self', source: 'itself' })
  t.equal(peer.origin, 'self')
  t.equal(peers.hintsFrom('attacker'), 0)
  t.equal(unverifiedSource(peer), 'attacker', 'still unverified for dialling until a handshake succeeds')
  peers.markVerified(peer)
  t.equal(unverifiedSource(peer), undefined)
  t.equal(unverifiedSource(peers.add({ hostname: 'op.example', port: 2 }) as Peer), undefined, 'the operator vouches for its towers')
})

function budget (limits: Partial<DialBudgetLimits> = {}): { budget: DialBudget, clock: { now: number } } {
  const clock = { now: 0 }
  return { budget: new DialBudget({ ...defaultDialLimits(1024), ...limits }, () => clock.now), clock }
}

t.test('unverified dials: per source, per host, tower-wide', async t => {
  const { budget: b, clock } = budget({ perSourceRate: 2, perSourceBurst: 4, perHostRate: 1, perHostBurst: 2, towerRate: 10, towerBurst: 10 })
  let allowed = 0
  for (let n = 0; n < 1000; n++) if (b.tryDial(`host-${n}`, 'attacker') === undefined) allowed++
  t.equal(allowed, 4, 'the burst of one source')
  t.equal(b.tryDial('host-x', 'attacker'), 'source')
  clock.now += 1000
  allowed = 0
  for (let n = 0; n < 1000; n++) if (b.tryDial(`host-b${n}`, 'attacker') === undefined) allowed++
  t.equal(allowed, 2, 'then its rate')
  t.equal(b.tryDial('victim', 'honest-1'), undefined)
  t.equal(b.tryDial('victim', 'honest-2'), undefined)
  t.equal(b.tryDial('VICTIM', 'honest-3'), 'host', 'one host gets its burst, whoever names it')
  t.equal(b.tryDial('host-fresh', 'honest'), undefined, 'another source is not held back by the first')
  for (let s = 0; s < 100; s++) b.tryDial(`host-s${s}`, `source-${s}`)
  t.equal(b.tryDial('host-y', 'source-y'), 'tower', 'many sources together meet the tower-wide bound')
  t.equal(b.tryDial('host-y', undefined), undefined, 'a vouched address is not bound by the rates')
})

t.test('handshakes in progress have their own cap', async t => {
  const { budget: b } = budget({ maxHandshaking: 4, maxUnverifiedHandshaking: 2 })
  b.handshaking = 2
  b.unverifiedHandshaking = 2
  t.equal(b.tryDial('a', 'source'), 'handshaking')
  t.equal(b.tryDial('a', undefined), undefined)
  b.handshaking = 4
  t.equal(b.tryDial('b', undefined), 'handshaking')
})

t.test('buckets that refilled are forgotten', async t => {
  const { budget: b, clock } = budget()
  for (let n = 0; n < 50; n++) b.tryDial(`host-${n}`, `source-${n}`)
  t.ok(b.tracked > 0)
  clock.now += 60_000
  b.prune()
  t.equal(b.tracked, 0)
})

t.test('local ranges and source groups', async t => {
  for (const local of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.0.5', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::5', '::ffff:10.0.0.1', 'localhost', 'LOCALHOST', 'a.localhost']) {
    t.ok(isLocalAddress(local), `${local} is local`)
  }
  for (const remote of ['8.8.8.8', '172.32.0.1', '2001:db8::1', 'tower.example.com', '::ffff:8.8.8.8']) {
    t.notOk(isLocalAddress(remote), `${remote} is not known to be local`)
  }
  t.equal(sourceGroup('203.0.113.77'), '203.0.113.0/24')
  t.equal(sourceGroup('::ffff:203.0.113.77'), '203.0.113.0/24')
  t.equal(sourceGroup('2001:db8:1:2::5'), sourceGroup('2001:db8:1:ffff::9'), 'one /48')
  t.not(sourceGroup('2001:db8:1::5'), sourceGroup('2001:db8:2::5'))
})
