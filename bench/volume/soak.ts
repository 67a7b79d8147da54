/**
 * `npm run soak -- --duration S [--towers N]`: N towers, each in its own
 * process behind a relay that stands for the network, under steady load
 * for S seconds: every tower keeps its queue topped up; every few seconds a
 * connection is reset mid-stream; every ten seconds one tower (never the
 * first) is stopped with a drain and a new one takes its place (churn).
 *
 * The first tower lives through the whole run: its RSS and heap are sampled
 * every second and their slope over the last two thirds of the run is
 * reported (MiB a minute; flat is near zero). At the end every message ever
 * enqueued must be held exactly once. Exit code 1 when any is lost or held
 * twice.
 */
import { FaultProxy } from '../../test/conservation/fixtures/proxy.js'
import { killAllWorkers } from '../lib/ipc.js'
import { conservation, MiB, numberFlag, sample, sleep, startTowerProcess, type TowerProcess } from './towers.js'

const duration = numberFlag('duration', 300)
const towerCount = Math.max(3, numberFlag('towers', 4))
const PREFIX = 'soak:'
const CHURN_EVERY_S = 10
const RESET_EVERY_MS = 2000

interface Member {
  slot: number
  tower: TowerProcess
  relay: FaultProxy
}

/** Tower `slot` listens on 127.0.0.(90+slot) and is known by its relay on 127.0.1.(90+slot). */
async function startMember (slot: number): Promise<Member> {
  const host = `127.0.0.${90 + slot}`
  const advertised = `127.0.1.${90 + slot}`
  const tower = await startTowerProcess(`soak tower ${slot}`, {
    hostname: advertised, bind: host, sendrate: 2000, ackTimeout: 1000, backoffInitial: 50, backoffMax: 1000, handshakeTimeout: 2000
  })
  const relay = new FaultProxy(advertised, host)
  await relay.listen(tower.port)
  await tower.worker.call('keepFed', { prefix: PREFIX, level: 200, everyMs: 50 })
  return { slot, tower, relay }
}

async function introduce (members: Member[]): Promise<void> {
  for (const a of members) {
    for (const b of members) if (a !== b) await a.tower.worker.call('expand', { hostname: b.tower.hostname, port: b.tower.port })
  }
}

/** Least-squares slope of (seconds, bytes) samples, in MiB a minute. */
function slope (points: Array<[number, number]>): number {
  const n = points.length
  if (n < 2) return 0
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n
  let num = 0
  let den = 0
  for (const [x, y] of points) {
    num += (x - mx) * (y - my)
    den += (x - mx) ** 2
  }
  return den === 0 ? 0 : (num / den) * 60 / 1024 / 1024
}

async function main (): Promise<void> {
  console.log(`soak: ${towerCount} towers, ${duration} s, a reset every ${RESET_EVERY_MS / 1000} s, a tower replaced every ${CHURN_EVERY_S} s`)
  const members: Member[] = []
  for (let slot = 0; slot < towerCount; slot++) members.push(await startMember(slot))
  await introduce(members)

  const enqueued: string[] = []
  let left = 0
  let churns = 0
  let resets = 0
  const rss: Array<[number, number]> = []
  const heap: Array<[number, number]> = []
  const started = Date.now()
  let nextChurn = CHURN_EVERY_S
  let nextReset = RESET_EVERY_MS
  let replaced = 1
  while (Date.now() - started < duration * 1000) {
    await sleep(250)
    const elapsed = (Date.now() - started) / 1000
    if (elapsed * 1000 >= nextReset) {
      nextReset += RESET_EVERY_MS
      const member = members[resets % members.length] as Member
      if (member.relay.inject('reset', resets, 0)) resets++
    }
    if (elapsed >= nextChurn) {
      nextChurn += CHURN_EVERY_S
      const index = 1 + (replaced++ % (members.length - 1))
      const leaving = members[index] as Member
      await leaving.tower.worker.call('stopFeeding')
      enqueued.push(...await leaving.tower.worker.call<string[]>('enqueuedIds'))
      left += await leaving.tower.worker.call<number>('close', { drain: true }, 60_000)
      await leaving.relay.close()
      await leaving.tower.worker.close()
      const joining = await startMember(leaving.slot)
      members[index] = joining
      for (const other of members) {
        if (other === joining) continue
        await joining.tower.worker.call('expand', { hostname: other.tower.hostname, port: other.tower.port })
        await other.tower.worker.call('expand', { hostname: joining.tower.hostname, port: joining.tower.port })
      }
      churns++
    }
    if (Math.floor(elapsed) > (rss.at(-1)?.[0] ?? -1)) {
      const first = await sample((members[0] as Member).tower)
      rss.push([Math.floor(elapsed), first.rss])
      heap.push([Math.floor(elapsed), first.heapUsed])
    }
  }
  const firstTower = (members[0] as Member).tower
  const last = await sample(firstTower)
  for (const member of members) await member.tower.worker.call('stopFeeding')
  for (const member of members) enqueued.push(...await member.tower.worker.call<string[]>('enqueuedIds'))
  const check = await conservation(members.map(member => member.tower), enqueued, PREFIX)
  const settledFrom = Math.floor(rss.length / 3)
  const s = last.stats
  console.log(`load: ${enqueued.length} messages enqueued, ${churns} towers replaced, ${resets} connections reset`)
  console.log(`first tower: sent ${s.sent}, acked ${s.acked}, received ${s.received}, returned ${s.returned}, dials ${s.dialsMade} (failed ${s.dialsFailed}), sessions ${s.sessions}, peers ${Object.values(s.peers).reduce((a, b) => a + b, 0)}`)
  console.log(`first tower memory: RSS ${MiB(rss[settledFrom]?.[1] ?? 0)} -> ${MiB(last.rss)} (peak ${MiB(last.peakRss)}), heap ${MiB(heap[settledFrom]?.[1] ?? 0)} -> ${MiB(last.heapUsed)} (peak ${MiB(last.peakHeap)})`)
  console.log(`slope over the last two thirds: RSS ${slope(rss.slice(settledFrom)).toFixed(2)} MiB/min, heap ${slope(heap.slice(settledFrom)).toFixed(2)} MiB/min`)
  console.log(`messages: ${check.lost} lost, ${check.duplicated} duplicated, ${left} left by a drained tower${check.settled ? '' : ' (in flight did not settle)'}`)
  for (const member of members) {
    await member.tower.worker.call('close', { drain: false })
    await member.relay.close()
  }
  killAllWorkers()
  process.exitCode = check.lost > 0 || check.duplicated > 0 || !check.settled ? 1 : 0
}

main().catch(error => {
  console.error(error)
  killAllWorkers()
  process.exitCode = 1
})
