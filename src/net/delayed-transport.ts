import { EventEmitter } from 'node:events'
import { ConnectionError } from '../errors.js'
import type { ByteStream, DialTarget, Listener, PeerIdentity, Transport } from './transport.js'

/**
 * Bytes a delayed stream holds (waiting out the delay plus the inner
 * stream's own buffer) before write() returns false: a TCP window's worth.
 */
export const DELAY_HIGH_WATER_BYTES = 64 * 1024

/** A write waiting out the delay: bytes (with the writer's callback) or the end of the stream. */
interface Due {
  at: number
  bytes: Uint8Array | 'end'
  done: ((error?: Error | null) => void) | undefined
}

/**
 * Adds a fixed one-way delay to every connection of another transport (real
 * TLS underneath): each side's writes reach the wire `delayMs` after they
 * were made, in order, so each direction takes `delayMs` more and a round
 * trip `2 x delayMs` more. The dialer is told the connection is ready one
 * added round trip later, as a TLS 1.3 handshake over such a link would
 * make it wait (the simulator's `SimNetwork` does the same). For
 * instruments, `bytesInTransit` counts what every stream of this transport
 * is holding back right now: the bytes "on the wire".
 */
export class DelayedTransport implements Transport {
  readonly #inner: Transport
  readonly #delayMs: number
  /** Bytes written and not yet handed to the inner streams, across all of them. */
  bytesInTransit = 0

  constructor (inner: Transport, delayMs: number) {
    this.#inner = inner
    this.#delayMs = delayMs
  }

  listen (bind: string | undefined, port: number, accept: (stream: ByteStream) => void): Promise<Listener> {
    return this.#inner.listen(bind, port, stream => accept(new DelayedStream(stream, this)))
  }

  dial (target: DialTarget, ready: (peer: PeerIdentity) => void): DelayedStream {
    const stream: DelayedStream = new DelayedStream(this.#inner.dial(target, peer => {
      setTimeout(() => { if (!stream.destroyed) ready(peer) }, 2 * this.#delayMs)
    }), this)
    return stream
  }

  get delayMs (): number {
    return this.#delayMs
  }
}

/**
 * One connection with its writes held back: a queue of writes due, one
 * timer for the oldest. Writes due together go out under one cork, so
 * cork() and uncork() on this side have nothing left to do. Closing
 * (either side) drops what was held, and its writers hear of it.
 */
export class DelayedStream extends EventEmitter implements ByteStream {
  readonly #inner: ByteStream
  readonly #transport: DelayedTransport
  readonly #due: Due[] = []
  /** Bytes in #due. */
  #held = 0
  #timer: NodeJS.Timeout | undefined
  /** write() returned false: 'drain' is owed once the bytes held fall below the mark. */
  #owesDrain = false

  constructor (inner: ByteStream, transport: DelayedTransport) {
    super()
    this.#inner = inner
    this.#transport = transport
    inner.on('data', chunk => this.emit('data', chunk))
    inner.on('drain', () => this.#drainIfOwed())
    inner.on('error', error => this.emit('error', error))
    inner.on('close', () => {
      this.#drop()
      this.emit('close')
    })
  }

  get writableLength (): number {
    return this.#held + this.#inner.writableLength
  }

  get destroyed (): boolean {
    return this.#inner.destroyed
  }

  get remoteAddress (): string | undefined {
    return this.#inner.remoteAddress
  }

  write (bytes: Uint8Array, done?: (error?: Error | null) => void): boolean {
    if (this.destroyed) {
      // As a destroyed socket does: the writer hears of it, nothing is held.
      if (done !== undefined) queueMicrotask(() => done(new ConnectionError('write after the connection closed')))
      return false
    }
    this.#hold({ at: performance.now() + this.#transport.delayMs, bytes, done })
    this.#held += bytes.byteLength
    this.#transport.bytesInTransit += bytes.byteLength
    const below = this.writableLength < DELAY_HIGH_WATER_BYTES
    if (!below) this.#owesDrain = true
    return below
  }

  cork (): void {}

  uncork (): void {}

  end (): void {
    if (!this.destroyed) this.#hold({ at: performance.now() + this.#transport.delayMs, bytes: 'end', done: undefined })
  }

  destroy (error?: Error): void {
    this.#drop()
    this.#inner.destroy(error)
  }

  #hold (due: Due): void {
    this.#due.push(due)
    this.#timer ??= setTimeout(() => this.#deliver(), this.#transport.delayMs)
  }

  /** Hands every write that is due to the inner stream, in order, and waits for the next. */
  #deliver (): void {
    this.#timer = undefined
    const now = performance.now()
    this.#inner.cork()
    while (this.#due.length > 0 && (this.#due[0] as Due).at <= now) {
      const { bytes, done } = this.#due.shift() as Due
      if (bytes === 'end') {
        this.#inner.end()
        continue
      }
      this.#held -= bytes.byteLength
      this.#transport.bytesInTransit -= bytes.byteLength
      this.#inner.write(bytes, done)
    }
    this.#inner.uncork()
    const next = this.#due[0]
    if (next !== undefined) this.#timer = setTimeout(() => this.#deliver(), Math.max(0, next.at - now))
    this.#drainIfOwed()
  }

  #drainIfOwed (): void {
    if (!this.#owesDrain || this.writableLength >= DELAY_HIGH_WATER_BYTES) return
    this.#owesDrain = false
    this.emit('drain')
  }

  /** The connection is gone: what was held back never reaches the wire. */
  #drop (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#transport.bytesInTransit -= this.#held
    this.#held = 0
    const dropped = this.#due.splice(0)
    if (dropped.length === 0) return
    const error = new ConnectionError('the connection closed before these bytes left')
    for (const { done } of dropped) done?.(error)
  }
}
