import { ConnectionError, HandshakeTimeoutError, ProtocolError, RefusedError } from '../errors.js'
import { GoodbyeReason, RefusalReason, type Frame, type Goodbye, type Refusal, type Welcome } from '../gen/clacks/v1/frame.js'
import type { TowerDescriptor } from '../gen/clacks/v1/tower.js'
import type { TowerAddress } from '../core/address.js'
import type { Clock } from '../core/clock.js'
import { MESSAGE_ID_BYTES, ownedCopy, type HeldMessage } from '../core/message.js'
import type { Backoff } from './backoff.js'
import { FramedSocket, type FrameHandler } from './framed-socket.js'
import { PROTOCOL_VERSION } from './inbound.js'
import type { Transport } from './transport.js'
import { FRAME_HEADER_ROOM, MESSAGE_FRAME_OVERHEAD } from '../wire/limits.js'
import { messageId, messagePayload, recordFrameSize, recordOfMessage, type MessageRecord } from '../wire/message-fast-path.js'

/** Why messages came back to the queue. */
export type ReturnReason = 'refused' | 'not-received' | 'abandoned'

export interface LinkSettings {
  maxInFlight: number
  maxInFlightBytes: number
  maxFrameBytes: number
  handshakeTimeout: number
  ackTimeout: number
  idleTimeout: number
  backoffInitial: number
  backoffMax: number
  killtimeout: number
}

/** The peer a link serves, as the link sees it: its address and its key in the tower's peer table. */
export interface LinkPeer extends TowerAddress {
  readonly key: string
}

/** What the dialer side needs from the tower; `P` is the tower's own record of a peer. */
export interface LinkHost<P extends LinkPeer = LinkPeer> {
  readonly instanceId: Uint8Array
  /** How dials are made (node:tls in production). */
  readonly transport: Transport
  readonly self: TowerAddress
  readonly settings: LinkSettings
  readonly clock: Clock
  readonly random: () => number
  /** A new random 16-byte id (for a session). */
  newId (): Buffer
  /** The peer now holds this many of our messages: our custody of them ended. */
  delivered (link: Link<P>, count: number): void
  /** These are ours again and go back to the queue. */
  returned (link: Link<P>, messages: readonly HeldMessage[], reason: ReturnReason, refusal?: RefusalReason): void
  /** A handshake completed: the peer is reachable. */
  succeeded (link: Link<P>): void
  /** A dial or a connection failed. */
  failed (link: Link<P>, error: Error): void
  /** The link can take messages again (acks arrived, the socket drained, it connected). */
  ready (link: Link<P>): void
  /** A random alive tower to name as the friend of a message to this link's peer. */
  friendFor (link: Link<P>): TowerDescriptor | undefined
  /** The TLS handshake with the peer is done: an error refuses the peer (trust 'tofu', a changed key). */
  checkPeer (link: Link<P>, publicKey: string | undefined): Error | undefined
  /** The peer answered our Announce. */
  announced (link: Link<P>, tower: TowerAddress): void
  /** The link opened (+1) or closed (-1) a socket: it counts against the connection limit. */
  connectedChanged (delta: 1 | -1): void
  /** A retired link ended (see retire()): nothing it sent is ours any more, or what was came back. */
  retired (link: Link<P>): void
  /** A dial started (+1), or ended (-1) in an open link or a failure: dials in progress have a budget of their own. */
  handshakingChanged (link: Link<P>, delta: 1 | -1): void
}

/**
 * The lifecycle of the one outbound connection a tower keeps to a peer:
 *
 *   idle ──dial──▶ connecting ──Welcome──▶ open ──idle timeout──▶ idle
 *     ▲                │                     │
 *     │          fail / timeout       reset / ack timeout / Goodbye
 *     │                ▼                     ▼
 *     └──────────── backoff ◀────────────────┘      (abandon() from any: closed)
 *
 * Messages sent but not acknowledged stay ours. When the connection breaks
 * they are "in doubt" until a reconnect resumes the session and the peer says
 * how far it got. A retired link (retire()) takes no more messages and goes
 * to closed once nothing it sent is unsettled.
 */
