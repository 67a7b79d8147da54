import { InvalidOptionError, InvalidPayloadError } from '../errors.js'
import { type Clock, systemClock } from '../core/clock.js'

/**
 * How much time's worth of tokens a default burst holds, in milliseconds.
 *
 * Node fires timers at whole-millisecond resolution, never sooner than 1 ms,
 * and often a few milliseconds late when the event loop is busy with sockets
 * or GC. A pacer that sleeps until tokens accrue loses whatever accrues past
 * the bucket's capacity while it oversleeps; with room for 20 ms of tokens
 * above what one send needs, a wake up to 20 ms late loses nothing and the
 * long-run rate stays exact. It also sets the batch size at high rates: at
 * 100,000 messages/s one 1-ms tick lets ~100 messages through and a late tick
 * up to 2,000, so the loop needs at most ~1,000 timers a second whatever the
 * rate. The cost is the burst itself: after an idle spell, 20 ms of traffic
 * may go back to back. 10 ms would halve that but lose rate whenever the loop
 * stalls 10–20 ms, which a tower under load does; 20 ms is the compromise.
 *
 * @default 20
 */
export const DEFAULT_BURST_MS = 20

/**
 * The two limits of a tower's pacer (its send rates); either or both may be active.
 * A rate of `Infinity` (or `0`, the command line's spelling, which the pacer
 * reads as `Infinity`) is unlimited.
 */
export interface PacerRates {
  /** Messages per second. */
  sendrate: number
  /** Bytes per second on the wire, frame overhead (tags, id, length prefix) included. */
  byterate: number
  /**
   * The most messages sent back to back after an idle spell: the message
   * bucket's capacity, at least 1. Fractions are allowed: the fraction over a
   * whole message is slack that absorbs late timers.
   *
   * @default 1 + sendrate × 20 ms / 1000 (`DEFAULT_BURST_MS`) — one message plus 20 ms of refill
   *   (1.02 at 1 message/s, 21 at 1,000/s, 2,001 at 100,000/s).
   */
  sendburst?: number
  /**
   * The most bytes the byte bucket saves up while idle, at least 1. A message
   * goes whenever the bucket is not in debt, whatever its size (it borrows),
   * so the largest back-to-back run is `byteburst` plus one frame.
   *
   * @default max(1, byterate × 20 ms / 1000) (`DEFAULT_BURST_MS`) — 20 ms of refill
   *   (200 B at 10 KB/s, 2 MB at 100 MB/s). It need not hold a max-size frame,
   *   because a frame larger than the bucket borrows instead of waiting for it
   *   to fill; sizing it to a 1 MiB frame would let a 10 KB/s tower put 100 s of
   *   traffic on the wire at once after an idle spell.
   */
  byteburst?: number
}

/**
 * Slack on the comparisons with token counts, so that the float error of
 * `tokens + elapsed × rate` never turns a wake that arrives exactly on time
 * into one more 1-ms sleep. A millionth of a message or of a byte.
 */
const EPSILON = 1e-6

/** Node runs a longer timer after 1 ms; longer waits are taken in steps of this. */
const TIMEOUT_MAX = 2 ** 31 - 1

/**
 * A token-bucket pacer for the tower's send loop: a message bucket
 * (`sendrate`, `sendburst`) and a byte bucket (`byterate`, `byteburst`),
 * refilled continuously from the clock, each of which may be unlimited.
 *
 * **Admission and borrowing.** A message is admitted when the message bucket
 * holds at least one token and the byte bucket is not in debt (at least 0
 * bytes), whatever the message's size; its full wire size is then debited,
 * so a message larger than the byte burst drives the bucket negative and the
 * messages after it wait until the debt is repaid. Because admission never
 * depends on size, a large message at the head of the queue is never held
 * back where a small one would go: the pacer keeps the queue in strict FIFO
 * order, and each message delays only those behind it, by exactly its own
 * size divided by the byte rate. (This is Guava's `RateLimiter` policy: an
 * expensive request is served at once and the next one pays for it.)
 * Nothing starves, and over any span the bytes sent stay within
 * `byterate × span + byteburst + one frame`.
 *
 * **Timers.** The pacer owns at most one timer. {@link Pacer.wakeWhenReady}
 * sleeps exactly until the tokens the next message needs will have accrued
 * (rounded up to Node's whole milliseconds), checks again when the timer fires
 * and sleeps again if it fired early, so `wake` is called once and only when
 * {@link Pacer.tryTake} will succeed. At high rates each wake finds many
 * messages' worth of tokens and the loop sends them as one batch; see
 * {@link DEFAULT_BURST_MS}.
 *
 * @example
 * // the tower's send loop
 * const pump = (): void => {
 *   while (queue.head !== undefined && link.ready) {
 *     const size = wireSize(queue.head)
 *     if (!pacer.tryTake(size)) { pacer.wakeWhenReady(size, pump); return }
 *     send(queue.shift())
 *   }
 * }
 */
export class Pacer {
  readonly #clock: Clock
  #last: number
  #unlimited = true

