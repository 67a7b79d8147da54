/**
 * The mean time from sending a message to its acknowledgement, estimated
 * from outside the tower by Little's law: messages in flight on average
 * ÷ acknowledgements per second. The tower does not time acknowledgements
 * itself; in-flight counts are sampled often and both sides are summed over
 * a window of seconds, because at low rates most samples see nothing in flight.
 */
export const WINDOW_SECONDS = 10

interface Second {
  inFlightSum: number
  samples: number
  acked: number
  ms: number
}

export class LatencyEstimate {
  readonly #seconds: Second[] = []
  #current: Second = { inFlightSum: 0, samples: 0, acked: 0, ms: 0 }
  #lastAcked: number
  #lastAt: number

  constructor (acked: number, now: number) {
    this.#lastAcked = acked
    this.#lastAt = now
  }

  /** Messages in flight right now. */
  sample (inFlight: number): void {
    this.#current.inFlightSum += inFlight
    this.#current.samples++
  }

  /** Closes the second with the tower's acked counter; the estimate in ms, or null with nothing acknowledged in the window. */
  close (acked: number, now: number): number | null {
    this.#current.acked = acked - this.#lastAcked
    this.#current.ms = now - this.#lastAt
    this.#lastAcked = acked
    this.#lastAt = now
    this.#seconds.push(this.#current)
    if (this.#seconds.length > WINDOW_SECONDS) this.#seconds.shift()
    this.#current = { inFlightSum: 0, samples: 0, acked: 0, ms: 0 }
    let inFlightSum = 0
    let samples = 0
    let ackedSum = 0
    let ms = 0
    for (const second of this.#seconds) {
      inFlightSum += second.inFlightSum
      samples += second.samples
      ackedSum += second.acked
      ms += second.ms
    }
    if (ackedSum === 0 || samples === 0 || ms === 0) return null
    return (inFlightSum / samples) / (ackedSum / ms)
  }
}
