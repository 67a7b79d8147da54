import { BinaryReader } from '@bufbuild/protobuf/wire'
import { BufferList } from 'bl'
import { Frame } from '../gen/clacks/v1/frame.js'
import { FrameTooLargeError, MalformedFrameError, VarintTooLongError } from '../errors.js'
import { DEFAULT_MAX_FRAME_BYTES, MAX_LENGTH_PREFIX_BYTES } from './limits.js'
import { structureProblem } from './structure.js'
import { decodeAckFrame, decodeMessageFrame, ownLargePayload, readMessageRecord, type MessageRecord } from './message-fast-path.js'

export interface FrameDecoderOptions {
  /**
   * The largest frame body accepted, length prefix excluded. A longer declared
   * length is refused as soon as the prefix is read, before the body is buffered.
   * @default DEFAULT_MAX_FRAME_BYTES (1 MiB + 1 KiB)
   */
  maxFrameBytes?: number
}

const EMPTY = new Uint8Array(0)

/** A length prefix still being read: more bytes are needed. */
const INCOMPLETE = -1

/**
 * Turns a byte stream into frames. Push chunks as they arrive, then call
 * `read()` until it returns undefined ("need more bytes").
 *
 * Frames that lie whole in a chunk are read where they are; only the bytes of
 * a frame that straddles chunks are buffered, in a `bl` BufferList, until it
 * is complete. Once what is left is the tail of a single chunk again, reading
 * goes back to that chunk.
 *
 * Errors are typed (FrameTooLargeError, VarintTooLongError, MalformedFrameError)
 * and final: a stream cannot be resynchronised after one, so every later
 * `read()` raises the same error and the connection should end.
 */
export class FrameDecoder {
  readonly maxFrameBytes: number
  /** Bytes of a frame that straddles chunks, and every chunk pushed after them. */
  readonly #buffered = new BufferList()
  /** The chunk appended to #buffered last: once all that is left is its tail, reading goes back to it in place. */
  #lastBuffered: Buffer | undefined
  /** The chunk read in place, from #offset on; only while #buffered is empty. */
  #chunk: Buffer | undefined
  #offset = 0
  /** Where the body of the frame just found lies (see #next). */
  #frameBytes: Uint8Array = EMPTY
  #frameStart = 0
  #frameEnd = 0
  /** The buffered frame's body length once its prefix is parsed, or INCOMPLETE. */
  #bodyLength = INCOMPLETE
  #prefixLength = 0
  #failure: Error | undefined

