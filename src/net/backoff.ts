export interface BackoffPolicy {
  /** First delay after a failure, in ms. */
  initial: number
  /** Longest delay, in ms. */
  max: number
  /** Random numbers in [0, 1), for jitter. */
  random: () => number
}

/**
 * When a tower may next be dialled: after each failure the delay doubles from
 * `initial` to `max`, with jitter so that towers that failed together do not
 * retry together; a success resets it. At most one dial per delay, however
 * many messages want the tower.
 */
export class Backoff {
  #failures = 0
  #nextAttemptAt = 0

  constructor (readonly policy: BackoffPolicy) {}

  get nextAttemptAt (): number {
    return this.#nextAttemptAt
  }

  canAttempt (now: number): boolean {
    return now >= this.#nextAttemptAt
  }

  /** Records a dial starting now: the next may start one delay later. */
  attempted (now: number): void {
    const base = Math.min(this.policy.max, this.policy.initial * 2 ** Math.min(this.#failures, 30))
    // Between half and all of the base delay ("equal jitter").
    this.#nextAttemptAt = now + base / 2 + (base / 2) * this.policy.random()
  }

  failed (): void {
    this.#failures++
  }

  succeeded (): void {
    this.#failures = 0
    this.#nextAttemptAt = 0
  }
}
