import { BinaryWriter } from '@bufbuild/protobuf/wire'
import { Frame } from '../gen/clacks/v1/frame.js'
import { messageFrameSize, writeMessageFrame } from './message-fast-path.js'

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
 * Collects many frames into one buffer, so that a busy link makes one socket
 * write for a whole batch instead of one per frame. Message frames are
 * written straight into the buffer; others go through the generated encoder.
 */
export class FrameBatch {
  #buffer: Buffer | undefined
  #length = 0
  #count = 0
  #lastSize = MIN_BATCH_BYTES

  /** Frames added since the last `finish()`. */
  get count (): number {
    return this.#count
  }

  /** Bytes added since the last `finish()`. */
  get length (): number {
    return this.#length
  }

  add (frame: Frame): this {
    const kind = frame.kind
    if (kind?.$case === 'message') {
      const size = messageFrameSize(kind.value)
      this.#length = writeMessageFrame(this.#reserve(size), this.#length, kind.value)
    } else {
      const bytes = encodeFrame(frame)
      this.#reserve(bytes.length).set(bytes, this.#length)
      this.#length += bytes.length
    }
    this.#count++
    return this
  }

  /** The delimited frames added so far, in order; the batch starts empty again. */
  finish (): Uint8Array {
    const bytes = this.#buffer === undefined ? new Uint8Array(0) : this.#buffer.subarray(0, this.#length)
    // The bytes now belong to the caller (a socket write): the next batch gets a new buffer.
    this.#lastSize = Math.max(MIN_BATCH_BYTES, this.#length)
    this.#buffer = undefined
    this.#length = 0
    this.#count = 0
    return bytes
  }

  /** A buffer with `size` free bytes after the current length. */
  #reserve (size: number): Buffer {
    const needed = this.#length + size
    if (this.#buffer === undefined) {
      this.#buffer = Buffer.allocUnsafe(Math.max(this.#lastSize, needed))
    } else if (needed > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.#buffer.length * 2))
      grown.set(this.#buffer.subarray(0, this.#length))
      this.#buffer = grown
    }
    return this.#buffer
  }
}
