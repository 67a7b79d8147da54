import { GoodbyeReason, type Frame, type Hello, RefusalReason } from '../gen/clacks/v1/frame.js'
import { addressKey, addressProblem, type TowerAddress } from '../tower/address.js'
import { sourceGroup } from '../tower/address-range.js'
import { MESSAGE_ID_BYTES } from '../tower/message.js'
import { newMessageRecord, recordOfMessage, type MessageRecord } from '../wire/message-fast-path.js'
import { FramedSocket, type FrameHandler } from './framed-socket.js'
import type { InboundSession, SessionTable } from './sessions.js'
import type { Clock } from '../tower/clock.js'
import type { ByteStream } from './transport.js'

export const PROTOCOL_VERSION = 1

/**
 * An Ack goes out after a read that leaves this many messages or more
 * unacknowledged, and in any case once the event loop is done with the reads
 * of this turn. An Ack
 * per read cost a TLS record and a socket write every 16 KiB (a TLS read):
 * at 1 KiB payloads one per ~15 messages. A quarter of the default window, so
 * a dialer's window never waits on the end of a long turn.
 */
export const ACK_EVERY_MESSAGES = 256

/** A dialer's advertised address, with its peer-table key worked out once per connection. */
export interface DialerAddress extends TowerAddress {
  readonly key: string
  /** The connection's real remote address (not a claim): what the per-source bounds count by. */
  readonly remoteAddress: string
}

/** What the acceptor side needs from the tower. */
export interface AcceptorHost {
  readonly instanceId: Uint8Array
  readonly self: TowerAddress
  readonly maxInFlight: number
  readonly maxFrameBytes: number
  readonly sessions: SessionTable
  /** Records a dialer that passed the checks; false when it is ignored. */
  admit (dialer: DialerAddress): boolean
  /** Takes custody of a message from `from` (copying what it keeps: the record's bytes are the socket's), or says why not. */
  take (message: MessageRecord, from: DialerAddress): RefusalReason | undefined
  /** The dialer asked for `tower` (itself, or another) to be added to the peer table. */
  announced (tower: TowerAddress, from: DialerAddress): void
  /** The connection ended. */
  released (connection: InboundConnection): void
  /** Time, timers and deferrals. */
  readonly clock: Clock
  /** While closing, a Hello still gets its Welcome (settling the dialer's doubt), then a goodbye. */
  closing (): boolean
  /** Connections ended for breaking the protocol, counted for stats. */
  protocolErrors: number
}

type InboundState = 'awaiting-hello' | 'open' | 'closed'

/**
 * The acceptor's side of one connection:
 *
 *   awaiting-hello ──Hello ok──▶ open ──Goodbye / error / close──▶ closed
 *         └──────bad Hello, timeout──────────────────────────────▶ closed
 *
 * In `open` it takes messages in sequence order, writes a Refusal for each
 * one it does not take, and a cumulative Ack when the event loop is done
 * with the turn's reads (or after a read that leaves ACK_EVERY_MESSAGES
 * unacknowledged, if sooner).
 */
export class InboundConnection implements FrameHandler {
  readonly #host: AcceptorHost
  readonly #socket: FramedSocket
  readonly #remoteAddress: string
  #state: InboundState = 'awaiting-hello'
  #session: InboundSession | undefined
  #dialer: DialerAddress | undefined
  /** Messages settled since the last Ack. */
  #unacknowledged = 0
  #ackScheduled = false
  /** Clock time of the last frame received, for idle detection. */
  lastActive: number
  /** Clock time of the accept: the handshake must finish within the timeout of it, however the bytes dribble in. */
  readonly acceptedAt: number

  constructor (socket: ByteStream, host: AcceptorHost) {
    this.#host = host
    this.#socket = new FramedSocket(socket, host.maxFrameBytes, this, host.clock)
    this.#remoteAddress = socket.remoteAddress ?? ''
    this.lastActive = this.acceptedAt = host.clock.now()
  }

