import { BinaryReader } from '@bufbuild/protobuf/wire'
import { BufferList } from 'bl'
import { Frame } from '../gen/clacks/v1/frame.js'
import { FrameTooLargeError, MalformedFrameError, VarintTooLongError } from '../errors.js'
import { DEFAULT_MAX_FRAME_BYTES, MAX_LENGTH_PREFIX_BYTES } from './limits.js'
import { decodeAckFrame, decodeMessageFrame } from './message-fast-path.js'

export interface FrameDecoderOptions {
  /**
   * The largest frame body accepted, length prefix excluded. A longer declared
   * length is refused as soon as the prefix is read, before the body is buffered.
   * @default DEFAULT_MAX_FRAME_BYTES (1 MiB + 1 KiB)
   */
  maxFrameBytes?: number
}

/** A length prefix still being read: more bytes are needed. */
const INCOMPLETE = -1

/**
 * Turns a byte stream into frames. Push chunks as they arrive, then call
 * `read()` until it returns undefined ("need more bytes").
 *
 * Errors are typed (FrameTooLargeError, VarintTooLongError, MalformedFrameError)
 * and final: a stream cannot be resynchronised after one, so every later
 * `read()` raises the same error and the connection should end.
 */
export class FrameDecoder {
  readonly maxFrameBytes: number
  readonly #buffered = new BufferList()
  /** The current frame's body length once its prefix is parsed, or INCOMPLETE. */
  #bodyLength = INCOMPLETE
  #prefixLength = 0
  #failure: Error | undefined

  constructor (options: FrameDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes (): number {
    return this.#buffered.length
  }

  push (chunk: Uint8Array): void {
    // An empty chunk must not reach bl: at the head of the list it makes get(0) return undefined.
    if (this.#failure === undefined && chunk.byteLength > 0) {
      this.#buffered.append(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    }
  }

  /** The next whole frame, decoded, or undefined when more bytes are needed. */
  read (): Frame | undefined {
    const body = this.readBody()
    if (body === undefined) return undefined
    try {
      return decodeFrameBody(body)
    } catch (error) {
      // A malformed frame is as final as a bad prefix: later reads raise it too.
      this.#fail(error as Error)
    }
  }

  /** The next whole frame's body bytes, undecoded, or undefined when more bytes are needed. */
  readBody (): Uint8Array | undefined {
    if (this.#failure !== undefined) throw this.#failure
    if (this.#bodyLength === INCOMPLETE && !this.#readPrefix()) return undefined
    const end = this.#prefixLength + this.#bodyLength
    if (this.#buffered.length < end) return undefined
    const body = this.#buffered.slice(this.#prefixLength, end)
    this.#buffered.consume(end)
    this.#bodyLength = INCOMPLETE
    return body
  }

  /** Parses the varint length prefix; false when it is not all here yet. */
  #readPrefix (): boolean {
    let length = 0
    const available = Math.min(this.#buffered.length, MAX_LENGTH_PREFIX_BYTES)
    for (let i = 0; i < available; i++) {
      const byte = this.#buffered.get(i) as number // i < length, so always defined
      // Multiply rather than shift: the fifth byte would overflow a 32-bit shift.
      length += (byte & 0x7f) * 2 ** (7 * i)
      if (byte < 0x80) {
        if (length > this.maxFrameBytes) this.#fail(new FrameTooLargeError(length, this.maxFrameBytes))
        this.#prefixLength = i + 1
        this.#bodyLength = length
        return true
      }
    }
    if (available === MAX_LENGTH_PREFIX_BYTES) this.#fail(new VarintTooLongError())
    return false
  }

  #fail (error: Error): never {
    this.#failure = error
    this.#buffered.consume(this.#buffered.length)
    throw error
  }
}

/** Decodes one frame body (no length prefix); raises MalformedFrameError for anything but a valid Frame. */
export function decodeFrameBody (body: Uint8Array): Frame {
  const fast = decodeMessageFrame(body) ?? decodeAckFrame(body)
  if (fast !== undefined) return fast
  let frame: Frame
  const reader = new BinaryReader(body)
  try {
    frame = Frame.decode(reader)
  } catch (cause) {
    throw new MalformedFrameError(`frame does not decode: ${(cause as Error).message}`, { cause })
  }
  // The generated decoder stops quietly at a zero or end-group tag; whatever follows is not a Frame.
  if (reader.pos !== body.length) throw new MalformedFrameError(`frame has ${body.length - reader.pos} bytes after a zero or end-group tag`)
  if (frame.kind === undefined) throw new MalformedFrameError('frame has no kind this protocol version knows')
  return frame
}
