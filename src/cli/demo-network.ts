/**
 * The demo's network: towers on loopback addresses 127.0.0.2, 127.0.0.3, …
 * (separate hosts as far as the towers are concerned), linked in a chain so
 * that each knows only its neighbours at first, and the check that every
 * injected message is still held exactly once.
 */
import { generateCertificate, ListenError, Tower } from '../index.js'

export interface DemoTower {
  /** t1, t2, … */
  name: string
  tower: Tower
  /** HOST:PORT */
  address: string
}

export interface Conservation {
  injected: number
  /** Distinct injected ids held somewhere. */
  held: number
  lost: number
  /** Extra copies of injected ids. */
  duplicated: number
  /** Held ids nobody injected (there should be none). */
  unknown: number
  /** Whether every in-flight message was settled before counting. */
  settled: boolean
  /** Messages still in flight when the wait ended (0 when settled). */
  stillInFlight: number
  /** Per tower, the messages it holds. */
  holdings: number[]
  meanHops: number
  maxHops: number
  ok: boolean
}

/** Starts `count` towers on 127.0.0.2… ; falls back to 127.0.0.1 with distinct ports where those are not loopback (macOS). */
export async function startNetwork (count: number, sendrate: number): Promise<{ towers: DemoTower[], sharedHost: boolean }> {
  const spread = Array.from({ length: count }, (_, i) => `127.0.0.${i + 2}`)
  try {
    return { towers: await startTowers(spread, sendrate), sharedHost: false }
  } catch (error) {
    const code = error instanceof ListenError ? error.reason : undefined
    if (code !== 'EADDRNOTAVAIL') throw error
    return { towers: await startTowers(spread.map(() => '127.0.0.1'), sendrate), sharedHost: true }
  }
}

async function startTowers (hosts: string[], sendrate: number): Promise<DemoTower[]> {
  const certificates = new Map<string, ReturnType<typeof generateCertificate>>()
  for (const host of hosts) if (!certificates.has(host)) certificates.set(host, generateCertificate({ hostname: host, days: 1 }))
  const started = await Promise.allSettled(hosts.map(async (host, i) => {
    const { key, cert } = await (certificates.get(host) as ReturnType<typeof generateCertificate>)
    const tower = await new Tower().init(key, cert, { hostname: host, port: 0, sendrate })
    return { name: `t${i + 1}`, tower, address: `${host}:${tower.port}` }
  }))
  const towers = started.flatMap(result => result.status === 'fulfilled' ? [result.value] : [])
  const failed = started.find(result => result.status === 'rejected')
  if (failed !== undefined) {
    await closeAll(towers)
    throw failed.reason
  }
  return towers
}

/**
 * The towers join one after the other, each announcing itself to the one
 * before it only (t2→t1, t3→t2, …), `gapMs` apart so that a person can watch
 * every newcomer learn of the others. Stops early when `cancelled()` says so.
 */
export async function joinChain (towers: DemoTower[], gapMs: number, joining: (t: DemoTower, to: DemoTower) => void, cancelled: () => boolean): Promise<void> {
  for (let i = 1; i < towers.length && !cancelled(); i++) {
    if (i > 1) await new Promise(resolve => setTimeout(resolve, gapMs))
    const t = towers[i] as DemoTower
    const to = towers[i - 1] as DemoTower
    joining(t, to)
    await t.tower.announce(to.tower.hostname, to.tower.port)
  }
}

export function inject (tower: Tower, count: number): Set<string> {
  const ids = new Set<string>()
  for (let i = 1; i <= count; i++) ids.add(tower.enqueue(`message ${i} of ${count}`))
  return ids
}

/**
 * Pauses every tower, waits (at most `waitMs`) until nothing is in flight
 * anywhere, then counts the distinct ids every tower holds against `injected`.
 */
export async function checkConservation (towers: DemoTower[], injected: ReadonlySet<string>, waitMs: number): Promise<Conservation> {
  for (const { tower } of towers) tower.pause()
  const deadline = Date.now() + waitMs
  const inFlight = (): number => towers.reduce((sum, { tower }) => sum + tower.stats().inFlight, 0)
  while (inFlight() > 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  const stillInFlight = inFlight()

  const copies = new Map<string, number>()
  const holdings: number[] = []
  let hopsTotal = 0
  let maxHops = 0
  let held = 0
  for (const { tower } of towers) {
    const messages = tower.peek({ inFlight: true })
    holdings.push(messages.length)
    for (const message of messages) {
      copies.set(message.id, (copies.get(message.id) ?? 0) + 1)
      hopsTotal += message.hops
      maxHops = Math.max(maxHops, message.hops)
      held++
    }
  }
  let found = 0
  let duplicated = 0
  let unknown = 0
  for (const [id, count] of copies) {
    if (!injected.has(id)) unknown++
    else {
      found++
      duplicated += count - 1
    }
  }
  const lost = injected.size - found
  const settled = stillInFlight === 0
  return {
    injected: injected.size,
    held: found,
    lost,
    duplicated,
    unknown,
    settled,
    stillInFlight,
    holdings,
    meanHops: held === 0 ? 0 : hopsTotal / held,
    maxHops,
    ok: settled && lost === 0 && duplicated === 0 && unknown === 0
  }
}

export async function closeAll (towers: DemoTower[]): Promise<void> {
  await Promise.allSettled(towers.map(({ tower }) => tower.close({ drain: false })))
}