  // Message bucket; rates are per millisecond. Unlimited: rate, capacity and tokens are Infinity.
  #msgRate = Infinity
  #msgCap = Infinity
  #msgTokens = Infinity
  // Byte bucket; tokens may be negative (borrowed).
  #byteRate = Infinity
  #byteCap = Infinity
  #byteTokens = Infinity

  // Bursts the caller set explicitly (kept across rate changes); undefined = derived from the rate.
  #sendburst: number | undefined
  #byteburst: number | undefined
  #rates: Readonly<Required<PacerRates>>

  #timer: unknown
  #armed = false
  #wake: (() => void) | undefined
  #wakeBytes = 0

  /**
   * @param rates the limits; both buckets start full.
   * @param clock time and timers; tests pass a `FakeClock` (from `./clock.js`).
   * @throws {InvalidOptionError} when a rate is negative, NaN or not a number, or a burst is below 1
   *   or infinite while its rate is limited.
   */
  constructor (rates: PacerRates, clock: Clock = systemClock) {
    this.#clock = clock
    this.#last = clock.now()
    if (typeof rates !== 'object' || rates === null) throw new InvalidOptionError('rates', 'must be an object with sendrate and byterate')
    this.#rates = this.#apply(resolve(rates, undefined, undefined))
  }

  /**
   * Takes the tokens for one message of `bytes` wire bytes if the pacer admits
   * it now (see {@link Pacer} for the policy); `false` means wait, with nothing
   * taken. Cheap: no allocation, one clock read.
   *
   * @throws {InvalidPayloadError} when `bytes` is not a non-negative finite number.
   */
  tryTake (bytes: number): boolean {
    if (!(bytes >= 0 && bytes !== Infinity)) throw badSize(bytes)
    if (this.#unlimited) return true
    this.#refill(this.#clock.now())
    if (this.#msgTokens < 1 - EPSILON || this.#byteTokens < -EPSILON) return false
    this.#msgTokens -= 1
    this.#byteTokens -= bytes
    return true
  }

  /**
   * Milliseconds until {@link Pacer.tryTake}(bytes) would succeed, unrounded;
   * 0 when it would succeed now. Takes nothing.
   */
  readyIn (bytes: number): number {
    if (!(bytes >= 0 && bytes !== Infinity)) throw badSize(bytes)
    if (this.#unlimited) return 0
    this.#refill(this.#clock.now())
    let wait = 0
    if (this.#msgTokens < 1 - EPSILON) wait = (1 - this.#msgTokens) / this.#msgRate
    if (this.#byteTokens < -EPSILON) wait = Math.max(wait, -this.#byteTokens / this.#byteRate)
    return wait
  }

  /**
   * Arranges one call of `wake`, from a timer, once {@link Pacer.tryTake}(bytes)
   * would succeed; never calls it synchronously. Replaces any earlier pending
   * wake: the pacer holds one timer at most. Returns at once.
   *
   * @throws {InvalidPayloadError} when `bytes` is not a non-negative finite number.
   */
  wakeWhenReady (bytes: number, wake: () => void): void {
    if (!(bytes >= 0 && bytes !== Infinity)) throw badSize(bytes)
    this.#wake = wake
    this.#wakeBytes = bytes
    this.#arm()
  }

  /** Drops a pending wake and its timer (the tower calls this on pause and close). */
  cancel (): void {
    this.#wake = undefined
    this.#disarm()
  }

  /** Whether a wake is pending. */
  get waiting (): boolean {
    return this.#wake !== undefined
  }

  /**
   * Changes rates and bursts at once, without losing the tokens saved so far
   * (they accrue at the old rate up to now, then are capped by the new burst;
   * a debt stays and is repaid at the new rate). A burst left out keeps an
   * explicit value set earlier, or is derived again from the new rate. A bucket
   * that goes from unlimited to limited starts full. A pending wake is re-timed.
   * Nothing changes if any value is invalid.
   *
   * @throws {InvalidOptionError} as the constructor.
   */
  setRate (rates: Partial<PacerRates>): void {
    if (typeof rates !== 'object' || rates === null) throw new InvalidOptionError('rates', 'must be an object')
    const next = resolve({
      sendrate: rates.sendrate === undefined ? this.#rates.sendrate : rates.sendrate,
      byterate: rates.byterate === undefined ? this.#rates.byterate : rates.byterate,
      sendburst: rates.sendburst,
      byteburst: rates.byteburst
    }, this.#sendburst, this.#byteburst)
    this.#refill(this.#clock.now())
    this.#rates = this.#apply(next)
    if (this.#wake !== undefined) this.#arm()
  }

  /** The rates in force, bursts included: the explicit ones or those derived from the rates; Infinity = unlimited. */
  get rates (): Readonly<Required<PacerRates>> {
    return this.#rates
  }

  /** Both buckets unlimited: every {@link Pacer.tryTake} succeeds, and the loop is bounded only by links and sockets. */
  get unlimited (): boolean {
    return this.#unlimited
  }

  #refill (now: number): void {
    const elapsed = now - this.#last
    if (!(elapsed > 0)) return
    this.#last = now
    if (this.#msgRate !== Infinity) {
      const tokens = this.#msgTokens + elapsed * this.#msgRate
      this.#msgTokens = tokens < this.#msgCap ? tokens : this.#msgCap
    }
    if (this.#byteRate !== Infinity) {
      const tokens = this.#byteTokens + elapsed * this.#byteRate
      this.#byteTokens = tokens < this.#byteCap ? tokens : this.#byteCap
    }
  }

  /** Installs resolved settings (tokens already refilled up to now); returns the public snapshot. */
  #apply (next: Resolved): Readonly<Required<PacerRates>> {
    this.#sendburst = next.explicitSendburst
    this.#byteburst = next.explicitByteburst

    const msgWasLimited = this.#msgRate !== Infinity
    this.#msgRate = next.sendrate / 1000
    this.#msgCap = next.sendrate === Infinity ? Infinity : next.sendburst
    this.#msgTokens = next.sendrate === Infinity
      ? Infinity
      : msgWasLimited ? Math.min(this.#msgTokens, this.#msgCap) : this.#msgCap

    const byteWasLimited = this.#byteRate !== Infinity
    this.#byteRate = next.byterate / 1000
    this.#byteCap = next.byterate === Infinity ? Infinity : next.byteburst
    this.#byteTokens = next.byterate === Infinity
      ? Infinity
      : byteWasLimited ? Math.min(this.#byteTokens, this.#byteCap) : this.#byteCap

    this.#unlimited = next.sendrate === Infinity && next.byterate === Infinity
    return Object.freeze({
      sendrate: next.sendrate,
      byterate: next.byterate,
      sendburst: next.sendburst,
      byteburst: next.byteburst
    })
  }

  #arm (): void {
    this.#disarm()
    const wait = this.readyIn(this.#wakeBytes)
    const ms = wait === 0 ? 0 : Math.min(Math.ceil(wait), TIMEOUT_MAX)
    this.#timer = this.#clock.setTimeout(this.#onTimer, ms)
    this.#armed = true
  }

  #disarm (): void {
    if (this.#armed) {
      this.#clock.clearTimeout(this.#timer)
      this.#armed = false
      this.#timer = undefined
    }
  }

  readonly #onTimer = (): void => {
    this.#armed = false
    this.#timer = undefined
    const wake = this.#wake
    if (wake === undefined) return
    // Node may fire a little early against performance.now(): sleep again rather than wake for nothing.
    if (this.readyIn(this.#wakeBytes) > 0) {
      this.#arm()
      return
    }
    this.#wake = undefined
    wake()
  }
}

interface Resolved {
  sendrate: number
  byterate: number
  /** Effective bursts: explicit, or derived from the rate (Infinity for an unlimited rate). */
  sendburst: number
  byteburst: number
  explicitSendburst: number | undefined
  explicitByteburst: number | undefined
}

/**
 * Validates and completes a set of rates. A burst left undefined keeps
 * `keepSend` / `keepByte` (the explicit burst in force, if any) or else is
 * derived from its rate.
 */
function resolve (rates: PacerRates, keepSend: number | undefined, keepByte: number | undefined): Resolved {
  const sendrate = checkRate('sendrate', rates.sendrate, 'messages')
  const byterate = checkRate('byterate', rates.byterate, 'bytes')
  const explicitSendburst = checkBurst('sendburst', rates.sendburst, sendrate, keepSend)
  const explicitByteburst = checkBurst('byteburst', rates.byteburst, byterate, keepByte)
  return {
    sendrate,
    byterate,
    sendburst: explicitSendburst ?? defaultSendburst(sendrate),
    byteburst: explicitByteburst ?? defaultByteburst(byterate),
    explicitSendburst,
    explicitByteburst
  }
}

/** One message plus {@link DEFAULT_BURST_MS} of refill; Infinity for an unlimited rate. */
function defaultSendburst (sendrate: number): number {
  return 1 + sendrate * DEFAULT_BURST_MS / 1000
}

/** {@link DEFAULT_BURST_MS} of refill, at least one byte; Infinity for an unlimited rate. */
function defaultByteburst (byterate: number): number {
  return Math.max(1, byterate * DEFAULT_BURST_MS / 1000)
}

function checkRate (name: string, value: unknown, unit: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new InvalidOptionError(name, `must be a non-negative number of ${unit} per second, or Infinity (or 0) for unlimited; got ${String(value)}`)
  }
  return value === 0 ? Infinity : value
}

/** Returns the explicit burst in force afterwards, or undefined to derive it from the rate. */
function checkBurst (name: string, value: unknown, rate: number, keep: number | undefined): number | undefined {
  if (value === undefined) return keep
  if (typeof value !== 'number' || Number.isNaN(value) || value < 1) {
    throw new InvalidOptionError(name, `must be a number of at least 1; got ${String(value)}`)
  }
  if (value === Infinity) {
    // What `rates` reports for an unlimited bucket: passing it back means "derive".
    if (rate === Infinity) return undefined
    throw new InvalidOptionError(name, 'must be finite while its rate is limited')
  }
  return value
}

function badSize (bytes: number): InvalidPayloadError {
  return new InvalidPayloadError(`a message's wire size must be a non-negative finite number of bytes; got ${String(bytes)}`)
}
