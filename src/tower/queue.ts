import type { HeldMessage } from './message.js'

/**
 * The tower's queue: first in, first out, bounded in messages and payload
 * bytes. Messages that come back from a failed hand-off go to the front, since
 * they were queued before anything behind them.
 */
export class MessageQueue {
  #items: Array<HeldMessage | undefined> = []
  #head = 0
  #bytes = 0

  constructor (readonly maxMessages: number, readonly maxBytes: number) {}

  get length (): number {
    return this.#items.length - this.#head
  }

  /** Payload bytes held. */
  get bytes (): number {
    return this.#bytes
  }

  /** Whether a message of this size fits under both limits. */
  fits (payloadBytes: number): boolean {
    return this.length < this.maxMessages && this.#bytes + payloadBytes <= this.maxBytes
  }

  /** Adds at the back; false when the queue is full (nothing added). */
  push (message: HeldMessage): boolean {
    if (!this.fits(message.payload.length)) return false
    this.#items.push(message)
    this.#bytes += message.payload.length
    return true
  }

  /**
   * Puts messages that were already ours back at the front, in their order.
   * Limits do not apply: they were counted before, and dropping them would
   * lose them.
   */
  returnToFront (messages: readonly HeldMessage[]): void {
    if (messages.length === 0) return
    const rest = this.#items.slice(this.#head) as HeldMessage[]
    this.#items = [...messages, ...rest]
    this.#head = 0
    for (const message of messages) this.#bytes += message.payload.length
  }

  peekHead (): HeldMessage | undefined {
    return this.#items[this.#head]
  }

  shift (): HeldMessage | undefined {
    if (this.#head === this.#items.length) return undefined
    const message = this.#items[this.#head] as HeldMessage
    this.#items[this.#head++] = undefined
    this.#bytes -= message.payload.length
    // Compact once the consumed prefix is half the array: amortised O(1).
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return message
  }

  /** Removes and returns everything, in order. */
  takeAll (): HeldMessage[] {
    const all = this.#items.slice(this.#head) as HeldMessage[]
    this.#items = []
    this.#head = 0
    this.#bytes = 0
    return all
  }

  snapshot (): HeldMessage[] {
    return this.#items.slice(this.#head) as HeldMessage[]
  }
}
