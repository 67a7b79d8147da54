import { addressKey, type TowerAddress } from '../core/address.js'

/**
 * A peer's standing, as the original spec defines it:
 *
 *   new ──success──▶ alive ──failure──▶ lost ──killtimeout──▶ dead
 *    │                 ▲                  │                     │
 *    └──failure──▶ lost└─────success──────┴───────success───────┘
 *
 * ignored is entered only by ignore() and never left.
 */
export type PeerStatus = 'new' | 'alive' | 'lost' | 'dead' | 'ignored'

export const PEER_STATUSES: readonly PeerStatus[] = ['new', 'alive', 'lost', 'dead', 'ignored']

/**
 * How pick() chooses among alive peers. 'spec': at random, as the original
 * spec. 'least-recent': the one picked longest ago among a few random usable
 * candidates — an alternative studied by `clacks dynamics` (docs/dynamics.md),
 * not a recommendation; the statuses' chances are the spec's either way.
 */
export type PeerPolicy = 'spec' | 'least-recent'

export const PEER_POLICIES: readonly PeerPolicy[] = ['spec', 'least-recent']

/** What survey() shows of a peer. */
export interface PeerView extends TowerAddress {
  status: PeerStatus
  /** When the peer entered its status (ms since the epoch). */
  since: number
  /** When the peer was first added (ms since the epoch). */
  discovered: number
}

/**
 * Who vouches for a peer's address: the operator (expand(), announce(), the
 * command line), the tower itself (it dialled us, or announced itself), or
 * a hint from another tower (a message's friend, an announce naming someone
 * else). Hints are the cheapest to make up, so they come last in everything.
 */
export type PeerOrigin = 'operator' | 'self' | 'hint'

/** How a tower not added by the operator was learned: what vouches for it, and the source group of the connection that told us. */
export interface Learned {
  origin: 'self' | 'hint'
  source: string
}

export interface Peer extends TowerAddress {
  readonly key: string
  status: PeerStatus
  origin: PeerOrigin
  /** The source group that told us, for an address not given by the operator. */
  source: string | undefined
  /** A Clacks handshake with it succeeded: the address is a tower's. */
  verified: boolean
  /** Clock time the status was entered. */
  since: number
  readonly discovered: number
  /** Index in its status bucket's list, for O(1) removal. */
  slot: number
  /** When pick() last chose it, as a count of picks (0: never); kept only under the 'least-recent' policy. */
  picked: number
}

export interface PeerTableEvents {
  discovered (peer: Peer): void
  updated (peer: Peer, previous: PeerStatus): void
  /** Dropped to make room; it may still be added again later, as a new peer. */
  evicted (peer: Peer): void
}

export interface PeerTableOptions {
  self: TowerAddress
  maxPeers: number
  killtimeout: number
  random: () => number
  now: () => number
  events: PeerTableEvents
  /** Whether a peer may be dropped to make room: not while it holds messages of ours. */
  canEvict: (peer: Peer) => boolean
  /** Unverified hints one source group may have in the table at most. @default maxHintsPerSource(maxPeers) */
  maxHintsPerSource?: number
  /** @default 'spec' */
  policy?: PeerPolicy
}

/**
 * The default quota of unverified hints per source group: a sixteenth of the
 * table (625 of 10,000), at least 8. One peer cannot fill the table alone; it
 * takes 16 source groups (16 different /24s) to fill it with made-up towers,
 * and even then hints evict only hints, largest source first.
 */
export function maxHintsPerSource (maxPeers: number): number {
  return Math.max(8, Math.ceil(maxPeers / 16))
}

/**
 * One status's peers: a list for O(1) random picks and removal by swap, and an
 * insertion-ordered set so the peer longest in this status is found in O(1).
 */
class StatusBucket {
  readonly list: Peer[] = []
  readonly byAge = new Set<Peer>()

  add (peer: Peer): void {
    peer.slot = this.list.length
    this.list.push(peer)
    this.byAge.add(peer)
  }

  remove (peer: Peer): void {
    const last = this.list.pop() as Peer
    if (last !== peer) {
      this.list[peer.slot] = last
      last.slot = peer.slot
    }
    this.byAge.delete(peer)
  }

  /** The peer longest in this status that `allowed` accepts. */
  oldest (allowed: (peer: Peer) => boolean): Peer | undefined {
    for (const peer of this.byAge) if (allowed(peer)) return peer
    return undefined
  }
}

/** Chance thresholds from the spec: alive 95 %, lost 4.999 %, dead 0.001 %. */
const ALIVE_BELOW = 0.95
const LOST_BELOW = 0.99999

