/**
 * Issue 3, conservation, end to end: towers in separate processes, real TLS
 * on loopback, every connection crossing a relay that the fault injector
 * breaks (resets, half-open connections, lost acknowledgements, partitions,
 * stalls) while it also SIGSTOPs whole towers for seconds. At the end
 * everything is paused and settled, and the towers together must hold exactly
 * what was injected: none lost, none twice, every payload byte-identical.
 * Then the same for a tower closed with drain in the middle of the traffic.
 *
 * The fault schedule and the towers' random choices follow from the seed;
 * what happens between them depends on timing.
 *
 * Knobs (environment): CLACKS_SEED, CLACKS_TOWERS, CLACKS_MESSAGES,
 * CLACKS_TRAFFIC_MS, CLACKS_OPTIONS (JSON, over the towers' options, e.g.
 * '{"maxConnections":4}'). NODE_DEBUG=clacks writes the library's debug
 * lines to each tower's log file (the directory is printed on failure).
 *
 * Run alone: npx tap test/conservation/conservation.test.ts
 *        or: node --import tsx test/conservation/conservation.test.ts
 */
import { rmSync } from 'node:fs'
import t, { type Test } from 'tap'
import type { TowerOptions, TowerStats } from '../../src/index.js'
import { census, Cluster, CONSERVATION_OPTIONS, type Census, type Member } from './fixtures/cluster.js'
import { FaultInjector } from './fixtures/faults.js'
import { pickOne, seededRandom } from './fixtures/random.js'

const SEED = Number(process.env.CLACKS_SEED ?? 0xc1ac5)
const TOWERS = Math.max(5, Number(process.env.CLACKS_TOWERS ?? 5))
const MESSAGES = Number(process.env.CLACKS_MESSAGES ?? 3000)
const TRAFFIC_MS = Number(process.env.CLACKS_TRAFFIC_MS ?? 20_000)
/** Tower options over the test's own, as JSON, to explore: CLACKS_OPTIONS='{"maxInFlight":8}'. */
const OPTIONS = { ...CONSERVATION_OPTIONS, ...JSON.parse(process.env.CLACKS_OPTIONS ?? '{}') as Partial<TowerOptions> }

// Run directly (node --import tsx …) tap's default would be 30 s.
t.setTimeout(115_000)

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** Polls until `check` holds, at most `ms`; returns whether it did. */
async function until (check: () => Promise<boolean>, ms: number, every = 250): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await sleep(every)
  }
}

/** A few expands and announces along a line: the rest must spread through friend descriptors. */
async function link (cluster: Cluster): Promise<void> {
  const m = cluster.members
  for (let i = 0; i + 1 < m.length; i++) {
    const from = m[i] as Member
    const to = m[i + 1] as Member
    if (i % 2 === 0) await from.process.request({ cmd: 'expand', hostname: to.hostname, port: to.port })
    else await from.process.request({ cmd: 'announce', hostname: to.hostname, port: to.port })
  }
}

/** Waits until every live tower knows every other one. */
async function discovered (cluster: Cluster, ms: number): Promise<boolean> {
  return until(async () => {
    const surveys = await Promise.all(cluster.live.map(m => m.process.request({ cmd: 'survey' })))
    return surveys.every(s => s.peers.length >= cluster.members.length - 1)
  }, ms)
}

function brief (s: TowerStats): string {
  return `queued ${s.queued} inFlight ${s.inFlight} inDoubt ${s.inDoubt} sent ${s.sent} acked ${s.acked} received ${s.received} returned ${s.returned} ` +
    `refused ${s.refused} protocolErrors ${s.protocolErrors} tlsFailures ${s.tlsFailures} peers ${JSON.stringify(s.peers)} conns ${s.connections.inbound}/${s.connections.outbound}`
}

/**
 * Pauses every live tower, waits (bounded) until none has anything in flight
 * or in doubt, then counts their holdings against `expected`.
 */
