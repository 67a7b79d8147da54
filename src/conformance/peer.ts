/**
 * The conformance suite's side of a connection: a TLS client that writes
 * whatever frames or bytes a case tells it to, and collects what the tower
 * under test answers. Nothing in it is clever on purpose: it plays a dialer,
 * good or broken, and reports what it saw.
 */
import { connect, type TLSSocket } from 'node:tls'
import { ConnectionError, ProtocolError } from '../errors.js'
import { GoodbyeReason, RefusalReason, type Frame, type Goodbye, type Welcome } from '../gen/clacks/v1/frame.js'
import { encodeFrame, FrameDecoder } from '../wire/index.js'
import type { TowerAddress } from '../tower/address.js'

export interface DialOptions {
  /** ALPN protocols offered; the default offers clacks/1 alone. */
  alpn?: string[]
  /** Lowest TLS version allowed; the default is TLS 1.3. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3'
  maxVersion?: 'TLSv1.2' | 'TLSv1.3'
}

/** How a connection attempt ended: TLS up with the ALPN protocol selected, or the reason it did not come up. */
export type DialOutcome = { peer: ConformancePeer } | { failed: string }

export class ConformancePeer {
  readonly #socket: TLSSocket
  readonly #decoder = new FrameDecoder()
  readonly #frames: Frame[] = []
  #cursor = 0
  #closed = false
  #undecodable: Error | undefined
  #waiters: Array<() => void> = []

  private constructor (socket: TLSSocket) {
    this.#socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#decoder.push(chunk)
      try {
        for (let frame = this.#decoder.read(); frame !== undefined; frame = this.#decoder.read()) this.#frames.push(frame)
      } catch (error) {
        this.#undecodable = error as Error
      }
      this.#wake()
    })
    socket.on('error', () => { /* a reset is an answer too: seen as a close */ })
    socket.on('close', () => {
      this.#closed = true
      this.#wake()
    })
  }

  /** Opens TLS to the tower; resolves when TLS is up or has failed, whatever the ALPN outcome. */
  static dial (target: TowerAddress, options: DialOptions, ms: number): Promise<DialOutcome> {
    return new Promise(resolve => {
      const socket = connect({
        host: target.hostname,
        port: target.port,
        ALPNProtocols: options.alpn ?? ['clacks/1'],
        rejectUnauthorized: false,
        minVersion: options.minVersion ?? 'TLSv1.3',
        maxVersion: options.maxVersion ?? 'TLSv1.3',
        servername: /^[\d.:]+$/.test(target.hostname) ? undefined : target.hostname
      })
      const peer = new ConformancePeer(socket)
      const timer = setTimeout(() => finish({ failed: `TLS not up within ${ms} ms` }), ms)
      // OpenSSL's messages run long: the alert's name is what tells.
      const onError = (error: Error): void => finish({ failed: /alert [a-z ]+/.exec(error.message)?.[0] ?? error.message })
      const onClose = (): void => finish({ failed: 'closed during the TLS handshake' })
      function finish (outcome: DialOutcome): void {
        clearTimeout(timer)
        socket.off('error', onError)
        socket.off('close', onClose)
        if ('failed' in outcome) socket.destroy()
        resolve(outcome)
      }
      socket.once('error', onError)
      socket.once('close', onClose)
      socket.once('secureConnect', () => finish({ peer }))
    })
  }

  /** A connection the tower under test opened to the suite's acceptor. */
  static accepted (socket: TLSSocket): ConformancePeer {
    return new ConformancePeer(socket)
  }

  /** The ALPN protocol the tower selected, or false for none. */
  get alpn (): string | false {
    return this.#socket.alpnProtocol ?? false
  }

  get closed (): boolean {
    return this.#closed
  }

  /** Every frame received so far, in order. */
  get frames (): readonly Frame[] {
    return this.#frames
  }

  send (...frames: Frame[]): void {
    this.write(Buffer.concat(frames.map(frame => encodeFrame(frame))))
  }

