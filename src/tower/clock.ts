/**
 * Time as the tower core sees it: a monotonic millisecond counter and one-shot
 * timers. Everything in `src/tower/` that waits takes a {@link Clock}, so tests
 * drive it with a `FakeClock` (below) and run deterministically, in no real time.
 */
export interface Clock {
  /** Milliseconds, monotonic (default: `performance.now()`). Never goes back. */
  now(): number
  /** Calls `callback` once, `ms` milliseconds from now; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown
  /** Cancels a timer from {@link Clock.setTimeout}; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: unknown): void
}

/**
 * The real clock: `performance.now()` and Node's timers. Node runs a timer no
 * sooner than 1 ms and at whole-millisecond resolution, so callers that need a
 * precise wake round up and check the time again when it fires.
 */
export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
  setTimeout: (callback: () => void, ms: number): unknown => setTimeout(callback, ms),
  clearTimeout: (handle: unknown): void => { clearTimeout(handle as ReturnType<typeof setTimeout>) }
})

/** Node's rule: a delay below 1 ms, above 2^31-1 ms or not a number becomes 1 ms. */
const TIMEOUT_MAX = 2 ** 31 - 1

function nodeDelay (ms: number): number {
  return ms >= 1 && ms <= TIMEOUT_MAX ? ms : 1
}

interface FakeTimer {
  readonly id: number
  readonly at: number
  readonly callback: () => void
}

/**
 * A clock for tests. Time stands still until {@link FakeClock.advance} moves it;
 * due timers then run in order of due time (ties in order of creation), each
 * with `now()` set to its own due time, including timers that callbacks set
 * within the advanced span. Delays follow Node's rule (under 1 ms → 1 ms), so
 * code tested here meets the same floor as under the real clock.
 *
 * @example
 * const clock = new FakeClock()
 * clock.setTimeout(() => { fired = clock.now() }, 5)
 * clock.advance(10) // fired === 5, clock.now() === 10
 */
export class FakeClock implements Clock {
  #now: number
  #nextId = 1
  #timers: FakeTimer[] = []
  /** How many timers were ever set: lets tests assert timer discipline. */
  timersSet = 0

  constructor (start = 0) {
    this.#now = start
  }

  now (): number {
    return this.#now
  }

  setTimeout (callback: () => void, ms: number): unknown {
    const timer: FakeTimer = { id: this.#nextId++, at: this.#now + nodeDelay(ms), callback }
    this.#timers.push(timer)
    this.timersSet++
    return timer.id
  }

  clearTimeout (handle: unknown): void {
    const i = this.#timers.findIndex(timer => timer.id === handle)
    if (i >= 0) this.#timers.splice(i, 1)
  }

  /** Timers set and not yet fired nor cleared. */
  get pending (): number {
    return this.#timers.length
  }

  /** Due time of the earliest pending timer, or `undefined` when none is pending. */
  get nextDue (): number | undefined {
    return this.#earliest()?.at
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way. */
  advance (ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot advance a clock by ${ms} ms`)
    this.advanceTo(this.#now + ms)
  }

  /** Moves time forward to `time` (not back), running every timer due by then. */
  advanceTo (time: number): void {
    if (!(time >= this.#now)) throw new RangeError(`cannot move a clock from ${this.#now} back to ${time}`)
    for (;;) {
      const timer = this.#earliest()
      if (timer === undefined || timer.at > time) break
      this.#timers.splice(this.#timers.indexOf(timer), 1)
      this.#now = timer.at
      timer.callback()
    }
    this.#now = time
  }

  /** Runs the earliest pending timer (moving time to it); false when none is pending. */
  runNext (): boolean {
    const timer = this.#earliest()
    if (timer === undefined) return false
    this.advanceTo(timer.at)
    return true
  }

  #earliest (): FakeTimer | undefined {
    let best: FakeTimer | undefined
    for (const timer of this.#timers) {
      if (best === undefined || timer.at < best.at || (timer.at === best.at && timer.id < best.id)) best = timer
    }
    return best
  }
}