async function settleAndCount (t: Test, cluster: Cluster, expected: ReadonlyMap<string, number>, settleMs: number): Promise<{ settled: boolean, result: Census, stats: TowerStats[] }> {
  await Promise.all(cluster.live.map(m => m.process.request({ cmd: 'pause' })))
  let stats: TowerStats[] = []
  const began = Date.now()
  const settled = await until(async () => {
    stats = await cluster.stats()
    return stats.every(s => s.inFlight === 0 && s.inDoubt === 0)
  }, settleMs)
  t.comment(`settled in ${Date.now() - began} ms: ${settled}`)
  const holdings = await Promise.all(cluster.live.map(async m => ({ name: m.name, ...(await m.process.request({ cmd: 'holdings' })) })))
  stats = holdings.map(h => h.stats)
  return { settled, result: census(cluster.injected, expected, holdings), stats }
}

function report (t: Test, cluster: Cluster, expected: ReadonlyMap<string, number>, result: Census, stats: TowerStats[]): void {
  const live = cluster.live
  stats.forEach((s, i) => t.comment(`${live[i]?.name}: ${brief(s)}`))
  const sample = (ids: string[]): string => ids.slice(0, 8).map(id => `${id} (#${cluster.injected.get(id)})`).join(', ')
  let expectedTotal = 0
  for (const n of expected.values()) expectedTotal += n
  t.equal(result.lost.length, 0, `no message lost${result.lost.length > 0 ? `: ${result.lost.length}, e.g. ${sample(result.lost)}` : ''}`)
  t.equal(result.duplicated.length, 0, `no message held twice${result.duplicated.length > 0
    ? `: ${result.duplicated.length}, e.g. ${result.duplicated.slice(0, 8).map(d => `${d.id} (#${cluster.injected.get(d.id)}) at ${d.at.join('+')}`).join(', ')}`
    : ''}`)
  t.equal(result.unknown.length, 0, 'nothing held that was not injected')
  t.equal(result.corrupt.length, 0, `every payload byte-identical${result.corrupt.length > 0 ? `: corrupt ${sample(result.corrupt)}` : ''}`)
  t.equal(result.held, expectedTotal, `the towers hold ${result.held} messages for ${expectedTotal} expected`)
}

/** One copy of every message injected so far. */
function onceEach (cluster: Cluster): Map<string, number> {
  return new Map([...cluster.injected.keys()].map(id => [id, 1]))
}

