import type { Clock, FakeClock } from '../tower/clock.js'

/**
 * One simulated process's view of the shared virtual clock. Killing it is
 * what SIGKILL does to a process: none of its timers, immediates or ticks
 * ever runs again, whatever state they would have touched.
 */
export class ProcessClock implements Clock {
  readonly #clock: FakeClock
  #alive = true

  constructor (clock: FakeClock) {
    this.#clock = clock
  }

  get alive (): boolean {
    return this.#alive
  }

  kill (): void {
    this.#alive = false
  }

  now (): number {
    return this.#clock.now()
  }

  wallTime (): number {
    return this.#clock.wallTime()
  }

  setTimeout (callback: () => void, ms: number): unknown {
    return this.#clock.setTimeout(this.#guard(callback), ms)
  }

  clearTimeout (handle: unknown): void {
    this.#clock.clearTimeout(handle)
  }

  setImmediate (callback: () => void): void {
    this.#clock.setImmediate(this.#guard(callback))
  }

  nextTick (callback: () => void): void {
    this.#clock.nextTick(this.#guard(callback))
  }

  #guard (callback: () => void): () => void {
    return () => { if (this.#alive) callback() }
  }
}