/** When the status drawn has no usable peer, the next list in this cycle is tried. */
const FALL_THROUGH: Record<'alive' | 'lost' | 'dead', Array<'alive' | 'lost' | 'dead'>> = {
  alive: ['alive', 'lost', 'dead'],
  lost: ['lost', 'dead', 'alive'],
  dead: ['dead', 'alive', 'lost']
}

/** Candidates the 'least-recent' policy compares: enough to find a stale peer among ~8 neighbours. */
const LEAST_RECENT_CANDIDATES = 4

/** Random tries in a bucket larger than this before it counts as having no usable peer. */
const PICK_SAMPLES = 16

/**
 * Lost and dead towers are tried one at a time: the spec draws one, and it is
 * usable only in the rare moment its link is open (a tower that answers is
 * alive again). Trying more would only start more doomed dials, and cost a
 * sweep of a large table every time the alive towers' links are full.
 */
const LONG_SHOT_SAMPLES = 1

/**
 * Picks that pass over the new peers after a pass found none usable. New
 * peers are usually waiting on a dial (in backoff, or held back by the dial
 * budget): sampling them first on every pick cost a flood of 625 made-up
 * friends three quarters of a good link's throughput (16 tries per message).
 * Skipping them for 255 picks delays a new peer by at most that many messages.
 */
const NEW_SKIP_PICKS = 255

/**
 * ...and for at most this long. Picks are only as frequent as messages: a
 * tower whose known peers were nearly all unreachable made a pick a few
 * times a second (when a dial failed), so 255 of them kept it from its one
 * good peer for a minute, and two towers that each knew 999 dead addresses
 * besides each other moved nothing.
 */
const NEW_SKIP_MS = 50

/** Statuses a full table may evict to make room, in order. Never alive, never ignored. */
const EVICTABLE: PeerStatus[] = ['dead', 'lost', 'new']

/** The peer is an unverified hint: it counts against its source's quota, and is the first to go. */
function isHint (peer: Peer): boolean {
  return peer.origin === 'hint' && !peer.verified
}

/**
 * The source group to bound dials to this peer by, or undefined when the
 * address is vouched for (given by the operator, or a handshake with it
 * succeeded).
 */
export function unverifiedSource (peer: Peer): string | undefined {
  return peer.verified || peer.origin === 'operator' ? undefined : peer.source ?? ''
}