t.test(`conservation (seed ${SEED}, ${TOWERS} tower processes, ${MESSAGES} messages)`, async t => {
  const random = seededRandom(SEED)
  const cluster = new Cluster()
  t.teardown(async () => {
    await cluster.teardown()
    if (t.passing()) rmSync(cluster.logDir, { recursive: true, force: true })
    else console.error(`# tower logs kept in ${cluster.logDir}`)
  })
  const began = Date.now()
  await cluster.start(TOWERS, OPTIONS, SEED)
  await link(cluster)
  t.comment(`${TOWERS} tower processes started and linked in ${Date.now() - began} ms; logs in ${cluster.logDir}`)

  // Two thirds at the start, spread over the towers; the rest while faults happen.
  const initial = Math.floor(MESSAGES * 2 / 3)
  const perTower = Math.ceil(initial / TOWERS)
  await Promise.all(cluster.members.map((m, i) => cluster.inject(m, Math.max(0, Math.min(perTower, initial - i * perTower)))))
  t.ok(await discovered(cluster, 15_000), 'every tower came to know every other one through a few expands and announces')
  t.comment(`discovery done ${Date.now() - began} ms after the start`)

  /** What the towers held at the end of the first part: the baseline of the second. */
  let afterFaults: Census | undefined

  await t.test('under resets, lost acks, partitions, stalls and SIGSTOP: none lost, none twice', async t => {
    const injector = new FaultInjector(cluster, random, {
      durationMs: TRAFFIC_MS,
      networkEveryMs: [150, 550],
      networkFaultMs: [300, 2500],
      stopEveryMs: [1500, 3500],
      stopMs: [1000, 4000],
      maxStopped: 2
    })
    const faultsBegan = Date.now()
    const faults = injector.run()
    // The rest of the messages, in batches, to towers that are not stopped at that moment.
    const batches = 10
    const later = MESSAGES - initial
    const injecting = (async () => {
      for (let b = 0; b < batches; b++) {
        await sleep(TRAFFIC_MS * 0.7 / batches)
        const count = Math.floor(later * (b + 1) / batches) - Math.floor(later * b / batches)
        const target = pickOne(random, cluster.live.filter(m => !m.process.stopped)) ?? cluster.members[0] as Member
        await cluster.inject(target, count)
      }
    })()
    await Promise.all([faults, injecting])
    const faultsMs = Date.now() - faultsBegan

    const expected = onceEach(cluster)
    const { settled, result, stats } = await settleAndCount(t, cluster, expected, 30_000)
    afterFaults = result
    const crashed = cluster.members.filter(m => m.process.exit !== undefined)
    t.same(crashed.map(m => `${m.name}: ${JSON.stringify(m.process.exit)}\n${m.process.stderrTail}`), [], 'no tower process died')
    t.ok(settled, 'after the faults every tower settled: nothing in flight, nothing in doubt, within 30 s')
    report(t, cluster, expected, result, stats)

    const acked = stats.reduce((sum, s) => sum + s.acked, 0)
    const protocolErrors = stats.reduce((sum, s) => sum + s.protocolErrors, 0)
    const c = injector.counts
    t.ok(acked >= 10 * cluster.injected.size, `traffic really happened: ${acked} hand-offs acknowledged for ${cluster.injected.size} messages (mean hops held ${result.meanHops.toFixed(1)}, max ${result.maxHops})`)
    t.ok(c.reset + c['half-open'] + c.blackhole + c.partition >= 10,
      `connections really broke: ${c.reset} resets, ${c['half-open']} half-open, ${c.blackhole} lost-ack blackholes, ${c.partition} partitions, ${c.stall} stalls`)
    t.ok(c.stops >= 3, `towers really stopped: ${c.stops} SIGSTOPs, ${c.stoppedMs} ms in all`)
    t.equal(protocolErrors, 0, 'no tower saw a protocol error (the relays only cut connections, never alter bytes)')
    t.comment(`seed ${SEED}: ${cluster.injected.size} messages, ${acked} acked hand-offs, faults for ${faultsMs} ms`)
    if (!t.passing()) for (const line of injector.timeline) t.comment(line)
  })

  await t.test('graceful close: a tower closed mid-traffic leaves all its messages with the others', async t => {
    // The baseline is what the first part ended with, so that this part
    // judges only the close, whatever the first part found.
    const expected = new Map(afterFaults?.copies ?? onceEach(cluster))
    await Promise.all(cluster.live.map(m => m.process.request({ cmd: 'resume' })))
    const before = cluster.injected.size
    await Promise.all(cluster.live.map(m => cluster.inject(m, 100)))
    for (const id of [...cluster.injected.keys()].slice(before)) expected.set(id, 1)
    await sleep(2000)

    // The tower holding the most at this moment leaves.
    const live = cluster.live
    const holding = (await cluster.stats(live)).map(s => s.queued + s.inFlight)
    const most = holding.indexOf(Math.max(...holding))
    const leaving = live[most] as Member
    const held = (await leaving.process.request({ cmd: 'stats' })).stats
    t.ok(held.queued + held.inFlight > 0, `${leaving.name} holds messages when it is closed (${held.queued} queued, ${held.inFlight} in flight)`)
    const closed = await leaving.process.request({ cmd: 'close', drain: true }, 20_000)
    leaving.gone = true
    leaving.process.expectedExit = true
    t.equal(closed.left, 0, `${leaving.name} closed with nothing left: ${brief(closed.stats)}`)
    t.equal(closed.stats.queued + closed.stats.inFlight, 0, 'its queue and links are empty')
    const exited = await Promise.race([leaving.process.exited.then(() => true), sleep(5000).then(() => false)])
    t.ok(exited && leaving.process.exit?.code === 0, `its process exited cleanly (${JSON.stringify(leaving.process.exit)})`)

    // The others go on without it for a while, then everything settles.
    await sleep(2000)
    const { settled, result, stats } = await settleAndCount(t, cluster, expected, 30_000)
    const crashed = cluster.live.filter(m => m.process.exit !== undefined)
    t.same(crashed.map(m => m.name), [], 'no other tower died')
    t.ok(settled, 'the remaining towers settled: nothing in flight, nothing in doubt')
    report(t, cluster, expected, result, stats)
  })
  t.comment(`total ${Date.now() - began} ms`)
})
