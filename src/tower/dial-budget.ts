/**
 * How many dials a tower makes to addresses nobody vouched for: towers it
 * heard of only from another tower (a message's friend, an announce, a
 * dialer's Hello) and has never completed a handshake with. Such an address
 * is a hint, not an order: without these bounds one hostile peer naming a
 * new made-up friend in every message made a tower dial 2,000 third-party
 * addresses in 30 s, at the attacker's own rate.
 *
 * Four bounds, each a token bucket or a count:
 * - per source (the /24 or /48 the hint came from): one peer cannot spend
 *   the tower's whole budget, so hints from honest towers still get dialled;
 * - per destination host: the tower never becomes a steady stream of dials
 *   at one third party, whatever ports the hints name;
 * - tower-wide: the sum over every source, so an attacker with many
 *   addresses gets no more than the tower's discovery rate;
 * - handshakes in progress: dials still connecting (to any address, vouched
 *   or not) have a cap of their own, so silent addresses can never hold the
 *   connection slots real towers need.
 */
export interface DialBudgetLimits {
  /** Unverified dials per second per source group, and the burst. */
  perSourceRate: number
  perSourceBurst: number
  /** Unverified dials per second per destination host, and the burst. */
  perHostRate: number
  perHostBurst: number
  /** Unverified dials per second for the whole tower, and the burst. */
  towerRate: number
  towerBurst: number
  /** Outbound dials still handshaking, at most (all of them), and of those unverified. */
  maxHandshaking: number
  maxUnverifiedHandshaking: number
}

/**
 * The defaults, for a tower with `maxConnections` slots. Honest discovery is
 * slow: a tower learns a few new towers a minute from its friends, and one
 * dial each settles them (a success verifies the address for good). So 2 a
 * second per source (burst 4) leaves an honest peer's hints going through at
 * once, 1 a second per host (burst 2) is a rate no third party would call a
 * flood, and 10 a second tower-wide (burst 10) is still 36,000 new towers an
 * hour. Handshakes: an eighth of the connection slots (128 of 1,024) for all
 * dials in progress, a quarter of those for unverified ones; silent
 * addresses time out after handshakeTimeout (10 s), so at most 32 of them are
 * pending at a time, and the other 7/8 of the slots stay for open links and
 * inbound connections.
 */
export function defaultDialLimits (maxConnections: number): DialBudgetLimits {
  const maxHandshaking = Math.max(2, Math.floor(maxConnections / 8))
  return {
    perSourceRate: 2,
    perSourceBurst: 4,
    perHostRate: 1,
    perHostBurst: 2,
    towerRate: 10,
    towerBurst: 10,
    maxHandshaking,
    maxUnverifiedHandshaking: Math.max(1, Math.floor(maxHandshaking / 4))
  }
}

/** A token bucket read lazily: tokens refill with time only when looked at. */
class Bucket {
  tokens: number
  at: number

  constructor (readonly rate: number, readonly burst: number, now: number) {
    this.tokens = burst
    this.at = now
  }

  refill (now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.at) * this.rate / 1000)
    this.at = now
  }

  get full (): boolean {
    return this.tokens >= this.burst
  }
}

/** Why a dial did not start: which bound held it back. */
export type DialRefusal = 'source' | 'host' | 'tower' | 'handshaking'

export class DialBudget {
  readonly #limits: DialBudgetLimits
  readonly #now: () => number
  readonly #tower: Bucket
  readonly #bySource = new Map<string, Bucket>()
  readonly #byHost = new Map<string, Bucket>()
  /** Dials connecting now, all of them and the unverified ones. */
  handshaking = 0
  unverifiedHandshaking = 0

  constructor (limits: DialBudgetLimits, now: () => number) {
    this.#limits = limits
    this.#now = now
    this.#tower = new Bucket(limits.towerRate, limits.towerBurst, now())
  }

  /**
   * Whether a dial may start now, taking its share of every bound that
   * applies when it may; the reason when it may not. A vouched address is
   * bound only by the handshakes in progress.
   */
  tryDial (host: string, source: string | undefined): DialRefusal | undefined {
    const limits = this.#limits
    if (this.handshaking >= limits.maxHandshaking) return 'handshaking'
    if (source === undefined) return undefined
    if (this.unverifiedHandshaking >= limits.maxUnverifiedHandshaking) return 'handshaking'
    const now = this.#now()
    const perSource = this.#bucket(this.#bySource, source, limits.perSourceRate, limits.perSourceBurst, now)
    if (perSource.tokens < 1) return 'source'
    const perHost = this.#bucket(this.#byHost, host.toLowerCase(), limits.perHostRate, limits.perHostBurst, now)
    if (perHost.tokens < 1) return 'host'
    this.#tower.refill(now)
    if (this.#tower.tokens < 1) return 'tower'
    perSource.tokens--
    perHost.tokens--
    this.#tower.tokens--
    return undefined
  }

  /** Forgets the buckets that refilled: they hold nothing a new one would not. */
  prune (): void {
    const now = this.#now()
    for (const buckets of [this.#bySource, this.#byHost]) {
      for (const [key, bucket] of buckets) {
        bucket.refill(now)
        if (bucket.full) buckets.delete(key)
      }
    }
  }

  /** Buckets remembered: bounded by the sources and hosts of the last few seconds. */
  get tracked (): number {
    return this.#bySource.size + this.#byHost.size
  }

  #bucket (buckets: Map<string, Bucket>, key: string, rate: number, burst: number, now: number): Bucket {
    let bucket = buckets.get(key)
    if (bucket === undefined) {
      bucket = new Bucket(rate, burst, now)
      buckets.set(key, bucket)
    } else {
      bucket.refill(now)
    }
    return bucket
  }
}
