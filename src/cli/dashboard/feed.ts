/**
 * What the dashboard shows of one tower, gathered from its public API: a
 * sample every second kept for the last minutes, the peer table with the
 * status changes seen, recent events, and a sample of messages passing.
 * Subscribers get each second's news as named updates (see docs/dashboard.md).
 */
import type { ClacksMessage, PeerStatus, PeerView, Tower, TowerStats } from '../../index.js'
import { RateMeter } from '../status-line.js'
import { LatencyEstimate } from './latency.js'
import { preview } from './preview.js'

/** One second of the tower, as the charts draw it. */
export interface Tick {
  /** ms since the epoch */
  at: number
  uptimeSeconds: number
  queued: number
  queuedBytes: number
  inFlight: number
  /** Messages taken from peers per second. */
  in: number
  /** Messages peers acknowledged per second. */
  out: number
  /** Mean time from sending a message to its acknowledgement, in ms, estimated (see LatencyEstimate); null when nothing was acknowledged. */
  ackLatencyMs: number | null
  peers: Record<PeerStatus, number>
  connections: { inbound: number, outbound: number }
  paused: boolean
}

/** A peer table row: survey() plus the changes this dashboard saw. */
export interface PeerRow extends PeerView {
  /** When it last became alive (a dial or hand-off succeeded), if seen. */
  lastUp: number | null
  /** When it last became lost (a dial or hand-off failed), if seen. */
  lastDown: number | null
}

export type EventKind = 'discovered' | 'updated' | 'refused' | 'untrusted' | 'protocol' | 'full' | 'paused' | 'resumed'

export interface FeedEvent {
  /** Counts up from 1: a client that has an event's seq has every earlier one. */
  seq: number
  at: number
  kind: EventKind
  text: string
}

/** A message shown for the first time (by this dashboard). */
export interface MessageSample {
  at: number
  id: string
  bytes: number
  hops: number
  /** HOST:PORT it came from, or null when enqueued here. */
  from: string | null
  /** The payload as text (cut), or hex when it is not UTF-8. */
  preview: string
}

export interface Snapshot {
  tower: { hostname: string, port: number, instanceId: string }
  startedAt: number
  paused: boolean
  history: Tick[]
  /** All peers, or the first MAX_PEERS_SENT of them (peerCount says how many there are). */
  peers: PeerRow[]
  peerCount: number
  events: FeedEvent[]
  messages: MessageSample[]
}

export interface FeedUpdate {
  tick: Tick
  peers: PeerRow[]
  events: FeedEvent[]
  messages: MessageSample[]
  /** Messages not shown yet that came this second beyond the sample. */
  messagesUnsampled: number
}

export type FeedListener = (update: FeedUpdate) => void

/** Seconds of history kept for the charts. */
export const HISTORY_SECONDS = 300
const TICK_MS = 1000
/** In-flight counts taken per tick for the latency estimate. */
const IN_FLIGHT_SAMPLES_PER_TICK = 10
const EVENTS_KEPT = 100
const MESSAGES_KEPT = 50
/** Messages passed on to subscribers per second at most; the rest are counted. */
const MESSAGES_PER_TICK = 10
/** Message ids remembered to tell a first sighting from a message coming round again. */
const SEEN_IDS = 10_000
export const MAX_PEERS_SENT = 2000
/** Peers whose last up / down times are remembered (the peer table holds 10,000 by default). */
const REMEMBERED_PEERS = 20_000

/** Counters whose growth is worth an event line: stats key, kind, what happened. */
const COUNTER_EVENTS: Array<[keyof TowerStats, EventKind, string]> = [
  ['refused', 'refused', 'messages refused by peers'],
  ['refusedInbound', 'refused', 'messages from peers refused here'],
  ['tlsFailures', 'untrusted', 'TLS handshakes failed (untrusted or not a tower)'],
  ['ignoredRefused', 'untrusted', 'hellos from ignored towers refused'],
  ['protocolErrors', 'protocol', 'connections ended for breaking the protocol'],
  ['queueFull', 'full', 'messages turned away: the queue is full']
]

export class TowerFeed {
  readonly startedAt = Date.now()
  readonly #tower: Tower
  readonly #history: Tick[] = []
  readonly #events: FeedEvent[] = []
  readonly #messages: MessageSample[] = []
  readonly #changes: { up: Map<string, number>, down: Map<string, number> } = { up: new Map(), down: new Map() }
  readonly #listeners = new Set<FeedListener>()
  readonly #seen = new Set<string>()
  readonly #meter: RateMeter
  readonly #timer: NodeJS.Timeout
  #paused = false
  #eventSeq = 0
  #last: TowerStats
  readonly #latency: LatencyEstimate
  // This second's news, sent with the next tick.
  #changedPeers = new Map<string, PeerView>()
  #newEvents: FeedEvent[] = []
  #newMessages: MessageSample[] = []
  #unsampled = 0