export class PeerTable {
  readonly #peers = new Map<string, Peer>()
  readonly #buckets: Record<PeerStatus, StatusBucket> = {
    new: new StatusBucket(),
    alive: new StatusBucket(),
    lost: new StatusBucket(),
    dead: new StatusBucket(),
    ignored: new StatusBucket()
  }

  /** Unverified hints by the source group that told us, oldest first. */
  readonly #hintsBySource = new Map<string, Set<Peer>>()
  readonly #selfKey: string
  readonly #options: PeerTableOptions
  readonly #maxHintsPerSource: number
  /** Picks left that pass over the new peers (see NEW_SKIP_PICKS). */
  #newSkips = 0
  #newSkipsUntil = 0
  /** Additions refused because the table was full of alive and ignored peers (or, for a hint, of peers hints may not evict). */
  refusedFull = 0
  /** Hints refused because their source already had its quota of them in the table. */
  refusedSourceQuota = 0
  /** Picks made under the 'least-recent' policy: its clock (ties within a millisecond are common). */
  #picks = 0

  constructor (options: PeerTableOptions) {
    this.#options = options
    this.#selfKey = addressKey(options.self.hostname, options.self.port)
    this.#maxHintsPerSource = options.maxHintsPerSource ?? maxHintsPerSource(options.maxPeers)
  }

  get size (): number {
    return this.#peers.size
  }

  get (hostname: string, port: number): Peer | undefined {
    return this.#peers.get(addressKey(hostname, port))
  }

  /** The peer under an addressKey() already computed. */
  getByKey (key: string): Peer | undefined {
    return this.#peers.get(key)
  }

  isSelf (hostname: string, port: number): boolean {
    return addressKey(hostname, port) === this.#selfKey
  }

  isIgnored (hostname: string, port: number): boolean {
    return this.get(hostname, port)?.status === 'ignored'
  }

  count (status: PeerStatus): number {
    return this.#buckets[status].list.length
  }

  /**
   * Adds a tower as "new" (or with the given status), given by the operator
   * unless `learned` says how else. Returns the peer, existing or added, or
   * undefined if it is us or there is no room. A hint is refused once its
   * source has its quota of hints in the table, and may evict only other
   * hints: never a tower the operator gave, one that told us about itself,
   * or one verified by a handshake.
   */
  add (address: TowerAddress, status: PeerStatus = 'new', key = addressKey(address.hostname, address.port), learned?: Learned): Peer | undefined {
    if (key === this.#selfKey) return undefined
    const existing = this.#peers.get(key)
    if (existing !== undefined) {
      if (learned?.origin !== 'hint') this.#vouch(existing, learned === undefined ? 'operator' : 'self')
      return existing
    }
    const hint = learned?.origin === 'hint'
    if (hint && (this.#hintsBySource.get(learned.source)?.size ?? 0) >= this.#maxHintsPerSource) {
      this.refusedSourceQuota++
      return undefined
    }
    if (this.#peers.size >= this.#options.maxPeers && !this.#evictOne(hint)) {
      this.refusedFull++
      return undefined
    }
    const now = this.#options.now()
    const peer: Peer = {
      key,
      hostname: address.hostname,
      port: address.port,
      status,
      origin: learned?.origin ?? 'operator',
      source: learned?.source,
      verified: false,
      since: now,
      discovered: now,
      slot: -1,
      picked: 0
    }
    this.#peers.set(key, peer)
    this.#buckets[status].add(peer)
    if (hint) this.#addHint(peer)
    this.#options.events.discovered(peer)
    return peer
  }

  /** A hand-off to or from the peer worked: new, lost and dead become alive. */
  markSuccess (peer: Peer): void {
    if (peer.status !== 'alive' && peer.status !== 'ignored') this.#transition(peer, 'alive')
  }

  /** A Clacks handshake with the peer's address completed: it is a tower's, whoever named it. */
  markVerified (peer: Peer): void {
    if (peer.verified) return
    this.#removeHint(peer)
    peer.verified = true
  }

  /** Unverified hints from this source group in the table. */
  hintsFrom (source: string): number {
    return this.#hintsBySource.get(source)?.size ?? 0
  }

  /** A hand-off to the peer failed: new and alive become lost; lost past killtimeout becomes dead. */
  markFailure (peer: Peer): void {
    if (peer.status === 'new' || peer.status === 'alive') this.#transition(peer, 'lost')
    else if (peer.status === 'lost' && this.#options.now() - peer.since >= this.#options.killtimeout) this.#transition(peer, 'dead')
  }

  /** Moves every lost peer past killtimeout to dead; returns them. */
  sweep (): Peer[] {
    const deadline = this.#options.now() - this.#options.killtimeout
    const expired: Peer[] = []
    // byAge is in order of entering "lost": stop at the first one still in time.
    for (const peer of this.#buckets.lost.byAge) {
      if (peer.since > deadline) break
      expired.push(peer)
    }
    for (const peer of expired) this.#transition(peer, 'dead')
    return expired
  }

  ignore (address: TowerAddress): Peer {
    const peer = this.get(address.hostname, address.port)
    if (peer === undefined) {
      // An explicit ignore always takes effect, even over the size limit.
      const key = addressKey(address.hostname, address.port)
      const now = this.#options.now()
      const added: Peer = { key, hostname: address.hostname, port: address.port, status: 'ignored', origin: 'operator', source: undefined, verified: false, since: now, discovered: now, slot: -1, picked: 0 }
      this.#peers.set(key, added)
      this.#buckets.ignored.add(added)
      this.#options.events.discovered(added)
      return added
    }
    this.#vouch(peer, 'operator')
    if (peer.status !== 'ignored') this.#transition(peer, 'ignored')
    return peer
  }

  /**
   * When picks will look at the new peers again, while they are being
   * passed over (see NEW_SKIP_MS); undefined when they are not.
   */
  get newPeersSkippedUntil (): number | undefined {
    return this.#newSkips > 0 && this.#buckets.new.list.length > 0 && this.#options.now() < this.#newSkipsUntil ? this.#newSkipsUntil : undefined
  }

  /**
   * Chooses the next recipient: a random "new" peer if any is usable; else
   * alive (95 %), lost (4.999 %) or dead (0.001 %), falling through to the
   * next list when the drawn one has no usable peer. Ignored never. After
   * a fruitless pass over more than PICK_SAMPLES new peers, the next
   * NEW_SKIP_PICKS picks go straight to the draw.
   */
  pick (usable: (peer: Peer) => boolean): Peer | undefined {
    if (this.#newSkips > 0 && this.#options.now() < this.#newSkipsUntil) {
      this.#newSkips--
    } else {
      const fresh = this.#pickFrom(this.#buckets.new, usable)
      if (fresh !== undefined) return fresh
      if (this.#buckets.new.list.length > PICK_SAMPLES) {
        this.#newSkips = NEW_SKIP_PICKS
        this.#newSkipsUntil = this.#options.now() + NEW_SKIP_MS
      }
    }
    const draw = this.#options.random()
    const first = draw < ALIVE_BELOW ? 'alive' : draw < LOST_BELOW ? 'lost' : 'dead'
    for (const status of FALL_THROUGH[first]) {
      const peer = status === 'alive' && this.#options.policy === 'least-recent'
        ? this.#pickLeastRecent(this.#buckets.alive, usable)
        : this.#pickFrom(this.#buckets[status], usable, status === 'alive' ? PICK_SAMPLES : LONG_SHOT_SAMPLES)
      if (peer !== undefined) return peer
    }
    return undefined
  }

  /** Of up to LEAST_RECENT_CANDIDATES random usable alive peers, the one picked longest ago. */
  #pickLeastRecent (bucket: StatusBucket, usable: (peer: Peer) => boolean): Peer | undefined {
    let best: Peer | undefined
    for (let i = 0; i < LEAST_RECENT_CANDIDATES; i++) {
      const peer = this.#pickFrom(bucket, usable)
      if (peer === undefined) break
      if (best === undefined || peer.picked < best.picked) best = peer
    }
    if (best !== undefined) best.picked = ++this.#picks
    return best
  }

  /** A random alive peer other than `except`, for the friend field. */
  randomAlive (except?: Peer): Peer | undefined {
    const list = this.#buckets.alive.list
    if (list.length === 0) return undefined
    const peer = list[Math.floor(this.#options.random() * list.length)] as Peer
    if (peer !== except) return peer
    return list.length > 1 ? list[(peer.slot + 1) % list.length] : undefined
  }

  all (): IterableIterator<Peer> {
    return this.#peers.values()
  }

  /**
   * A random usable peer of one bucket. A bucket of `samples` peers or fewer
   * is searched round from a random start; a larger one is sampled `samples`
   * times, so that a pick costs the same with 10,000 peers as with 10 even
   * when most are unusable (in backoff, or their links full) — the send loop
   * picks per message.
   */
  #pickFrom (bucket: StatusBucket, usable: (peer: Peer) => boolean, samples = PICK_SAMPLES): Peer | undefined {
    const list = bucket.list
    if (list.length === 0) return undefined
    const random = this.#options.random
    if (list.length > samples) {
      for (let i = 0; i < samples; i++) {
        const peer = list[Math.floor(random() * list.length)] as Peer
        if (usable(peer)) return peer
      }
      return undefined
    }
    const start = Math.floor(random() * list.length)
    for (let i = 0; i < list.length; i++) {
      const peer = list[(start + i) % list.length] as Peer
      if (usable(peer)) return peer
    }
    return undefined
  }

  /** Someone better than a hint vouches for the peer now: the operator, or the tower itself. */
  #vouch (peer: Peer, origin: 'operator' | 'self'): void {
    if (peer.origin === 'operator' || peer.origin === origin) return
    this.#removeHint(peer)
    peer.origin = origin
  }

  #addHint (peer: Peer): void {
    const source = peer.source ?? ''
    let hints = this.#hintsBySource.get(source)
    if (hints === undefined) {
      hints = new Set()
      this.#hintsBySource.set(source, hints)
    }
    hints.add(peer)
  }

  #removeHint (peer: Peer): void {
    if (!isHint(peer)) return
    const source = peer.source ?? ''
    const hints = this.#hintsBySource.get(source)
    hints?.delete(peer)
    if (hints?.size === 0) this.#hintsBySource.delete(source)
  }

  /**
   * Makes room: the oldest evictable hint of the source with the most hints
   * goes first (so one source churns its own, not others'); for a peer
   * that is not a hint, then the oldest dead, lost or new peer.
   */
  #evictOne (forHint: boolean): boolean {
    const sources = Array.from(this.#hintsBySource.values()).sort((a, b) => b.size - a.size)
    for (const hints of sources) {
      for (const peer of hints) {
        if (peer.status !== 'alive' && this.#options.canEvict(peer)) return this.#evict(peer)
      }
    }
    if (forHint) return false
    for (const status of EVICTABLE) {
      const victim = this.#buckets[status].oldest(this.#options.canEvict)
      if (victim !== undefined) return this.#evict(victim)
    }
    return false
  }

  #evict (victim: Peer): true {
    this.#removeHint(victim)
    this.#buckets[victim.status].remove(victim)
    this.#peers.delete(victim.key)
    this.#options.events.evicted(victim)
    return true
  }

  /** The one place a status changes; emits `updated` only on a real change. */
  #transition (peer: Peer, to: PeerStatus): void {
    const previous = peer.status
    // A peer evicted meanwhile is no longer ours to move (a link may still report on it).
    if (previous === to || this.#peers.get(peer.key) !== peer) return
    this.#buckets[previous].remove(peer)
    peer.status = to
    peer.since = this.#options.now()
    this.#buckets[to].add(peer)
    this.#options.events.updated(peer, previous)
  }
}
