/**
 * Time as the tower sees it: a monotonic millisecond counter, one-shot
 * timers, and the two ways Node defers work within a turn of the event loop.
 * Every wait and every deferral of the tower, its links and its connections
 * goes through one {@link Clock}: production passes `systemClock`; tests
 * and the simulator (`clacks/sim`) pass a `FakeClock`, which runs the
 * same code in virtual time, deterministically.
 */
export interface Clock {
  /** Milliseconds, monotonic (default: `performance.now()`). Never goes back. */
  now(): number
  /** Calls `callback` once, `ms` milliseconds from now; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown
  /** Cancels a timer from {@link Clock.setTimeout}; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: unknown): void
  /** Calls `callback` after the I/O already due has been handled (Node's `setImmediate`). */
  setImmediate(callback: () => void): void
  /** Calls `callback` as soon as the current callback returns, before any I/O (Node's `process.nextTick`). */
  nextTick(callback: () => void): void
  /** Wall-clock time for `now()`, in milliseconds since the Unix epoch: only for what people read (peer views). */
  wallTime(): number
}

/**
 * The real clock: `performance.now()` and Node's timers. Node runs a timer no
 * sooner than 1 ms and at whole-millisecond resolution, so callers that need a
 * precise wake round up and check the time again when it fires.
 */
export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
  setTimeout: (callback: () => void, ms: number): unknown => setTimeout(callback, ms),
  clearTimeout: (handle: unknown): void => { clearTimeout(handle as ReturnType<typeof setTimeout>) },
  setImmediate: (callback: () => void): void => { setImmediate(callback) },
  nextTick: (callback: () => void): void => { process.nextTick(callback) },
  wallTime: () => Date.now()
})

/** Node's rule: a delay below 1 ms, above 2^31-1 ms or not a number becomes 1 ms. */
const TIMEOUT_MAX = 2 ** 31 - 1

function nodeDelay (ms: number): number {
  return ms >= 1 && ms <= TIMEOUT_MAX ? ms : 1
}

interface FakeTimer {
  /** Creation order: among timers due at the same time, the older runs first. */
  readonly id: number
  readonly at: number
  callback: (() => void) | undefined
}

/** Whether timer a runs before timer b. */
const before = (a: FakeTimer, b: FakeTimer): boolean => a.at < b.at || (a.at === b.at && a.id < b.id)

/**
 * A clock for tests and for the simulator. Time stands still until
 * {@link FakeClock.advance} moves it; due timers then run in order of due
 * time (ties in order of creation), each with `now()` set to its own due time,
 * including timers that callbacks set within the advanced span. Delays follow
 * Node's rule (under 1 ms → 1 ms), so code tested here meets the same floor as
 * under the real clock. `setImmediate` is a timer due now, after those already
 * due now; `nextTick` callbacks run as soon as the callback that made them
 * returns. Timers live in a binary heap, and a cleared one is only marked, so
 * a simulation of many thousands of towers pays O(log n) per timer.
 *
 * @example
 * const clock = new FakeClock()
 * clock.setTimeout(() => { fired = clock.now() }, 5)
 * clock.advance(10) // fired === 5, clock.now() === 10
 */
export class FakeClock implements Clock {
  #now: number
  #nextId = 1
  readonly #heap: FakeTimer[] = []
  /** Immediates in order: all due now, so a queue keeps them in order without the heap. */
  #immediates: Array<FakeTimer | undefined> = []
  #immediatesHead = 0
  #pending = 0
  #ticks: Array<() => void> = []
  /** How many timers were ever set: lets tests assert timer discipline. */
  timersSet = 0
  /** Callbacks run so far (timers, immediates and ticks): the simulator's event count. */
  callbacksRun = 0

  constructor (start = 0, readonly epoch = 0) {
    this.#now = start
  }

  now (): number {
    return this.#now
  }

  wallTime (): number {
    return this.epoch + this.#now
  }

  /** The handle is the timer itself: clearing it needs no lookup. */
  setTimeout (callback: () => void, ms: number): unknown {
    this.timersSet++
    const timer = this.#timer(callback, this.#now + nodeDelay(ms))
    this.#push(timer)
    return timer
  }

  clearTimeout (handle: unknown): void {
    const timer = handle as FakeTimer | undefined
    if (timer?.callback === undefined) return
    timer.callback = undefined
    this.#pending--
  }

  setImmediate (callback: () => void): void {
    this.#immediates.push(this.#timer(callback, this.#now))
  }

  nextTick (callback: () => void): void {
    this.#ticks.push(callback)
  }

  /** Timers set and not yet fired nor cleared. */
  get pending (): number {
    return this.#pending
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
    this.#runTicks()
    for (;;) {
      const timer = this.#earliest()
      if (timer === undefined || timer.at > time) break
      this.#runTimer(timer)
    }
    this.#now = time
  }

  /** Runs the earliest pending timer (moving time to it); false when none is pending. */
  runNext (): boolean {
    this.#runTicks()
    const timer = this.#earliest()
    if (timer === undefined) return false
    this.#runTimer(timer)
    return true
  }

  #timer (callback: () => void, at: number): FakeTimer {
    this.#pending++
    return { id: this.#nextId++, at, callback }
  }

  #runTimer (timer: FakeTimer): void {
    if (this.#immediatesHead < this.#immediates.length && this.#immediates[this.#immediatesHead] === timer) this.#shiftImmediate()
    else this.#pop()
    this.#pending--
    this.#now = timer.at
    const callback = timer.callback as () => void
    timer.callback = undefined
    this.callbacksRun++
    callback()
    this.#runTicks()
  }

  #runTicks (): void {
    while (this.#ticks.length > 0) {
      const ticks = this.#ticks
      this.#ticks = []
      for (const tick of ticks) {
        this.callbacksRun++
        tick()
      }
    }
  }

  /** The next timer to run: the heap's top (after dropping cleared timers) or the oldest immediate, whichever comes first. */
  #earliest (): FakeTimer | undefined {
    const heap = this.#heap
    while (heap.length > 0 && (heap[0] as FakeTimer).callback === undefined) this.#pop()
    const top = heap[0]
    const immediate = this.#immediates[this.#immediatesHead]
    if (immediate === undefined) return top
    return top === undefined || before(immediate, top) ? immediate : top
  }

  #shiftImmediate (): void {
    // Let go of the ran timer (and its callback's closure) at once.
    this.#immediates[this.#immediatesHead++] = undefined
    if (this.#immediatesHead === this.#immediates.length) {
      this.#immediates = []
      this.#immediatesHead = 0
    } else if (this.#immediatesHead > 1024 && this.#immediatesHead * 2 > this.#immediates.length) {
      this.#immediates = this.#immediates.slice(this.#immediatesHead)
      this.#immediatesHead = 0
    }
  }

  #push (timer: FakeTimer): void {
    const heap = this.#heap
    let i = heap.length
    heap.push(timer)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(timer, heap[parent] as FakeTimer)) break
      heap[i] = heap[parent] as FakeTimer
      i = parent
    }
    heap[i] = timer
  }

  #pop (): void {
    const heap = this.#heap
    const last = heap.pop() as FakeTimer
    if (heap.length === 0) return
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= heap.length) break
      const right = left + 1
      const child = right < heap.length && before(heap[right] as FakeTimer, heap[left] as FakeTimer) ? right : left
      if (!before(heap[child] as FakeTimer, last)) break
      heap[i] = heap[child] as FakeTimer
      i = child
    }
    heap[i] = last
  }
}