  get state (): InboundState {
    return this.#state
  }

  get dialer (): TowerAddress | undefined {
    return this.#dialer
  }

  frame (frame: Frame): void {
    const kind = frame.kind
    if (kind === undefined) return
    if (this.#state === 'awaiting-hello') {
      if (kind.$case === 'hello') this.#hello(kind.value)
      else this.#protocolError(`expected hello, got ${kind.$case}`)
      return
    }
    switch (kind.$case) {
      // A Message frame not in the canonical form (another implementation's encoder) comes decoded.
      case 'message': return this.message(recordOfMessage(kind.value, newMessageRecord()))
      case 'announce': return this.#announce(kind.value.tower)
      case 'goodbye': return this.#dialerLeft()
      default: return this.#protocolError(`a dialer does not send ${kind.$case}`)
    }
  }

  readEnd (): void {
    this.lastActive = this.#host.clock.now()
    if (this.#unacknowledged >= ACK_EVERY_MESSAGES) this.#acknowledge()
    else if (this.#unacknowledged > 0 && !this.#ackScheduled) {
      this.#ackScheduled = true
      this.#host.clock.setImmediate(this.#acknowledgeLater)
    }
  }

  /** Acknowledges everything settled so far, at once. */
  #acknowledge (): void {
    if (this.#unacknowledged === 0 || this.#session === undefined) return
    this.#unacknowledged = 0
    this.#socket.send({ kind: { $case: 'ack', value: { seq: this.#session.settled } } })
  }

  readonly #acknowledgeLater = (): void => {
    this.#ackScheduled = false
    if (this.#state === 'open') this.#acknowledge()
  }

  drained (): void {}

  unreadable (): void {
    this.#host.protocolErrors++
    // The Goodbye follows at once: the dialer must learn first what was taken (PROTOCOL.md §9).
    this.#acknowledge()
  }

  closed (error: Error | undefined): void {
    const session = this.#session
    if (session !== undefined && session.connection === this) {
      session.connection = undefined
      // Broken under us, not ended by a goodbye: the dialer may hold messages in doubt and come back.
      if (error !== undefined && this.#state === 'open') session.brokenAt = this.#host.clock.now()
    }
    this.#state = 'closed'
    this.#host.released(this)
  }

  /** Settles what was read, says goodbye, and processes nothing more. */
  close (reason: GoodbyeReason = GoodbyeReason.GOODBYE_REASON_SHUTTING_DOWN): void {
    if (this.#state === 'closed') return
    this.#acknowledge()
    this.#state = 'closed'
    this.#socket.goodbye(reason)
  }

  /** The dialer said Goodbye: settle what was read, answer nothing more, close (PROTOCOL.md §9). */
  #dialerLeft (): void {
    this.#acknowledge()
    this.#state = 'closed'
    this.#socket.end()
  }

  /** A newer connection of the same session takes over; frames not yet processed here are dropped. */
  replace (): void {
    this.close(GoodbyeReason.GOODBYE_REASON_REPLACED)
  }

  /** Refuses a connection before any Hello, e.g. when at the connection limit. */
  refuse (reason: GoodbyeReason, detail: string): void {
    this.#state = 'closed'
    this.#socket.goodbye(reason, detail)
  }

  #hello (hello: Hello): void {
    if (hello.protocolVersion !== PROTOCOL_VERSION) {
      return this.refuse(GoodbyeReason.GOODBYE_REASON_VERSION_UNSUPPORTED, `this tower speaks protocol version ${PROTOCOL_VERSION}`)
    }
    const tower = hello.tower
    const problem = tower === undefined ? 'hello has no tower' : addressProblem(tower.hostname, tower.port)
    if (problem !== undefined || hello.instanceId.length !== MESSAGE_ID_BYTES || hello.sessionId.length !== MESSAGE_ID_BYTES) {
      return this.#protocolError(problem ?? 'instance id and session id must be 16 bytes each')
    }
    if (Buffer.from(this.#host.instanceId).equals(hello.instanceId)) {
      // Our own address under another name (localhost for 127.0.0.1, say).
      return this.#protocolError('a tower cannot connect to itself')
    }
    const { hostname, port } = tower as TowerAddress
    const dialer: DialerAddress = { hostname, port, key: addressKey(hostname, port), remoteAddress: this.#remoteAddress }
    if (!this.#host.admit(dialer)) {
      return this.refuse(GoodbyeReason.GOODBYE_REASON_IGNORED, 'this tower ignores yours')
    }
    this.#dialer = dialer
    const id = Buffer.from(hello.sessionId).toString('hex')
    const resuming = Buffer.from(this.#host.instanceId).equals(hello.resumeInstanceId)
    // Asked to resume a session of ours that we forgot: say so, so the dialer keeps its messages in doubt (PROTOCOL.md §7).
    const sessionUnknown = resuming && this.#host.sessions.find(id) === undefined
    this.#session = this.#resumeOrStart(id, resuming, Buffer.from(hello.instanceId).toString('hex'))
    this.#state = 'open'
    this.#socket.send({
      kind: {
        $case: 'welcome',
        value: {
          protocolVersion: PROTOCOL_VERSION,
          tower: { hostname: this.#host.self.hostname, port: this.#host.self.port },
          instanceId: Buffer.from(this.#host.instanceId),
          settledThrough: this.#session.settled,
          refused: this.#session.refused,
          maxInFlight: this.#host.maxInFlight,
          maxFrameBytes: this.#host.maxFrameBytes,
          sessionUnknown
        }
      }
    })
    if (this.#host.closing()) this.close(GoodbyeReason.GOODBYE_REASON_SHUTTING_DOWN)
  }

  #resumeOrStart (id: string, resuming: boolean, dialer: string): InboundSession {
    const sessions = this.#host.sessions
    let session = sessions.find(id)
    // The session's old connection may still be open (a reset we have not seen yet): end it first.
    session?.connection?.replace()
    // A session is one dialer instance's: the same id from another instance (a restart, or a guess) starts afresh.
    if (session === undefined || !resuming || session.dialer !== dialer) session = sessions.start(id, dialer, sourceGroup(this.#remoteAddress))
    else sessions.touch(session)
    session.connection = this
    session.brokenAt = undefined
    return session
  }

  /** A Message frame, read where it lies (see FramedSocket). */
  message (message: MessageRecord): void {
    if (this.#state === 'awaiting-hello') return this.#protocolError('expected hello, got message')
    const session = this.#session as InboundSession
    if (message.seq !== session.settled + 1) {
      return this.#protocolError(`message seq ${message.seq} does not follow ${session.settled}`)
    }
    session.settled = message.seq
    this.#unacknowledged++
    const refusal = this.#host.take(message, this.#dialer as DialerAddress)
    if (refusal !== undefined) {
      this.#host.sessions.noteRefused(session, message.seq)
      this.#socket.send({ kind: { $case: 'refusal', value: { seq: message.seq, reason: refusal, detail: '' } } })
    }
  }

  #announce (tower: TowerAddress | undefined): void {
    if (tower === undefined || addressProblem(tower.hostname, tower.port) !== undefined) {
      return this.#protocolError('announce carries no valid tower')
    }
    this.#host.announced({ hostname: tower.hostname, port: tower.port }, this.#dialer as DialerAddress)
    this.#socket.send({ kind: { $case: 'announce', value: { tower: { hostname: this.#host.self.hostname, port: this.#host.self.port } } } })
  }

  /** Acknowledges what was taken, then ends: the dialer re-queues only what the last Ack leaves out. */
  #protocolError (detail: string): void {
    this.#acknowledge()
    this.#state = 'closed'
    this.#host.protocolErrors++
    this.#socket.goodbye(GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR, detail)
  }
}
