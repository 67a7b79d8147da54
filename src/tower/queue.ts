import type { HeldMessage } from '../core/message.js'
import { MESSAGE_ID_BYTES } from '../core/message.js'
import { LARGE_PAYLOAD_BYTES } from '../wire/limits.js'
import { copyRange, messagePayload, recordOfMessage, type MessageRecord } from '../wire/message-fast-path.js'

/**
 * Queued messages are packed into slabs, one record after another:
 *
 *   payload length (u32) | hops (u32) | id (16 bytes) | payload
 *
 * so a queued message costs its payload plus 24 bytes, not three JavaScript
 * objects (about 250 bytes of heap). A message becomes an object again only
 * when it reaches the head of the queue, as views of its record. A slab is
 * never written twice (messages in flight still view it); it is dropped once
 * every record in it has been taken out and a newer slab exists.
 *
 * A payload of BY_REFERENCE_BYTES or more is not copied into the slab: its
 * record ends after the id and the payload waits, as it is, in a list beside
 * the slabs, in the same order. Every payload a queue is given is the tower's
 * own (a copy made by enqueue(), the decoder or a filter), and at that size
 * the copy costs more than the objects it saves.
 */
const SLAB_BYTES = 256 * 1024

/**
 * A queue's first slab, doubled for each next one up to SLAB_BYTES. The last
 * slab is kept while the queue lives, and a simulated network of 10,000
 * towers holding ten short messages each spent 2.5 GB on 256 KiB slabs; a
 * busy queue reaches full-size slabs after seven.
 */
const FIRST_SLAB_BYTES = 4096
const RECORD_HEADER_BYTES = 8 + MESSAGE_ID_BYTES

/** Payloads from this size on are held by reference, not packed (see above). */
export const BY_REFERENCE_BYTES = LARGE_PAYLOAD_BYTES

/**
 * The tower's queue: first in, first out, bounded in messages and payload
 * bytes, O(1) to push and to take. Messages that come back from a failed
 * hand-off go to the front, since they were queued before anything behind them.
 */
export class MessageQueue {
  /** Messages returned to the front, taken before any packed record. */
  #front: HeldMessage[] = []
  #frontHead = 0
  #slabs: Buffer[] = []
  #nextSlabBytes = FIRST_SLAB_BYTES
  /** How far each slab but the last was written. */
  #slabEnds: number[] = []
  /** Where the next packed record starts: in #slabs[0] at #readOffset. */
  #readOffset = 0
  /** Where the next record is written: in the last slab at #writeOffset. */
  #writeOffset = 0
  #packed = 0
  #bytes = 0
  /** The head record as an object, once peekHead() has made it. */
  #head: HeldMessage | undefined
  /** Payloads of packed records held by reference, in record order, from #referencesHead on. */
  #references: Buffer[] = []
  #referencesHead = 0

  constructor (readonly maxMessages: number, readonly maxBytes: number) {}

  get length (): number {
    return this.#front.length - this.#frontHead + this.#packed
  }

  /** Payload bytes held. */
  get bytes (): number {
    return this.#bytes
  }

  /** Whether a message of this size fits under both limits. */
  fits (payloadBytes: number): boolean {
    return this.length < this.maxMessages && this.#bytes + payloadBytes <= this.maxBytes
  }

  /** Adds at the back (a copy, but for a payload held by reference: see above); false when the queue is full. */
  push (message: HeldMessage): boolean {
    const length = message.payload.length
    if (!this.fits(length)) return false
    const slab = this.#startRecord(length, message.hops)
    const at = this.#writeOffset
    slab.set(message.id, at)
    if (length < BY_REFERENCE_BYTES) slab.set(message.payload, at + MESSAGE_ID_BYTES)
    else this.#references.push(message.payload)
    this.#endRecord(length)
    return true
  }