  constructor (options: FrameDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes (): number {
    return this.#buffered.length + (this.#chunk === undefined ? 0 : this.#chunk.length - this.#offset)
  }

  push (chunk: Uint8Array): void {
    if (this.#failure !== undefined || chunk.byteLength === 0) return
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (this.#chunk === undefined && this.#buffered.length === 0) {
      this.#chunk = bytes
      this.#offset = 0
      return
    }
    this.#spill()
    this.#append(bytes)
  }

  /** The next whole frame, decoded, or undefined when more bytes are needed. */
  read (): Frame | undefined {
    return this.#next() ? this.#decode(this.#frameBytes, this.#frameStart, this.#frameEnd) : undefined
  }

  /**
   * The next whole frame, as read() gives it, but a Message frame in the
   * canonical form (every tower's) is read into `record`, which is returned:
   * decoded where it lies, without views of its id and payload. The record
   * points into bytes that are valid until the next push().
   */
  readRecord (record: MessageRecord): MessageRecord | Frame | undefined {
    if (!this.#next()) return undefined
    if (readMessageRecord(this.#frameBytes, this.#frameStart, this.#frameEnd, record)) return record
    return this.#decode(this.#frameBytes, this.#frameStart, this.#frameEnd)
  }

  /** The next whole frame's body bytes, undecoded, or undefined when more bytes are needed. */
  readBody (): Uint8Array | undefined {
    if (!this.#next()) return undefined
    const bytes = this.#frameBytes
    return this.#frameStart === 0 && this.#frameEnd === bytes.length ? bytes : bytes.subarray(this.#frameStart, this.#frameEnd)
  }

  /**
   * Finds the next whole frame: its body lies in #frameBytes from #frameStart
   * to #frameEnd (in the chunk itself when the frame lies whole in it, so that
   * the usual frame is decoded without a view of its body); false when more
   * bytes are needed.
   */
  #next (): boolean {
    if (this.#failure !== undefined) throw this.#failure
    const chunk = this.#chunk
    if (chunk !== undefined) {
      if (this.#locateInPlace(chunk)) return true
      // The chunk ends in part of a frame: those bytes wait for the next chunk.
      this.#spill()
      return this.#noFrame()
    }
    const body = this.#readBuffered()
    if (body === undefined) return this.#noFrame()
    this.#frameBytes = body
    this.#frameStart = 0
    this.#frameEnd = body.length
    return true
  }

  /**
   * Nothing more to read: the last frame's bytes are let go. An idle
   * connection held on to the chunk its last frame came in (up to a TLS
   * record, or a whole 8 KiB pool slab for a small Buffer), which was most of
   * the heap of a simulated network with many open connections.
   */
  #noFrame (): false {
    this.#frameBytes = EMPTY
    return false
  }

  #decode (bytes: Uint8Array, start: number, end: number): Frame {
    try {
      return decodeFrameAt(bytes, start, end)
    } catch (error) {
      // A malformed frame is as final as a bad prefix: later reads raise it too.
      this.#fail(error as Error)
    }
  }

  /**
   * Finds a whole frame in the chunk at #offset: sets #frameBytes, #frameStart
   * and #frameEnd to its body and moves past it; false when the chunk ends first.
   */
  #locateInPlace (chunk: Buffer): boolean {
    let pos = this.#offset
    let length = 0
    let scale = 1
    for (let i = 0; ; i++) {
      if (i === MAX_LENGTH_PREFIX_BYTES) this.#fail(new VarintTooLongError())
      if (pos === chunk.length) return false
      const byte = chunk[pos++] as number
      length += (byte & 0x7f) * scale
      if (byte < 0x80) break
      scale *= 128
    }
    if (length > this.maxFrameBytes) this.#fail(new FrameTooLargeError(length, this.maxFrameBytes))
    const end = pos + length
    if (end > chunk.length) return false
    this.#offset = end
    if (end === chunk.length) this.#chunk = undefined
    this.#frameBytes = chunk
    this.#frameStart = pos
    this.#frameEnd = end
    return true
  }

  #readBuffered (): Uint8Array | undefined {
    if (this.#bodyLength === INCOMPLETE && !this.#readPrefix()) return undefined
    const end = this.#prefixLength + this.#bodyLength
    if (this.#buffered.length < end) return undefined
    const body = this.#buffered.slice(this.#prefixLength, end)
    this.#buffered.consume(end)
    this.#bodyLength = INCOMPLETE
    this.#unspill()
    return body
  }

  /** Parses the buffered varint length prefix; false when it is not all here yet. */
  #readPrefix (): boolean {
    let length = 0
    let scale = 1
    const available = Math.min(this.#buffered.length, MAX_LENGTH_PREFIX_BYTES)
    for (let i = 0; i < available; i++) {
      const byte = this.#buffered.get(i) as number // i < length, so always defined
      // Multiply rather than shift: the fifth byte would overflow a 32-bit shift.
      length += (byte & 0x7f) * scale
      if (byte < 0x80) {
        if (length > this.maxFrameBytes) this.#fail(new FrameTooLargeError(length, this.maxFrameBytes))
        this.#prefixLength = i + 1
        this.#bodyLength = length
        return true
      }
      scale *= 128
    }
    if (available === MAX_LENGTH_PREFIX_BYTES) this.#fail(new VarintTooLongError())
    return false
  }

  /** Moves what is left of the chunk read in place into the buffer list. */
  #spill (): void {
    const chunk = this.#chunk
    if (chunk === undefined) return
    this.#chunk = undefined
    if (this.#offset < chunk.length) this.#append(this.#offset === 0 ? chunk : chunk.subarray(this.#offset))
  }

  /** After a buffered frame: when what is left lies in the last chunk alone, reads go back to it in place. */
  #unspill (): void {
    const rest = this.#buffered.length
    const last = this.#lastBuffered
    if (rest === 0 || last === undefined || rest > last.length) {
      if (rest === 0) this.#lastBuffered = undefined
      return
    }
    this.#buffered.consume(rest)
    this.#lastBuffered = undefined
    this.#chunk = last
    this.#offset = last.length - rest
  }

  #append (bytes: Buffer): void {
    this.#buffered.append(bytes)
    this.#lastBuffered = bytes
  }

  #fail (error: Error): never {
    this.#failure = error
    this.#chunk = undefined
    this.#lastBuffered = undefined
    this.#buffered.consume(this.#buffered.length)
    throw error
  }
}

/** Decodes one frame body (no length prefix); raises MalformedFrameError for anything but a valid Frame. */
export function decodeFrameBody (body: Uint8Array): Frame {
  return decodeFrameAt(body, 0, body.length)
}

/** Decodes the frame body that lies in `bytes` from `start` to `end`, as decodeFrameBody does. */
function decodeFrameAt (bytes: Uint8Array, start: number, end: number): Frame {
  const fast = decodeMessageFrame(bytes, start, end) ?? decodeAckFrame(bytes, start, end)
  if (fast !== undefined) return fast
  const body = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end)
  // The generated decoder stops quietly at a zero or end-group tag, at any depth: the structure is checked first.
  const problem = structureProblem(body)
  if (problem !== undefined) throw new MalformedFrameError(`frame is not well-formed: ${problem}`)
  let frame: Frame
  try {
    frame = Frame.decode(new BinaryReader(body))
  } catch (cause) {
    throw new MalformedFrameError(`frame does not decode: ${(cause as Error).message}`, { cause })
  }
  if (frame.kind === undefined) throw new MalformedFrameError('frame has no kind this protocol version knows')
  if (frame.kind.$case === 'message') ownLargePayload(frame.kind.value, body)
  return frame
}
