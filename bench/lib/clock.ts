/**
 * Send timestamps for hop latency. `process.hrtime` reads CLOCK_MONOTONIC,
 * which on one machine is the same clock in every process, so a stamp written
 * by the sender can be subtracted from the receiver's clock directly, at
 * microsecond resolution, immune to wall-clock steps.
 */

/** Microseconds on the machine-wide monotonic clock. */
export function nowUs (): number {
  return Number(process.hrtime.bigint()) / 1000
}

const scratch = new Float64Array(1)
const scratchBytes = new Uint8Array(scratch.buffer)

/** Bytes a payload needs to carry a stamp. */
export const STAMP_BYTES = 8

/** Writes the current time into the first 8 bytes of `payload`, in place. */
export function stamp (payload: Uint8Array, at = nowUs()): void {
  scratch[0] = at
  payload.set(scratchBytes, 0)
}

/** The time written by stamp(), in µs on the same clock as nowUs(). */
export function readStamp (payload: Uint8Array): number {
  for (let i = 0; i < STAMP_BYTES; i++) scratchBytes[i] = payload[i] as number
  return scratch[0] as number
}

export function sleep (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}
