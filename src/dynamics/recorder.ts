import type { PeerStatus } from '../tower/peer-table.js'
import type { Tower } from '../tower/tower.js'

/** Statuses that count as "known" for discovery (ignored towers are known too, but none are ignored here). */
const KNOWN: readonly PeerStatus[] = ['new', 'alive', 'lost', 'dead']

/** A message waiting this long (ms) at one tower is a stall worth describing. */
const STALL_MS = 5_000

/** The network at the end of one second. */
export interface Frame {
  /** Seconds since the messages were injected. */
  t: number
  /** Arrivals per tower so far (cumulative), by tower index. */
  visits: Uint32Array
  /** Towers each tower knows (new, alive, lost or dead), by tower index. */
  known: Uint32Array
  /** Peer-table entries network-wide, by status. */
  statuses: Record<PeerStatus, number>
  /** Hand-offs acknowledged during this second, network-wide. */
  hops: number
  queued: number
  queuedBytes: number
  /** Messages sent and not yet acknowledged: still the sender's. */
  inFlight: number
  /** inFlight times the payload size (every message here has the same size). */
  inFlightBytes: number
  /** Bytes on the wire right now, when the engine can see them (the simulator). */
  wireBytes: number | undefined
  /** Fraction of ordered pairs (a knows b) known, of towers x (towers - 1). */
  discovered: number
}

/** Where a message waited longest, and what that tower looked like meanwhile. */
export interface Stall {
  tower: number
  /** ms the message had waited when last seen there, or when it finally left. */
  waitedMs: number
  /** When the wait began, seconds since injection. */
  since: number
  peers: Record<PeerStatus, number>
  connections: { inbound: number, outbound: number }
}

export interface Observed {
  readonly name: string
  readonly tower: Tower
}

/**
 * Watches a network's towers: a 'message' listener on each counts arrivals
 * and first arrivals; sample() takes one Frame from every tower's stats.
 */
export class Recorder {
  readonly frames: Frame[] = []
  readonly #towers: readonly Observed[]
  readonly #now: () => number
  readonly #payloadBytes: number
  readonly #visits: Uint32Array
  /** ms of each tower's first arrival (-1: none yet); the source counts from its injection. */
  readonly firstArrival: Float64Array
  /** Each message's holder (tower index) and since when (ms), from the arrivals seen. */
  readonly #holder = new Map<string, { tower: number, since: number }>()
  readonly #start: number
  #acked = 0
  longestStall: Stall | undefined

  constructor (towers: readonly Observed[], now: () => number, payloadBytes: number) {
    this.#towers = towers
    this.#now = now
    this.#payloadBytes = payloadBytes
    this.#start = now()
    this.#visits = new Uint32Array(towers.length)
    this.firstArrival = new Float64Array(towers.length).fill(-1)
    towers.forEach(({ tower }, index) => {
      tower.on('message', message => this.#arrived(index, message.id))
    })
  }

  /** Puts a message into tower `index`'s queue, as its first arrival there. */
  inject (index: number, payload: Uint8Array): string {
    const id = (this.#towers[index] as Observed).tower.enqueue(payload)
    this.#arrived(index, id)
    return id
  }

  /** ms since the recorder started. */
  elapsed (): number {
    return this.#now() - this.#start
  }

  #arrived (index: number, id: string): void {
    const now = this.elapsed()
    this.#visits[index] = (this.#visits[index] as number) + 1
    if (this.firstArrival[index] === -1) this.firstArrival[index] = now
    const previous = this.#holder.get(id)
    if (previous !== undefined) this.#noteWait(previous.tower, now - previous.since, previous.since)
    this.#holder.set(id, { tower: index, since: now })
  }

  #noteWait (tower: number, waitedMs: number, since: number): void {
    if (waitedMs < STALL_MS) return
    const stall = this.longestStall
    if (stall !== undefined && stall.tower === tower && stall.since === since / 1000) stall.waitedMs = Math.max(stall.waitedMs, waitedMs)
    else if (stall === undefined || waitedMs > stall.waitedMs) this.longestStall = { tower, waitedMs, since: since / 1000, ...this.#look(tower) }
  }

  #look (tower: number): Pick<Stall, 'peers' | 'connections'> {
    const stats = (this.#towers[tower] as Observed).tower.stats()
    return { peers: { ...stats.peers }, connections: { ...stats.connections } }
  }

  /** One frame: call once a second. `wireBytes` when the engine knows it. */
  sample (wireBytes?: number): Frame {
    const n = this.#towers.length
    const known = new Uint32Array(n)
    const statuses: Record<PeerStatus, number> = { new: 0, alive: 0, lost: 0, dead: 0, ignored: 0 }
    let acked = 0
    let queued = 0
    let queuedBytes = 0
    let inFlight = 0
    let pairs = 0
    this.#towers.forEach(({ tower }, index) => {
      const stats = tower.stats()
      acked += stats.acked
      queued += stats.queued
      queuedBytes += stats.queuedBytes
      inFlight += stats.inFlight
      let count = 0
      for (const status of KNOWN) count += stats.peers[status]
      for (const status of Object.keys(statuses) as PeerStatus[]) statuses[status] += stats.peers[status]
      known[index] = count
      pairs += count
    })
    // A message still waiting where it is counts as a stall too, with that tower's state now.
    const now = this.elapsed()
    for (const { tower, since } of this.#holder.values()) this.#noteWait(tower, now - since, since)
    const frame: Frame = {
      t: Math.round(now / 100) / 10,
      visits: this.#visits.slice(),
      known,
      statuses,
      hops: acked - this.#acked,
      queued,
      queuedBytes,
      inFlight,
      inFlightBytes: inFlight * this.#payloadBytes,
      wireBytes,
      discovered: n < 2 ? 1 : pairs / (n * (n - 1))
    }
    this.#acked = acked
    this.frames.push(frame)
    return frame
  }
}
