import { randomBytes } from 'node:crypto'
import { connect as connectTcp, type Socket } from 'node:net'
import { connect, createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls'
import { GoodbyeReason, RefusalReason, type Frame, type Goodbye, type Message, type Welcome } from '../../src/gen/clacks/v1/frame.js'
import type { TowerDescriptor } from '../../src/gen/clacks/v1/tower.js'
import { encodeFrame, FrameDecoder } from '../../src/wire/index.js'

/** Where a raw peer claims to live: nothing listens there, so a tower that dials it fails at once. */
export const RAW_PEER_ADDRESS: TowerDescriptor = { hostname: '127.0.0.9', port: 1 }

export interface RawHelloOptions {
  protocolVersion?: number
  tower?: TowerDescriptor | undefined
  instanceId?: Uint8Array
  resumeInstanceId?: Uint8Array
  /** The dialer's id for this link's session; a reconnection that resumes sends the same one. */
  sessionId?: Uint8Array
}

export interface RawMessageOptions {
  id?: Uint8Array
  payload?: Uint8Array | string
  hops?: number
  friend?: TowerDescriptor
}

/**
 * A hand-driven Clacks dialer for hostile tests: a TLS client (ALPN clacks/1,
 * no certificate check) that writes whatever frames or bytes it is told and
 * decodes what the tower answers. Nothing here is clever on purpose: it is
 * the other side a broken or malicious implementation would be.
 */
export class RawPeer {
  readonly socket: TLSSocket
  readonly instanceId: Buffer
  /** The session id its hello names unless told otherwise. */
  readonly sessionId: Buffer
  /** Every frame received, in order. */
  readonly frames: Frame[] = []
  /** Set when the tower's bytes did not decode (the tower broke framing). */
  decodeError: Error | undefined
  #cursor = 0
  #closed = false
  #waiters: Array<() => void> = []
  readonly #decoder = new FrameDecoder()

  private constructor (socket: TLSSocket, instanceId: Buffer, sessionId: Buffer) {
    this.socket = socket
    this.instanceId = instanceId
    this.sessionId = sessionId
    socket.on('data', (chunk: Buffer) => {
      this.#decoder.push(chunk)
      try {
        for (let frame = this.#decoder.read(); frame !== undefined; frame = this.#decoder.read()) this.frames.push(frame)
      } catch (error) {
        this.decodeError = error as Error
      }
      this.#wake()
    })
    socket.on('error', () => { /* a reset is an answer too: seen as a close */ })
    socket.on('close', () => {
      this.#closed = true
      this.#wake()
    })
  }

  /** Opens a TLS connection to a tower (from `localAddress` if given); resolves once TLS is up (no Clacks frame sent yet). */
  static connect (port: number, host = '127.0.0.1', instanceId: Buffer = randomBytes(16), sessionId: Buffer = randomBytes(16), localAddress?: string): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const tcp = localAddress === undefined ? undefined : connectTcp({ host, port, localAddress })
      const socket = connect({ host, port, socket: tcp, ALPNProtocols: ['clacks/1'], rejectUnauthorized: false, minVersion: 'TLSv1.3' })
      const peer = new RawPeer(socket, instanceId, sessionId)
      const onError = (error: Error): void => reject(error)
      socket.once('error', onError)
      socket.once('secureConnect', () => {
        socket.off('error', onError)
        if (socket.alpnProtocol !== 'clacks/1') reject(new Error(`ALPN ${String(socket.alpnProtocol)} negotiated`))
        else resolve(peer)
      })
    })
  }

  /** Wraps a socket accepted by a {@link RawAcceptor}: the same hand-driven side, as the acceptor. */
  static accepted (socket: TLSSocket): RawPeer {
    return new RawPeer(socket, randomBytes(16), randomBytes(16))
  }

  /** Whether the tower closed the connection (or it broke). */
  get closed (): boolean {
    return this.#closed
  }

  send (frame: Frame): void {
    this.socket.write(encodeFrame(frame))
  }

  /** Several frames in one write, so that the tower reads them in one go. */
  sendAll (frames: Frame[]): void {
    this.socket.write(Buffer.concat(frames.map(frame => encodeFrame(frame))))
  }

  write (bytes: Uint8Array): void {
    this.socket.write(bytes)
  }

  hello (options: RawHelloOptions = {}): void {
    this.send(helloFrame({ instanceId: this.instanceId, sessionId: this.sessionId, ...options }))
  }

  /** Hello, then the tower's first answer, which must be a Welcome. */
  async handshake (options: RawHelloOptions = {}, ms = 5000): Promise<Welcome> {
    this.hello(options)
    const frame = await this.next(ms)
    if (frame.kind?.$case !== 'welcome') throw new Error(`expected welcome, got ${describe(frame)}`)
    return frame.kind.value
  }

  /** The next frame not yet returned; rejects on timeout or when the connection ends first. */
  async next (ms = 5000): Promise<Frame> {
    const deadline = Date.now() + ms
    for (;;) {
      const frame = this.frames[this.#cursor]
      if (frame !== undefined) {
        this.#cursor++
        return frame
      }
      if (this.decodeError !== undefined) throw this.decodeError
      if (this.#closed) throw new Error('connection closed with no further frame')
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no frame within ${ms} ms`)
      await this.#wait(left)
    }
  }

  /** Reads frames until a Goodbye; returns it and the frames before it. */
  async untilGoodbye (ms = 5000): Promise<{ goodbye: Goodbye, before: Frame[] }> {
    const before: Frame[] = []
    const deadline = Date.now() + ms
    for (;;) {
      const frame = await this.next(Math.max(1, deadline - Date.now()))
      if (frame.kind?.$case === 'goodbye') return { goodbye: frame.kind.value, before }
      before.push(frame)
    }
  }

  /** Resolves when the tower has closed the connection; rejects after `ms`. */
  async waitClosed (ms = 5000): Promise<void> {
    const deadline = Date.now() + ms
    while (!this.#closed) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`connection still open after ${ms} ms`)
      await this.#wait(left)
    }
  }

  destroy (): void {
    this.socket.destroy()
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

export function helloFrame (options: RawHelloOptions = {}): Frame {
  return {
    kind: {
      $case: 'hello',
      value: {
        protocolVersion: options.protocolVersion ?? 1,
        tower: 'tower' in options ? options.tower : RAW_PEER_ADDRESS,
        instanceId: Buffer.from(options.instanceId ?? randomBytes(16)),
        resumeInstanceId: Buffer.from(options.resumeInstanceId ?? Buffer.alloc(0)),
        sessionId: Buffer.from(options.sessionId ?? randomBytes(16))
      }
    }
  }
}

export function messageFrame (seq: number, options: RawMessageOptions = {}): Frame {
  const payload = options.payload ?? `raw message ${seq}`
  const value: Message = {
    seq,
    id: Buffer.from(options.id ?? randomBytes(16)),
    payload: typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload),
    hops: options.hops ?? 0,
    friend: options.friend
  }
  return { kind: { $case: 'message', value } }
}

/** A frame in words, for failure messages. */
export function describe (frame: Frame | undefined): string {
  const kind = frame?.kind
  if (kind === undefined) return 'nothing'
  if (kind.$case === 'goodbye') return `goodbye ${GoodbyeReason[kind.value.reason]} (${kind.value.detail})`
  return `${kind.$case} ${JSON.stringify(kind.value, (_key, value: unknown) => value instanceof Uint8Array || (typeof value === 'object' && value !== null && (value as { type?: string }).type === 'Buffer') ? '<bytes>' : value)}`
}

export function welcomeFrame (options: Partial<Welcome> = {}): Frame {
  return {
    kind: {
      $case: 'welcome',
      value: {
        protocolVersion: 1,
        tower: RAW_PEER_ADDRESS,
        instanceId: randomBytes(16),
        settledThrough: 0,
        refused: [],
        maxInFlight: 256,
        maxFrameBytes: 1024 * 1024 + 1024,
        sessionUnknown: false,
        ...options
      }
    }
  }
}

/**
 * A hand-driven Clacks acceptor: a TLS server (TLS 1.3, ALPN clacks/1) whose
 * connections are {@link RawPeer}s, answering a tower's dials however a test
 * tells it to.
 */
export class RawAcceptor {
  readonly server: TlsServer
  readonly connections: RawPeer[] = []
  port = 0
  #taken = 0
  #waiters: Array<() => void> = []

  private constructor (key: string, cert: string) {
    this.server = createTlsServer({ key, cert, minVersion: 'TLSv1.3', ALPNProtocols: ['clacks/1'] }, socket => {
      this.connections.push(RawPeer.accepted(socket))
      const waiters = this.#waiters
      this.#waiters = []
      for (const waiter of waiters) waiter()
    })
    this.server.on('tlsClientError', () => {})
  }

  static async listen (key: string, cert: string, host: string, port = 0): Promise<RawAcceptor> {
    const acceptor = new RawAcceptor(key, cert)
    await new Promise<void>((resolve, reject) => {
      acceptor.server.once('error', reject)
      acceptor.server.listen(port, host, () => {
        const address = acceptor.server.address()
        acceptor.port = typeof address === 'object' && address !== null ? address.port : port
        resolve()
      })
    })
    return acceptor
  }

  /** The next connection not yet returned; rejects after `ms`. */
  async accept (ms = 5000): Promise<RawPeer> {
    const deadline = Date.now() + ms
    for (;;) {
      const connection = this.connections[this.#taken]
      if (connection !== undefined) {
        this.#taken++
        return connection
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no connection within ${ms} ms`)
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }

  close (): Promise<void> {
    for (const connection of this.connections) connection.destroy()
    return new Promise(resolve => this.server.close(() => resolve()))
  }
}

/** A frame in a few words, stable enough to compare: 'ack 3', 'refusal 2 MALFORMED', 'goodbye PROTOCOL_ERROR', 'welcome'. */
export function brief (frame: Frame | undefined): string {
  const kind = frame?.kind
  if (kind === undefined) return 'nothing'
  switch (kind.$case) {
    case 'ack': return `ack ${kind.value.seq}`
    case 'refusal': return `refusal ${kind.value.seq} ${RefusalReason[kind.value.reason]?.replace('REFUSAL_REASON_', '') ?? kind.value.reason}`
    case 'goodbye': return `goodbye ${GoodbyeReason[kind.value.reason]?.replace('GOODBYE_REASON_', '') ?? kind.value.reason}`
    case 'message': return `message ${kind.value.seq}`
    case 'announce': return `announce ${kind.value.tower?.hostname}:${kind.value.tower?.port}`
    default: return kind.$case
  }
}

/** A plain TCP connection (no TLS at all) that sends nothing: a scanner, or a very slow client. */
export function connectPlain (port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host, port })
    socket.once('error', reject)
    socket.once('connect', () => {
      socket.off('error', reject)
      socket.on('error', () => {})
      resolve(socket)
    })
  })
}