  write (bytes: Uint8Array): void {
    if (!this.#socket.destroyed) this.#socket.write(bytes)
  }

  /** Ends our side of the stream (a FIN): the tower sees the end of its input. */
  end (): void {
    this.#socket.end()
  }

  /** Drops the connection at once, without a Goodbye, as a crash would. */
  destroy (): void {
    this.#socket.destroy()
  }

  /** Hello, then the tower's first answer, which must be a Welcome. */
  async handshake (hello: Frame, ms: number): Promise<Welcome> {
    this.send(hello)
    const frame = await this.next(ms)
    if (frame.kind?.$case !== 'welcome') throw new ProtocolError(`expected Welcome, got ${describe(frame)}`)
    return frame.kind.value
  }

  /** The next frame not yet returned; rejects on timeout or when the connection ends first. */
  async next (ms: number): Promise<Frame> {
    const deadline = Date.now() + ms
    for (;;) {
      const frame = this.#frames[this.#cursor]
      if (frame !== undefined) {
        this.#cursor++
        return frame
      }
      if (this.#undecodable !== undefined) throw new ProtocolError(`the tower sent bytes that are not a frame: ${this.#undecodable.message}`)
      if (this.#closed) throw new ConnectionError('the tower closed the connection with no further frame')
      const left = deadline - Date.now()
      if (left <= 0) throw new ConnectionError(`no frame from the tower within ${ms} ms`)
      await this.#wait(left)
    }
  }

  /** Frames until a Goodbye, which must come within `ms`. */
  async untilGoodbye (ms: number): Promise<{ goodbye: Goodbye, before: Frame[] }> {
    const before: Frame[] = []
    const deadline = Date.now() + ms
    for (;;) {
      const frame = await this.next(Math.max(1, deadline - Date.now()))
      if (frame.kind?.$case === 'goodbye') return { goodbye: frame.kind.value, before }
      before.push(frame)
    }
  }

  /** Frames until the tower closes the connection; false if it is still open after `ms`. */
  async untilClosed (ms: number): Promise<{ closed: boolean, frames: Frame[] }> {
    const deadline = Date.now() + ms
    while (!this.#closed && Date.now() < deadline) await this.#wait(deadline - Date.now())
    const frames = this.#frames.slice(this.#cursor)
    this.#cursor = this.#frames.length
    return { closed: this.#closed, frames }
  }

  /** Waits `ms` for frames; returns those that came. */
  async collect (ms: number): Promise<Frame[]> {
    const deadline = Date.now() + ms
    while (!this.#closed && Date.now() < deadline) await this.#wait(deadline - Date.now())
    const frames = this.#frames.slice(this.#cursor)
    this.#cursor = this.#frames.length
    return frames
  }

  #wait (ms: number): Promise<void> {
    return new Promise(resolve => {
      const timer = setTimeout(done, ms)
      function done (): void {
        clearTimeout(timer)
        resolve()
      }
      this.#waiters.push(done)
    })
  }

  #wake (): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter()
  }
}

/** A frame in a few words: 'ack 3', 'refusal 2 MALFORMED', 'goodbye PROTOCOL_ERROR (detail)', 'welcome'. */
export function describe (frame: Frame | undefined): string {
  const kind = frame?.kind
  if (kind === undefined) return 'nothing'
  switch (kind.$case) {
    case 'ack': return `ack ${kind.value.seq}`
    case 'refusal': return `refusal ${kind.value.seq} ${refusalName(kind.value.reason)}`
    case 'goodbye': return `goodbye ${goodbyeName(kind.value.reason)}${kind.value.detail === '' ? '' : ` (${kind.value.detail})`}`
    case 'message': return `message ${kind.value.seq}`
    case 'announce': return `announce ${kind.value.tower?.hostname ?? '?'}:${kind.value.tower?.port ?? '?'}`
    case 'welcome': return `welcome settled_through ${kind.value.settledThrough}, refused [${kind.value.refused.join(', ')}]`
    default: return kind.$case
  }
}

export function describeAll (frames: readonly Frame[]): string {
  return frames.length === 0 ? 'no frame' : frames.map(describe).join(', ')
}

export function goodbyeName (reason: GoodbyeReason): string {
  return GoodbyeReason[reason]?.replace('GOODBYE_REASON_', '') ?? String(reason)
}

export function refusalName (reason: RefusalReason): string {
  return RefusalReason[reason]?.replace('REFUSAL_REASON_', '') ?? String(reason)
}