  /**
   * Adds a message read where it lies in a socket's bytes (see MessageRecord),
   * copying it: no view of its id is made, and a view of its payload only to
   * copy it (or to hold it, when large). False when the queue is full.
   */
  pushRecord (record: MessageRecord, hops: number): boolean {
    const length = record.payloadLength
    if (!this.fits(length) || record.idLength !== MESSAGE_ID_BYTES) return false
    const slab = this.#startRecord(length, hops)
    const at = this.#writeOffset
    const { idBytes, idStart, payloadBytes, payloadStart } = record
    for (let i = 0; i < MESSAGE_ID_BYTES; i++) slab[at + i] = idBytes[idStart + i] as number
    if (length >= BY_REFERENCE_BYTES) this.#references.push(messagePayload(record))
    else if (length > 0) copyRange(payloadBytes, payloadStart, length, slab, at + MESSAGE_ID_BYTES)
    this.#endRecord(length)
    return true
  }

  /** Writes a record's header in a slab with room for the rest; the id goes at #writeOffset after it. */
  #startRecord (length: number, hops: number): Buffer {
    const slab = this.#slabFor(RECORD_HEADER_BYTES + packedBytes(length))
    this.#writeOffset = slab.writeUInt32LE(hops, slab.writeUInt32LE(length, this.#writeOffset))
    return slab
  }

  #endRecord (length: number): void {
    this.#writeOffset += MESSAGE_ID_BYTES + packedBytes(length)
    this.#packed++
    this.#bytes += length
  }

  /**
   * Puts messages that were already ours back at the front, in their order.
   * Limits do not apply: they were counted before, and dropping them would
   * lose them.
   */
  returnToFront (messages: readonly HeldMessage[]): void {
    if (messages.length === 0) return
    this.#front = [...messages, ...this.#front.slice(this.#frontHead)]
    this.#frontHead = 0
    for (const message of messages) this.#bytes += message.payload.length
  }

  peekHead (): HeldMessage | undefined {
    if (this.#frontHead < this.#front.length) return this.#front[this.#frontHead]
    if (this.#packed === 0) return undefined
    this.#releaseReadSlabs()
    this.#head ??= this.#read(this.#slabs[0] as Buffer, this.#readOffset, this.#referencesHead)
    return this.#head
  }

  shift (): HeldMessage | undefined {
    if (this.#frontHead < this.#front.length) return this.#shiftFront()
    const message = this.peekHead()
    if (message !== undefined) this.#dropPackedHead(message.payload.length)
    return message
  }

  /** The head's payload length, without making the head an object; -1 when the queue is empty. */
  headLength (): number {
    if (this.#frontHead < this.#front.length) return (this.#front[this.#frontHead] as HeldMessage).payload.length
    if (this.#packed === 0) return -1
    this.#releaseReadSlabs()
    return (this.#slabs[0] as Buffer).readUInt32LE(this.#readOffset)
  }

  /**
   * Takes the head out into `out` without making it an object: a packed
   * message as places in its slab (a slab is never written again), any other
   * as its own buffers. False when the queue is empty.
   */
  shiftRecord (out: MessageRecord): boolean {
    if (this.#frontHead < this.#front.length) {
      const message = this.#shiftFront()
      recordOfMessage(message, out)
      return true
    }
    if (this.#packed === 0) return false
    this.#releaseReadSlabs()
    const slab = this.#slabs[0] as Buffer
    const offset = this.#readOffset
    const length = slab.readUInt32LE(offset)
    out.seq = 0
    out.friend = undefined
    out.hops = slab.readUInt32LE(offset + 4)
    out.idBytes = slab
    out.idStart = offset + 8
    out.idLength = MESSAGE_ID_BYTES
    out.payloadBytes = length < BY_REFERENCE_BYTES ? slab : this.#references[this.#referencesHead] as Buffer
    out.payloadStart = length < BY_REFERENCE_BYTES ? offset + RECORD_HEADER_BYTES : 0
    out.payloadLength = length
    out.payloadOwned = true
    this.#dropPackedHead(length)
    return true
  }

  #shiftFront (): HeldMessage {
    const message = this.#front[this.#frontHead++] as HeldMessage
    if (this.#frontHead === this.#front.length) {
      this.#front = []
      this.#frontHead = 0
    }
    this.#bytes -= message.payload.length
    return message
  }

  /** Moves past the packed head record, whose payload is `length` bytes. */
  #dropPackedHead (length: number): void {
    this.#head = undefined
    this.#packed--
    this.#bytes -= length
    this.#readOffset += RECORD_HEADER_BYTES + packedBytes(length)
    if (length >= BY_REFERENCE_BYTES) this.#takeReference()
  }

  /** Removes and returns everything, in order. */
  takeAll (): HeldMessage[] {
    const all: HeldMessage[] = []
    for (let message = this.shift(); message !== undefined; message = this.shift()) all.push(message)
    return all
  }

  /** Every message held, in order, without taking them. */
  snapshot (): HeldMessage[] {
    const all = this.#front.slice(this.#frontHead)
    let slabIndex = 0
    let offset = this.#readOffset
    let reference = this.#referencesHead
    for (let i = 0; i < this.#packed; i++) {
      let slab = this.#slabs[slabIndex] as Buffer
      if (offset >= this.#slabEnd(slabIndex)) {
        slab = this.#slabs[++slabIndex] as Buffer
        offset = 0
      }
      const message = this.#read(slab, offset, reference)
      all.push(message)
      offset += RECORD_HEADER_BYTES + packedBytes(message.payload.length)
      if (message.payload.length >= BY_REFERENCE_BYTES) reference++
    }
    return all
  }

  /** A message viewing its record (and its payload, if held by reference, the `reference`th): no copy. */
  #read (slab: Buffer, offset: number, reference: number): HeldMessage {
    const length = slab.readUInt32LE(offset)
    const start = offset + RECORD_HEADER_BYTES
    return {
      id: slab.subarray(offset + 8, start),
      payload: length < BY_REFERENCE_BYTES ? slab.subarray(start, start + length) : this.#references[reference] as Buffer,
      hops: slab.readUInt32LE(offset + 4)
    }
  }

  /** Lets go of the oldest payload held by reference; the list is compacted once its taken half dominates. */
  #takeReference (): void {
    this.#references[this.#referencesHead++] = EMPTY
    if (this.#referencesHead === this.#references.length) {
      this.#references = []
      this.#referencesHead = 0
    } else if (this.#referencesHead >= 1024 && this.#referencesHead * 2 >= this.#references.length) {
      this.#references = this.#references.slice(this.#referencesHead)
      this.#referencesHead = 0
    }
  }

  /** Where the records of slab `index` end: the write position in the last slab, else its recorded end. */
  #slabEnd (index: number): number {
    return index === this.#slabs.length - 1 ? this.#writeOffset : (this.#slabEnds[index] as number)
  }

  /** The slab to write `bytes` into, starting a new one when the last is too full. */
  #slabFor (bytes: number): Buffer {
    const last = this.#slabs[this.#slabs.length - 1]
    if (last !== undefined && this.#writeOffset + bytes <= last.length) return last
    if (last !== undefined) this.#slabEnds.push(this.#writeOffset)
    // Memory of its own (not the shared pool Buffer cuts small buffers from): the slab is long-lived.
    const slab = Buffer.allocUnsafeSlow(Math.max(this.#nextSlabBytes, bytes))
    this.#nextSlabBytes = Math.min(SLAB_BYTES, this.#nextSlabBytes * 2)
    this.#slabs.push(slab)
    this.#writeOffset = 0
    if (this.#slabs.length === 1) this.#readOffset = 0
    return slab
  }

  /** Drops the slabs read to their end, but never the one being written. */
  #releaseReadSlabs (): void {
    while (this.#slabs.length > 1 && this.#readOffset >= (this.#slabEnds[0] as number)) {
      this.#slabs.shift()
      this.#slabEnds.shift()
      this.#readOffset = 0
    }
  }
}

const EMPTY = Buffer.alloc(0)

/** Bytes of a payload of this length that live in its record. */
function packedBytes (length: number): number {
  return length < BY_REFERENCE_BYTES ? length : 0
}
