import { BinaryWriter } from '@bufbuild/protobuf/wire'
import { Frame } from '../gen/clacks/v1/frame.js'

/**
 * Encodes one frame in protobuf's delimited form: the body's length as a
 * varint, then the body, in a single buffer.
 */
export function encodeFrame (frame: Frame): Uint8Array {
  return Frame.encode(frame, new BinaryWriter().fork()).join().finish()
}

/**
 * Collects many frames into one buffer, so that a busy link makes one socket
 * write for a whole batch instead of one per frame.
 */
export class FrameBatch {
  #writer = new BinaryWriter()
  #count = 0

  /** Frames added since the last `finish()`. */
  get count (): number {
    return this.#count
  }

  add (frame: Frame): this {
    // fork() + join() writes the body's length before it: the delimited form.
    Frame.encode(frame, this.#writer.fork()).join()
    this.#count++
    return this
  }

  /** The delimited frames added so far, in order; the batch starts empty again. */
  finish (): Uint8Array {
    this.#count = 0
    return this.#writer.finish()
  }
}