export type LinkState = 'idle' | 'connecting' | 'open' | 'backoff' | 'closed'

/**
 * A message sent and not yet acknowledged, as the record its frame was
 * written from (see MessageRecord). Most come from the queue as places in
 * its memory, which is never written again (see MessageQueue.shiftRecord),
 * and become objects only if they must go back to it or be looked at.
 */
interface InFlight extends MessageRecord {
  /** The message as an object: as given to send(), or made when first needed (see messageOf). */
  message: HeldMessage | undefined
}

function newInFlight (): InFlight {
  return { seq: 0, hops: 0, friend: undefined, idBytes: EMPTY, idStart: 0, idLength: 0, payloadBytes: EMPTY, payloadStart: 0, payloadLength: 0, payloadOwned: true, message: undefined }
}

const EMPTY = Buffer.alloc(0)

function messageOf (entry: InFlight): HeldMessage {
  entry.message ??= { id: messageId(entry), payload: messagePayload(entry), hops: entry.hops }
  return entry.message
}

/** How long a link that was refused for a full queue is passed over. */
const REFUSAL_COOL_OFF_FACTOR = 4

export class Link<P extends LinkPeer = LinkPeer> {
  readonly peer: P
  readonly #host: LinkHost<P>
  readonly #backoff: Backoff
  #state: LinkState = 'idle'
  #socket: FramedSocket | undefined
  /** The acceptor's instance id in the current or last session. */
  #remoteInstance: Uint8Array = Buffer.alloc(0)
  /** This link's session id: the acceptor keeps our session under it across reconnections. */
  readonly #sessionId: Buffer
  #nextSeq = 1
  /** The highest seq acknowledged in this session: acks never go back. */
  #lastAck = 0
  #window: number
  /** The largest frame the acceptor reads (Welcome.max_frame_bytes); ours until it says. */
  #remoteMaxFrameBytes: number
  /** The smallest payload the peer refused as too large on this link: nothing that big goes to it again. */
  #refusedPayloadBytes = Infinity
  #inFlight: InFlight[] = []
  #inFlightBytes = 0
  /**
   * In-doubt messages of a session the acceptor (same instance) said it
   * forgot: it may hold any of them, so they stay in doubt, sent nowhere,
   * until killtimeout after that answer, as for a peer that never came back
   * (PROTOCOL.md §7, §11).
   */
  #orphans: HeldMessage[] = []
  #orphansUntil = 0
  #announceWaiters: Array<{ resolve: () => void, reject: (error: Error) => void }> = []
  #handshakeTimer: unknown
  #reconnectTimer: unknown
  /** Clock time of the last acknowledgement, or of the send that started an in-flight run. */
  #lastProgress = 0
  #lastUsed = 0
  #coolUntil = 0
  /** Set by retire(): the Goodbye to end with once everything sent is settled, and since when. */
  #retiring: { reason: GoodbyeReason, since: number } | undefined

  /** `backoff` is the peer's: it outlives the link when an unused one is dropped (see `unused`). */
  constructor (peer: P, host: LinkHost<P>, backoff: Backoff) {
    this.peer = peer
    this.#host = host
    this.#backoff = backoff
    this.#sessionId = ownedCopy(host.newId())
    this.#window = host.settings.maxInFlight
    this.#remoteMaxFrameBytes = host.settings.maxFrameBytes
  }

  get state (): LinkState {
    return this.#state
  }

  /** Messages sent and not acknowledged, including those in doubt after a break. */
  get inFlightCount (): number {
    return this.#inFlight.length + this.#orphans.length
  }

