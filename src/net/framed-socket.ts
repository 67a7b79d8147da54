import { ClacksError, ConnectionError } from '../errors.js'
import { GoodbyeReason, type Frame } from '../gen/clacks/v1/frame.js'
import { FrameBatch, recycleSegments } from '../wire/encoder.js'
import { FrameDecoder } from '../wire/decoder.js'
import { clearMessageRecord, newMessageRecord, type MessageRecord } from '../wire/message-fast-path.js'
import type { Clock } from '../tower/clock.js'
import type { ByteStream } from './transport.js'

/** What a conversation (dialer or acceptor side) does with a framed socket. */
export interface FrameHandler {
  /** One decoded frame, in order. */
  frame (frame: Frame): void
  /**
   * With this, a Message frame in the canonical form comes here instead, read
   * where it lies (see FrameDecoder.readRecord): copy what you keep before
   * returning. Any other Message frame still comes to frame().
   */
  message? (record: MessageRecord): void
  /** Every frame of one read has been handed over: the moment to batch an acknowledgement. */
  readEnd (): void
  /** The socket can take more writes again after returning false. */
  drained (): void
  /** Bytes arrived that are not a frame: the connection ends with a PROTOCOL_ERROR goodbye right after this, so settle what was read now. */
  unreadable (error: ClacksError): void
  /** The socket is gone; `error` unless it ended cleanly. Called once. */
  closed (error: Error | undefined): void
}

/**
 * Bytes a link may leave in the socket's write buffer before it stops taking
 * messages. Node's own mark (16 KiB) is less than one large frame, which
 * would stall a busy link on every write; 1 MiB keeps the pipe full and
 * still bounds memory per connection.
 */
export const WRITE_BUFFER_LIMIT = 1024 * 1024

/** How long a Goodbye waits for a peer that never reads before the stream is destroyed. */
const GOODBYE_LINGER_MS = 2000

/**
 * A byte stream speaking delimited frames. Frames written in one turn of the
 * event loop leave in one write; a full write buffer is reported
 * (`writable` false, then `drained()`), never hidden.
 */
export class FramedSocket {
  readonly #socket: ByteStream
  readonly #clock: Clock
  readonly #decoder: FrameDecoder
  readonly #batch = new FrameBatch()
  readonly #handler: FrameHandler
  /** Filled for each Message frame when the handler takes records. */
  readonly #record = newMessageRecord()
  #flushScheduled = false
  #ended = false
  #closedReported = false
  /** After a Goodbye: destroys the stream if the peer has not closed it by then. */
  #lingerTimer: unknown

  constructor (socket: ByteStream, maxFrameBytes: number, handler: FrameHandler, clock: Clock) {
    this.#socket = socket
    this.#clock = clock
    this.#handler = handler
    this.#decoder = new FrameDecoder({ maxFrameBytes })
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('drain', () => this.#handler.drained())
    socket.on('error', error => this.#reportClosed(new ConnectionError(`connection failed: ${error.message}`, { cause: error })))
    socket.on('close', () => this.#reportClosed(this.#ended ? undefined : new ConnectionError('connection closed by the other side')))
  }

  /**
   * False while the socket's write buffer and the frames batched for it hold
   * WRITE_BUFFER_LIMIT or more; `drained()` follows. The batch counts: until
   * the flush, the socket's buffer does not show what this turn has queued.
   */
  get writable (): boolean {
    return this.#socket.writableLength + this.#batch.length < WRITE_BUFFER_LIMIT
  }

  get isOpen (): boolean {
    return !this.#ended && !this.#socket.destroyed
  }

  /** Queues a frame for the next write; frames of the same tick share one write. */
  send (frame: Frame): void {
    if (!this.isOpen) return
    this.#batch.add(frame)
    this.#scheduleFlush()
  }

  /** Queues a Message frame for a record, as send() does: what the record points at is copied now (a large payload is kept). */
  sendMessage (record: MessageRecord): void {
    if (!this.isOpen) return
    this.#batch.addMessageRecord(record)
    this.#scheduleFlush()
  }

  #scheduleFlush (): void {
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    // Before the tower's pump runs again (an immediate): everything one turn queued leaves in one write.
    this.#clock.nextTick(this.#flushNow)
  }

  readonly #flushNow = (): void => { this.flush() }

  /** Writes every queued frame now. */
  flush (): void {
    this.#flushScheduled = false
    if (this.#batch.count === 0 || !this.isOpen) return
    const { chunks, segments } = this.#batch.finishSegments()
    // The batch's segments are reused once the write is done with them: its
    // callback runs after the last chunk went out (or the socket failed).
    const done = segments.length === 0 ? undefined : () => recycleSegments(segments)
    if (chunks.length === 1) {
      this.#socket.write(chunks[0] as Uint8Array, done)
      return
    }
    // Large payloads come by reference between the batch's own bytes: one corked write of them all.
    this.#socket.cork()
    const last = chunks.length - 1
    for (let i = 0; i < last; i++) this.#socket.write(chunks[i] as Uint8Array)
    this.#socket.write(chunks[last] as Uint8Array, done)
    this.#socket.uncork()
  }

  /** Sends a Goodbye after anything queued, then ends the stream. */
  goodbye (reason: GoodbyeReason, detail = ''): void {
    if (!this.isOpen) return
    this.send({ kind: { $case: 'goodbye', value: { reason, detail } } })
    this.end()
  }

  /** Writes anything queued, then ends the stream (no Goodbye: the other side said it). */
  end (): void {
    if (!this.isOpen) return
    this.flush()
    this.#ended = true
    this.#socket.end()
    // A peer that never reads would hold the socket open: do not wait on it.
    this.#lingerTimer = this.#clock.setTimeout(() => this.#socket.destroy(), GOODBYE_LINGER_MS)
  }

  /** Ends at once, without a goodbye; queued frames are dropped. */
  destroy (error?: Error): void {
    if (error === undefined) this.#ended = true
    this.#socket.destroy()
    if (error !== undefined) this.#reportClosed(error)
  }

  #onData (chunk: Buffer): void {
    const handler = this.#handler
    if (!this.isOpen) return
    this.#decoder.push(chunk)
    try {
      if (handler.message !== undefined) this.#readRecords()
      else this.#readFrames()
    } catch (error) {
      if (!(error instanceof ClacksError)) throw error
      handler.unreadable(error)
      this.goodbye(GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR, error.message)
      this.#reportClosed(error)
      return
    }
    // A frame may have ended the conversation (a goodbye, a replaced session): then it was settled as it ended.
    if (this.isOpen) handler.readEnd()
  }

  #readFrames (): void {
    for (let frame = this.#decoder.read(); frame !== undefined; frame = this.#decoder.read()) {
      this.#handler.frame(frame)
      // A frame may end the conversation (a goodbye, a replaced session).
      if (!this.isOpen) return
    }
  }

  #readRecords (): void {
    const handler = this.#handler
    const record = this.#record
    try {
      for (let next = this.#decoder.readRecord(record); next !== undefined; next = this.#decoder.readRecord(record)) {
        if (next === record) handler.message?.(record)
        else handler.frame(next as Frame)
        if (!this.isOpen) return
      }
    } finally {
      // The record must not keep the chunk it last pointed into alive.
      clearMessageRecord(record)
    }
  }

  #reportClosed (error: Error | undefined): void {
    if (this.#closedReported) return
    this.#closedReported = true
    if (this.#lingerTimer !== undefined) this.#clock.clearTimeout(this.#lingerTimer)
    this.#ended = true
    this.#handler.closed(error)
  }
}
