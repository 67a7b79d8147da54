import { BinaryWriter } from '@bufbuild/protobuf/wire'
import { Frame, type Message } from '../gen/clacks/v1/frame.js'
import { MAX_ACK_FRAME_BYTES, messageFrameSize, writeAckFrame, writeMessageFrame, writeMessageFrameHead, writeMessageFrameTail } from './message-fast-path.js'

/**
 * Encodes one frame in protobuf's delimited form: the body's length as a
 * varint, then the body, in a single buffer. Uses the generated code: this is
 * the reference the fast path in FrameBatch is checked against.
 */
export function encodeFrame (frame: Frame): Uint8Array {
  return Frame.encode(frame, new BinaryWriter().fork()).join().finish()
}

/** The smallest buffer a batch starts with; it then starts at the last batch's size. */
const MIN_BATCH_BYTES = 1024

/**
 * A payload at least this large goes to the socket as it is, between the
 * batch's own bytes, instead of being copied into the batch: at 16 KiB and
 * more the copy costs more than the extra chunk in a corked write.
 */
export const BY_REFERENCE_BYTES = 16 * 1024

/**
 * Collects many frames for one socket write, so that a busy link makes one
 * write for a whole batch instead of one per frame. Message frames are
 * and Ack frames are written straight into the batch's buffer, large
 * payloads by reference; other frames go through the generated encoder.
 */
export class FrameBatch {
  #buffer: Buffer | undefined
  /** Bytes used in #buffer. */
  #used = 0
  /** Where the bytes of #buffer not yet in #chunks begin. */
  #segmentStart = 0
  #chunks: Uint8Array[] = []
  #length = 0
  #count = 0
  #lastSize = MIN_BATCH_BYTES

  /** Frames added since the last finish. */
  get count (): number {
    return this.#count
  }

  /** Bytes added since the last finish. */
  get length (): number {
    return this.#length
  }

  add (frame: Frame): this {
    const kind = frame.kind
    if (kind?.$case === 'message') this.#addMessage(kind.value)
    else if (kind?.$case === 'ack') this.#addAck(kind.value.seq)
    else this.#addBytes(encodeFrame(frame))
    this.#count++
    return this
  }

  /** The frames added so far, in order, as chunks to write in order; the batch starts empty again. */
  finishChunks (): Uint8Array[] {
    if (this.#buffer !== undefined && this.#used > this.#segmentStart) this.#chunks.push(this.#buffer.subarray(this.#segmentStart, this.#used))
    const chunks = this.#chunks
    // The bytes now belong to the caller (a socket write): the next batch gets a new buffer.
    this.#lastSize = Math.max(MIN_BATCH_BYTES, this.#used - this.#segmentStart)
    this.#buffer = undefined
    this.#chunks = []
    this.#used = this.#segmentStart = this.#length = this.#count = 0
    return chunks
  }

  /** The frames added so far, in order, in one buffer; the batch starts empty again. */
  finish (): Uint8Array {
    const chunks = this.finishChunks()
    return chunks.length === 1 ? chunks[0] as Uint8Array : Buffer.concat(chunks)
  }

  #addMessage (message: Message): void {
    const size = messageFrameSize(message)
    this.#length += size
    const payload = message.payload
    if (payload.length < BY_REFERENCE_BYTES) {
      this.#used = writeMessageFrame(this.#reserve(size), this.#used, message)
      return
    }
    const around = size - payload.length
    const buffer = this.#reserve(around)
    this.#used = writeMessageFrameHead(buffer, this.#used, message)
    this.#chunks.push(buffer.subarray(this.#segmentStart, this.#used), payload)
    this.#segmentStart = this.#used
    this.#used = writeMessageFrameTail(buffer, this.#used, message)
  }

  #addAck (seq: number): void {
    const buffer = this.#reserve(MAX_ACK_FRAME_BYTES)
    const start = this.#used
    this.#used = writeAckFrame(buffer, start, seq)
    this.#length += this.#used - start
  }

  #addBytes (bytes: Uint8Array): void {
    this.#reserve(bytes.length).set(bytes, this.#used)
    this.#used += bytes.length
    this.#length += bytes.length
  }

  /** A buffer with `size` free bytes after the used ones. Bytes already handed to #chunks are not carried over. */
  #reserve (size: number): Buffer {
    const pending = this.#used - this.#segmentStart
    if (this.#buffer === undefined) {
      this.#buffer = Buffer.allocUnsafe(Math.max(this.#lastSize, size))
    } else if (this.#used + size > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(pending + size, this.#buffer.length * 2))
      grown.set(this.#buffer.subarray(this.#segmentStart, this.#used))
      this.#buffer = grown
      this.#segmentStart = 0
      this.#used = pending
    }
    return this.#buffer
  }
}