  readonly #onDiscovered = (peer: PeerView): void => {
    this.#peerChanged(peer)
    this.#event('discovered', `discovered ${peer.hostname}:${peer.port} (${peer.status})`)
  }

  readonly #onUpdated = (peer: PeerView & { previous: PeerStatus }): void => {
    const key = `${peer.hostname}:${peer.port}`
    if (peer.status === 'alive') remember(this.#changes.up, key, peer.since)
    if (peer.status === 'lost') remember(this.#changes.down, key, peer.since)
    this.#peerChanged(peer)
    this.#event('updated', `${key} is ${peer.status} (was ${peer.previous})`)
  }

  readonly #onQueued = (message: ClacksMessage): void => {
    if (this.#seen.has(message.id)) return
    // Past this second's share the message is only counted, and stays unseen:
    // it is sampled when it comes round again.
    if (this.#newMessages.length >= MESSAGES_PER_TICK) {
      this.#unsampled++
      return
    }
    this.#seen.add(message.id)
    // A Set iterates in insertion order: the first entry is the oldest.
    if (this.#seen.size > SEEN_IDS) this.#seen.delete(this.#seen.values().next().value as string)
    const sample: MessageSample = {
      at: Date.now(),
      id: message.id,
      bytes: message.payload.length,
      hops: message.hops,
      from: message.from === undefined ? null : `${message.from.hostname}:${message.from.port}`,
      preview: preview(message.payload)
    }
    this.#newMessages.push(sample)
    keep(this.#messages, sample, MESSAGES_KEPT)
  }

  constructor (tower: Tower) {
    this.#tower = tower
    this.#last = tower.stats()
    this.#meter = new RateMeter(this.#last)
    this.#latency = new LatencyEstimate(this.#last.acked, Date.now())
    tower.on('discovered', this.#onDiscovered)
    tower.on('updated', this.#onUpdated)
    let beat = 0
    this.#timer = setInterval(() => {
      this.#latency.sample(tower.stats().inFlight)
      if (++beat % IN_FLIGHT_SAMPLES_PER_TICK === 0) this.#tick()
    }, TICK_MS / IN_FLIGHT_SAMPLES_PER_TICK).unref()
    this.#tick()
  }

  get paused (): boolean {
    return this.#paused
  }

  /** Pauses or resumes the tower's sending, with an event line. */
  setPaused (paused: boolean): void {
    if (paused) this.#tower.pause()
    else this.#tower.resume()
    if (paused !== this.#paused) this.#event(paused ? 'paused' : 'resumed', paused ? 'sending paused from the dashboard' : 'sending resumed from the dashboard')
    this.#paused = paused
  }

  snapshot (): Snapshot {
    const survey = this.#tower.survey()
    return {
      tower: { hostname: this.#tower.hostname, port: this.#tower.port, instanceId: this.#tower.instanceId },
      startedAt: this.startedAt,
      paused: this.#paused,
      history: [...this.#history],
      peers: survey.slice(0, MAX_PEERS_SENT).map(peer => this.#row(peer)),
      peerCount: survey.length,
      events: [...this.#events],
      messages: [...this.#messages]
    }
  }

  /**
   * Calls `listener` with each second's news until the returned function is
   * called. Messages are watched only while someone listens: the 'queued'
   * event costs the tower a copy per message.
   */
  subscribe (listener: FeedListener): () => void {
    if (this.#listeners.size === 0) this.#tower.on('queued', this.#onQueued)
    this.#listeners.add(listener)
    return () => {
      if (!this.#listeners.delete(listener)) return
      if (this.#listeners.size === 0) this.#tower.off('queued', this.#onQueued)
    }
  }

  close (): void {
    clearInterval(this.#timer)
    this.#tower.off('discovered', this.#onDiscovered)
    this.#tower.off('updated', this.#onUpdated)
    this.#tower.off('queued', this.#onQueued)
    this.#listeners.clear()
  }

  #tick (): void {
    const now = Date.now()
    const stats = this.#tower.stats()
    const rates = this.#meter.sample(stats, now)
    for (const [key, kind, what] of COUNTER_EVENTS) {
      const grew = (stats[key] as number) - (this.#last[key] as number)
      if (grew > 0) this.#event(kind, `${grew} ${what}`)
    }
    this.#last = stats
    const tick: Tick = {
      at: now,
      uptimeSeconds: Math.round((now - this.startedAt) / 1000),
      queued: stats.queued,
      queuedBytes: stats.queuedBytes,
      inFlight: stats.inFlight,
      in: rates.in,
      out: rates.out,
      ackLatencyMs: this.#latency.close(stats.acked, now),
      peers: stats.peers,
      connections: stats.connections,
      paused: this.#paused
    }
    keep(this.#history, tick, HISTORY_SECONDS)
    const update: FeedUpdate = {
      tick,
      peers: Array.from(this.#changedPeers.values(), peer => this.#row(peer)),
      events: this.#newEvents,
      messages: this.#newMessages,
      messagesUnsampled: this.#unsampled
    }
    this.#changedPeers = new Map()
    this.#newEvents = []
    this.#newMessages = []
    this.#unsampled = 0
    for (const listener of this.#listeners) listener(update)
  }

  #peerChanged (peer: PeerView): void {
    this.#changedPeers.set(`${peer.hostname}:${peer.port}`, { hostname: peer.hostname, port: peer.port, status: peer.status, since: peer.since, discovered: peer.discovered })
  }

  #row (peer: PeerView): PeerRow {
    const key = `${peer.hostname}:${peer.port}`
    return { ...peer, lastUp: this.#changes.up.get(key) ?? null, lastDown: this.#changes.down.get(key) ?? null }
  }

  #event (kind: EventKind, text: string): void {
    const event = { seq: ++this.#eventSeq, at: Date.now(), kind, text }
    this.#newEvents.push(event)
    keep(this.#events, event, EVENTS_KEPT)
  }
}

/** Sets, forgetting the oldest entry beyond the peer table's largest size: peers come and go. */
function remember (map: Map<string, number>, key: string, value: number): void {
  map.delete(key)
  map.set(key, value)
  if (map.size > REMEMBERED_PEERS) map.delete(map.keys().next().value as string)
}

/** Appends, dropping the oldest beyond `limit`. */
function keep<T> (list: T[], item: T, limit: number): void {
  list.push(item)
  if (list.length > limit) list.shift()
}