  /** Of those, messages sent on a broken connection, awaiting a resume or killtimeout. */
  get inDoubtCount (): number {
    return (this.#state === 'open' ? 0 : this.#inFlight.length) + this.#orphans.length
  }

  /** Whether messages sent on a broken connection await a resume. */
  get inDoubt (): boolean {
    return this.inDoubtCount > 0
  }

  /**
   * Whether the link holds nothing worth keeping: it failed before any
   * Welcome (so no session to resume, nothing learned of the peer), with no
   * message in flight and nobody waiting on an announce. A tower that knows
   * thousands of unreachable peers drops these and keeps only their backoff.
   */
  get unused (): boolean {
    return this.#state === 'backoff' && this.inFlightCount === 0 && this.#announceWaiters.length === 0 && this.#remoteInstance.length === 0
  }

  /** Whether a socket is open or being opened (it counts against the connection limit). */
  get connected (): boolean {
    return this.#state === 'connecting' || this.#state === 'open'
  }

  *heldMessages (): Generator<HeldMessage> {
    for (const entry of this.#inFlight) yield messageOf(entry)
    yield * this.#orphans
  }

  /**
   * Whether a message of this many payload bytes can go on this link now:
   * only when it is open, with room in its window. A message never waits on a
   * connection being made; it goes to another tower meanwhile.
   */
  canTake (bytes: number): boolean {
    if (this.#state !== 'open' || this.#socket?.writable !== true || this.#retiring !== undefined) return false
    // A frame the acceptor would not read would end the connection: such a message goes elsewhere.
    if (bytes >= this.#refusedPayloadBytes || bytes + MESSAGE_FRAME_OVERHEAD > this.#remoteMaxFrameBytes) return false
    const held = this.#inFlight.length
    if (held >= this.#window || (held > 0 && this.#inFlightBytes + bytes > this.#host.settings.maxInFlightBytes)) return false
    return this.#coolUntil === 0 || this.#cooledOff()
  }

  /** Whether a dial may start now: the link is not connected, not retired, and its backoff allows one. */
  canDial (): boolean {
    return (this.#state === 'idle' || this.#state === 'backoff') && this.#retiring === undefined && this.#backoff.canAttempt(this.#host.clock.now())
  }

  /** Starts a dial (see canDial); the host hears ready() once it is open. */
  connect (): void {
    if (this.canDial()) this.#dial()
  }

  /** Sends a message on the open link (see canTake); it stays ours until acknowledged. */
  send (message: HeldMessage): void {
    const entry = recordOfMessage(message, newInFlight()) as InFlight
    entry.message = message
    this.#write(entry)
  }

  /**
   * Sends a message given as a record, as send() does. The bytes it points
   * at must stay as they are until the message is settled: the queue's are.
   */
  sendRecord (record: MessageRecord): void {
    const entry = newInFlight()
    entry.hops = record.hops
    entry.idBytes = record.idBytes
    entry.idStart = record.idStart
    entry.idLength = record.idLength
    entry.payloadBytes = record.payloadBytes
    entry.payloadStart = record.payloadStart
    entry.payloadLength = record.payloadLength
    this.#write(entry)
  }

  /** Tells the peer about us; resolves when it answers in kind. */
  announce (): Promise<void> {
    return new Promise((resolve, reject) => {
      const clock = this.#host.clock
      const limit = 2 * this.#host.settings.handshakeTimeout
      // An acceptor that never answers must not leave the caller waiting for ever.
      const timer = clock.setTimeout(() => {
        this.#announceWaiters = this.#announceWaiters.filter(waiter => waiter !== entry)
        reject(new ConnectionError(`${this.peer.hostname}:${this.peer.port} did not answer the announce within ${limit} ms`))
      }, limit)
      const entry = {
        resolve: () => { clock.clearTimeout(timer); resolve() },
        reject: (error: Error) => { clock.clearTimeout(timer); reject(error) }
      }
      this.#announceWaiters.push(entry)
      if (this.#state === 'open') this.#sendAnnounce()
      else if (this.#state !== 'connecting') this.#dial(true)
    })
  }

  /**
   * Runs the link's clocks, from the tower's periodic check: a connection
   * with messages unacknowledged too long is broken; one unused too long is
   * closed.
   */
  checkTimers (now: number): void {
    if (this.#orphans.length > 0 && now >= this.#orphansUntil) {
      const orphans = this.#orphans
      this.#orphans = []
      this.#host.returned(this, orphans, 'abandoned')
      this.#endIfRetired()
    }
    if (this.#retiring !== undefined && now - this.#retiring.since >= this.#host.settings.killtimeout) {
      // What the peer never settled in all that time is released, as for a dead peer (PROTOCOL.md §11).
      this.abandon()
      this.#host.retired(this)
      return
    }
    if (this.#state !== 'open') return
    const settings = this.#host.settings
    if (this.#inFlight.length > 0 && now - this.#lastProgress > settings.ackTimeout) {
      this.#socket?.destroy(new ConnectionError(`no acknowledgement for ${settings.ackTimeout} ms`))
    } else if (this.inFlightCount === 0 && this.#announceWaiters.length === 0 && now - this.#lastUsed > settings.idleTimeout) {
      this.#socket?.goodbye(GoodbyeReason.GOODBYE_REASON_IDLE)
      this.#socket = undefined
      this.#transition('idle')
    }
  }

  /** Ends the connection politely; only when nothing is in flight. */
  goodbye (reason: GoodbyeReason): void {
    this.#socket?.goodbye(reason)
    this.#socket = undefined
    this.#clearTimers()
    this.#transition('closed')
  }

  /**
   * Ends the link without giving up custody: no more messages go on it, and
   * it says Goodbye with `reason` once the peer has acknowledged or refused
   * everything sent to it. Until then those messages stay ours and go nowhere
   * else, since the peer may already hold them. A broken connection is
   * resumed to settle them, as on any link; what is still unsettled after
   * killtimeout is released, as for a dead peer. The host hears retired()
   * when the link has ended.
   */
  retire (reason: GoodbyeReason): void {
    if (this.#state === 'closed' || this.#retiring !== undefined) return
    this.#retiring = { reason, since: this.#host.clock.now() }
    this.#rejectAnnounces(new ConnectionError('the link was retired'))
    this.#endIfRetired()
  }

  /**
   * Gives up on the peer: everything in flight comes back, the connection
   * ends. The peer may hold some of it, so this is only for when that cannot
   * matter or is the documented exception: the peer is dead, or retired
   * past killtimeout (the duplicate of a partition longer than killtimeout,
   * PROTOCOL.md §11); the peer is evicted (only with nothing in flight); or
   * this tower is closing, and what comes back dies with it (counted as left).
   */
  abandon (): void {
    this.#clearTimers()
    this.#socket?.destroy()
    this.#socket = undefined
    this.#returnAll('abandoned')
    this.#rejectAnnounces(new ConnectionError('the link was closed'))
    this.#transition('closed')
  }

  /** Whether a refusal's cool-off is over (then forgotten, so that canTake reads no clock). */
  #cooledOff (): boolean {
    if (this.#host.clock.now() < this.#coolUntil) return false
    this.#coolUntil = 0
    return true
  }

  // --- frames and events from the current socket ---

  /** Events from a socket that is no longer the link's current one are dropped. */
  #handlerFor (getSocket: () => FramedSocket | undefined): FrameHandler {
    return {
      frame: frame => { if (this.#socket === getSocket()) this.#frame(frame) },
      readEnd: () => {},
      unreadable: () => {},
      drained: () => { if (this.#socket === getSocket()) this.#host.ready(this) },
      closed: error => { if (this.#socket === getSocket()) this.#closed(error) }
    }
  }

  #frame (frame: Frame): void {
    const kind = frame.kind
    if (kind === undefined) return
    if (this.#state === 'connecting') {
      if (kind.$case === 'welcome') this.#welcome(kind.value)
      else if (kind.$case === 'goodbye') this.#goodbye(kind.value)
      else this.#protocolError(`expected welcome, got ${kind.$case}`)
      return
    }
    switch (kind.$case) {
      case 'ack': return this.#ack(kind.value.seq)
      case 'refusal': return this.#refusal(kind.value)
      case 'announce': return this.#announced(kind.value.tower)
      case 'goodbye': return this.#goodbye(kind.value)
      default: return this.#protocolError(`an acceptor does not send ${kind.$case}`)
    }
  }

  #closed (error: Error | undefined): void {
    this.#socket = undefined
    this.#clearTimers()
    // Sent but unacknowledged messages stay in doubt until a resume settles them.
    this.#rejectAnnounces(error ?? new ConnectionError('connection closed'))
    this.#backoff.failed()
    this.#transition('backoff')
    this.#host.failed(this, error ?? new ConnectionError('connection closed by the peer'))
    if (this.#inFlight.length > 0) this.#scheduleReconnect()
    else if (this.#retiring !== undefined) this.#endIfRetired()
  }

  // --- internals ---

  #dial (announceOnly = false): void {
    const now = this.#host.clock.now()
    this.#clearTimers()
    this.#backoff.attempted(now)
    this.#transition('connecting')
    const settings = this.#host.settings
    const stream = this.#host.transport.dial(this.peer, peer => {
      if (this.#socket !== framed) return
      const untrusted = this.#host.checkPeer(this, peer.publicKey)
      if (untrusted !== undefined) {
        framed.destroy(untrusted)
        return
      }
      framed.send({
        kind: {
          $case: 'hello',
          value: {
            protocolVersion: PROTOCOL_VERSION,
            tower: { hostname: this.#host.self.hostname, port: this.#host.self.port },
            instanceId: Buffer.from(this.#host.instanceId),
            resumeInstanceId: Buffer.from(this.#remoteInstance),
            sessionId: this.#sessionId
          }
        }
      })
      if (announceOnly || this.#announceWaiters.length > 0) this.#sendAnnounce()
    })
    // The handler needs the socket it serves: it is only called once `framed` is set.
    const framed: FramedSocket = new FramedSocket(stream, settings.maxFrameBytes, this.#handlerFor(() => framed), this.#host.clock)
    this.#socket = framed
    this.#handshakeTimer = this.#host.clock.setTimeout(() => {
      framed.destroy(new HandshakeTimeoutError(settings.handshakeTimeout))
    }, settings.handshakeTimeout)
  }

  #welcome (welcome: Welcome): void {
    if (welcome.protocolVersion !== PROTOCOL_VERSION || welcome.instanceId.length !== MESSAGE_ID_BYTES) {
      return this.#protocolError(`welcome with protocol version ${welcome.protocolVersion} and a ${welcome.instanceId.length}-byte instance id`)
    }
    this.#clearTimers()
    this.#settleInDoubt(welcome)
    this.#window = Math.max(1, Math.min(this.#host.settings.maxInFlight, welcome.maxInFlight || this.#host.settings.maxInFlight))
    this.#remoteMaxFrameBytes = welcome.maxFrameBytes || this.#host.settings.maxFrameBytes
    this.#backoff.succeeded()
    this.#transition('open')
    this.#lastUsed = this.#host.clock.now()
    this.#host.succeeded(this)
    // A retired link reconnects only to settle its doubt, which the Welcome just did.
    if (this.#retiring !== undefined) this.#endIfRetired()
    else this.#host.ready(this)
  }

  /**
   * The resume: messages of the last session the acceptor settled and did not
   * refuse are delivered; all others never reached it and come back to us. An
   * acceptor with a new instance id restarted and holds none of them.
   */
  #settleInDoubt (welcome: Welcome): void {
    const sameAcceptor = Buffer.from(welcome.instanceId).equals(this.#remoteInstance)
    this.#remoteInstance = ownedCopy(welcome.instanceId)
    this.#nextSeq = welcome.settledThrough + 1
    this.#lastAck = welcome.settledThrough
    if (this.#inFlight.length === 0) return
    if (sameAcceptor && welcome.sessionUnknown) {
      // It forgot the session: how far it got is unknown. Sending them again could duplicate them.
      for (const entry of this.#inFlight) this.#orphans.push(messageOf(entry))
      this.#orphansUntil = this.#host.clock.now() + this.#host.settings.killtimeout
      this.#inFlight = []
      this.#inFlightBytes = 0
      return
    }
    let delivered = 0
    const notReceived: HeldMessage[] = []
    const refused = new Set(welcome.refused)
    for (const entry of this.#inFlight) {
      if (sameAcceptor && entry.seq <= welcome.settledThrough && !refused.has(entry.seq)) delivered++
      else notReceived.push(messageOf(entry))
    }
    this.#inFlight = []
    this.#inFlightBytes = 0
    if (delivered > 0) this.#host.delivered(this, delivered)
    if (notReceived.length > 0) this.#host.returned(this, notReceived, 'not-received')
  }

  #write (entry: InFlight): void {
    // No clock read per message: the link counts as used from the acknowledgement (or refusal) that settles it.
    this.#inFlightBytes += entry.payloadLength
    entry.seq = this.#nextSeq++
    if (this.#inFlight.length === 0) this.#lastProgress = this.#host.clock.now()
    this.#inFlight.push(entry)
    entry.friend = this.#host.friendFor(this)
    // The friend is a hint: it is left out of a frame it would push over the acceptor's limit.
    if (entry.payloadLength + FRAME_HEADER_ROOM > this.#remoteMaxFrameBytes && recordFrameSize(entry) > this.#remoteMaxFrameBytes) entry.friend = undefined
    ;(this.#socket as FramedSocket).sendMessage(entry)
  }

  #ack (seq: number): void {
    if (seq < this.#lastAck || seq >= this.#nextSeq) {
      return this.#protocolError(`ack ${seq} is outside ${this.#lastAck}..${this.#nextSeq - 1}`)
    }
    this.#lastAck = seq
    let settled = 0
    while (settled < this.#inFlight.length && (this.#inFlight[settled] as InFlight).seq <= seq) settled++
    if (settled === 0) return
    for (let i = 0; i < settled; i++) this.#inFlightBytes -= (this.#inFlight[i] as InFlight).payloadLength
    this.#inFlight.splice(0, settled)
    this.#lastProgress = this.#lastUsed = this.#host.clock.now()
    this.#host.delivered(this, settled)
    if (this.#retiring !== undefined) this.#endIfRetired()
    else this.#host.ready(this)
  }

  #refusal (refusal: Refusal): void {
    const index = this.#inFlight.findIndex(entry => entry.seq === refusal.seq)
    if (index === -1) return this.#protocolError(`refusal of seq ${refusal.seq}, which is not in flight`)
    // Refused: the acceptor said it does not hold it, so it is ours again at once.
    const [entry] = this.#inFlight.splice(index, 1) as [InFlight]
    this.#inFlightBytes -= entry.payloadLength
    this.#lastUsed = this.#host.clock.now()
    if (refusal.reason === RefusalReason.REFUSAL_REASON_TOO_LARGE) {
      // That peer takes smaller payloads than this one: smaller messages may still go to it.
      this.#refusedPayloadBytes = Math.min(this.#refusedPayloadBytes, entry.payloadLength)
    } else {
      // Full, closing, or objecting to what we send: pass this peer over for a moment so the message finds another tower.
      this.#coolUntil = this.#host.clock.now() + this.#host.settings.backoffInitial * REFUSAL_COOL_OFF_FACTOR
    }
    this.#host.returned(this, [messageOf(entry)], 'refused', refusal.reason)
    if (this.#retiring !== undefined) this.#endIfRetired()
  }

  #announced (tower: TowerAddress | undefined): void {
    if (tower !== undefined) this.#host.announced(this, { hostname: tower.hostname, port: tower.port })
    const waiters = this.#announceWaiters
    this.#announceWaiters = []
    for (const waiter of waiters) waiter.resolve()
  }

  /**
   * The acceptor settled everything it processed before saying goodbye, so
   * whatever it did not acknowledge never reached it: ours again, not in doubt.
   */
  #goodbye (goodbye: Goodbye): void {
    const socket = this.#socket
    const welcomed = this.#state === 'open'
    this.#socket = undefined
    this.#clearTimers()
    // Before a Welcome, a Goodbye says nothing of the earlier session: its
    // messages stay in doubt until a resume settles them.
    if (welcomed) this.#returnAll('not-received')
    const reason = goodbye.reason
    const refusedUs = reason === GoodbyeReason.GOODBYE_REASON_IGNORED || reason === GoodbyeReason.GOODBYE_REASON_VERSION_UNSUPPORTED ||
      reason === GoodbyeReason.GOODBYE_REASON_TOO_MANY_CONNECTIONS
    const error = refusedUs
      ? new RefusedError(`${this.peer.hostname}:${this.peer.port} refused the connection: ${GoodbyeReason[reason]} ${goodbye.detail}`.trim())
      : new ConnectionError(`${this.peer.hostname}:${this.peer.port} ended the connection: ${GoodbyeReason[reason]}`)
    this.#rejectAnnounces(error)
    socket?.destroy()
    if (welcomed && (reason === GoodbyeReason.GOODBYE_REASON_IDLE || reason === GoodbyeReason.GOODBYE_REASON_REPLACED)) {
      this.#transition('idle')
    } else {
      this.#backoff.failed()
      this.#transition('backoff')
      this.#host.failed(this, error)
    }
    if (this.#inFlight.length > 0) this.#scheduleReconnect()
    else if (this.#retiring !== undefined) this.#endIfRetired()
  }

  #protocolError (detail: string): void {
    this.#socket?.goodbye(GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR, detail)
    this.#socket?.destroy(new ProtocolError(detail))
  }

  #sendAnnounce (): void {
    this.#socket?.send({ kind: { $case: 'announce', value: { tower: { hostname: this.#host.self.hostname, port: this.#host.self.port } } } })
  }

  /** A retired link with nothing left unsettled ends: Goodbye on an open connection, none on one being made. */
  #endIfRetired (): void {
    const retiring = this.#retiring
    if (retiring === undefined || this.inFlightCount > 0 || this.#state === 'closed') return
    this.#clearTimers()
    if (this.#state === 'open') this.#socket?.goodbye(retiring.reason)
    else this.#socket?.destroy()
    this.#socket = undefined
    this.#transition('closed')
    this.#host.retired(this)
  }

  #scheduleReconnect (): void {
    const delay = Math.max(0, this.#backoff.nextAttemptAt - this.#host.clock.now())
    this.#reconnectTimer = this.#host.clock.setTimeout(() => {
      this.#reconnectTimer = undefined
      if (this.#state === 'backoff') this.#dial()
    }, delay)
  }

  #returnAll (reason: ReturnReason): void {
    const inFlight = this.#inFlight.map(messageOf)
    this.#inFlight = []
    this.#inFlightBytes = 0
    // Orphans stay in doubt on a goodbye; only abandoning the peer gives them back.
    if (reason === 'abandoned') inFlight.push(...this.#orphans.splice(0))
    if (inFlight.length > 0) this.#host.returned(this, inFlight, reason)
  }

  #rejectAnnounces (error: Error): void {
    const waiters = this.#announceWaiters
    this.#announceWaiters = []
    for (const waiter of waiters) waiter.reject(error)
  }

  #clearTimers (): void {
    if (this.#handshakeTimer !== undefined) this.#host.clock.clearTimeout(this.#handshakeTimer)
    if (this.#reconnectTimer !== undefined) this.#host.clock.clearTimeout(this.#reconnectTimer)
    this.#handshakeTimer = this.#reconnectTimer = undefined
  }

  #transition (to: LinkState): void {
    const wasConnected = this.connected
    const wasHandshaking = this.#state === 'connecting'
    this.#state = to
    if (wasConnected !== this.connected) this.#host.connectedChanged(wasConnected ? -1 : 1)
    if (wasHandshaking !== (to === 'connecting')) this.#host.handshakingChanged(this, wasHandshaking ? -1 : 1)
  }
}
