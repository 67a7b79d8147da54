import { EventEmitter } from 'node:events'
import { debuglog } from 'node:util'
import { AlreadyStartedError, ClosedError, HandshakeTimeoutError, InvalidAddressError, InvalidPayloadError, NotStartedError, QueueFullError, UntrustedError } from '../errors.js'
import { GoodbyeReason, RefusalReason } from '../gen/clacks/v1/frame.js'
import { LARGE_PAYLOAD_BYTES, MESSAGE_FRAME_OVERHEAD } from '../wire/limits.js'
import { clearMessageRecord, messageId, messagePayload, newMessageRecord, type MessageRecord } from '../wire/message-fast-path.js'
import type { TowerDescriptor } from '../gen/clacks/v1/tower.js'
import { checkKeyPair, generateCertificate } from '../net/certs.js'
import { Backoff, type BackoffPolicy } from '../net/backoff.js'
import { InboundConnection, type AcceptorHost, type DialerAddress } from '../net/inbound.js'
import { Link, type LinkHost, type ReturnReason } from '../net/link.js'
import { TlsTransport } from '../net/tls-transport.js'
import type { ByteStream, Listener, Transport } from '../net/transport.js'
import { SessionTable } from '../net/sessions.js'
import { PinStore, type UntrustedTower } from '../net/trust.js'
import { addressKey, addressProblem, isBindable, type TowerAddress } from '../core/address.js'
import { isIpv4Loopback, isLocalAddress, sourceGroup } from '../core/address-range.js'
import { DialBudget, defaultDialLimits } from './dial-budget.js'
import { systemClock, type Clock } from '../core/clock.js'
import { idSourceFor, idToHex, MESSAGE_ID_BYTES, toPublicMessage, type ClacksMessage, type HeldMessage } from '../core/message.js'
import { Pacer, type PacerRates } from './pacer.js'
import { PEER_STATUSES, PeerTable, unverifiedSource, type Learned, type Peer, type PeerStatus, type PeerView } from './peer-table.js'
import { MessageQueue } from './queue.js'
import { parseInitArgs } from './init-args.js'
import { maxFrameBytes, resolveOptions, type FilterResult, type MessageFilter, type TowerOptions } from './options.js'
import { emptyCounters, type TowerStats } from './stats.js'

const debug = debuglog('clacks')

/**
 * The tower-wide redial budget for lost and dead towers (see #dials). A
 * refused dial costs about a millisecond of CPU, judged by the throughput it
 * takes (a refused tls.connect alone is ~0.3 ms): at 200 a second, two
 * towers that each knew 1,000 unreachable peers lost a quarter of their
 * 1 KiB throughput while the peers' backoffs were short; at 50 most of it
 * came back. Once backoffs reach backoffMax (30 s), 1,000 lost
 * towers need ~33 redials a second, under the budget.
 */
const DIALS_PER_SECOND = 50
const DIAL_BURST = 50

/**
 * Messages the send loop places in one turn of the event loop before it
 * yields. Without a bound, a late pacer wake (or a window reopening on every
 * link at once) placed thousands back to back, holding up every read and
 * timer in the process for milliseconds and the peer's too, which then did
 * the same: the source of multi-millisecond hop latency tails at half load.
 * 256 frames of 64 B to 1 KiB make one or a few TLS records per write.
 */
const PUMP_TURN_MESSAGES = 256

/**
 * Payload bytes the send loop places in one turn, for the same reason: 256
 * frames of 64 KiB are 16 MiB to encrypt in one go, tens of milliseconds.
 */
const PUMP_TURN_BYTES = 1024 * 1024

/** hops is a uint32 on the wire: a message that circulates long enough stays at the top. */
const MAX_HOPS = 0xffffffff

export interface TowerEvents {
  /** A message arrived from another tower and was queued. */
  message: [message: ClacksMessage]
  /** A message joined the queue: enqueued here or received. */
  queued: [message: ClacksMessage]
  /** A tower was added to the peer table. */
  discovered: [tower: PeerView]
  /** A tower's status changed. */
  updated: [tower: PeerView & { previous: PeerStatus }]
  /** A problem with the tower itself (not with a peer: peers failing is normal). */
  error: [error: Error]
  /** Under trust 'tofu': a dialled tower showed another public key than the one pinned to its address, and was refused. */
  untrusted: [tower: UntrustedTower]
}

export interface PeekOptions {
  /** Also list messages sent but not yet acknowledged (still this tower's). */
  inFlight?: boolean
}

export interface CloseOptions {
  /** Hand the queue and in-flight messages to peers first. @default true */
  drain?: boolean
}

export interface CloseSummary {
  /** Messages still held when the tower stopped: lost with it. Zero after a full drain. */
  left: number
}

/** closing: draining to peers; stopping: drained (or given up), nothing more is sent or dialled. */
type TowerState = 'created' | 'starting' | 'running' | 'closing' | 'stopping' | 'closed'

/**
 * A Clacks tower: holds messages in memory and keeps handing them to other
 * towers over persistent TLS links, taking from them in turn.
 *
 * One message's way: enqueue() gives it an id and queues it; the pacer grants
 * a send; the peer table picks a target; the target's link writes it and keeps
 * custody until the target acknowledges; a refusal or a break returns it to
 * the queue.
 */
export class Tower extends EventEmitter<TowerEvents> {
  #state: TowerState = 'created'
  #options: TowerOptions = resolveOptions()
  #clock: Clock = systemClock
  #instanceId: Buffer = Buffer.alloc(MESSAGE_ID_BYTES)
  /** New random ids: the crypto pool, or the injected random source (see idSourceFor). */
  #newId: () => Buffer = idSourceFor(Math.random)
  #self: TowerAddress = { hostname: 'localhost', port: 0 }
  #queue!: MessageQueue
  #peers!: PeerTable
  #pacer!: Pacer
  /**
   * Redials, tower-wide. Each peer is dialled at most once per its backoff;
   * with thousands of lost and dead peers (4.999 % and 0.001 % of picks) that
   * still adds up to thousands of doomed TLS dials a second at high message
   * rates. This bounds them: a peer that would need a redial when the budget
   * is spent is passed over. A new peer's first dial is not counted (it
   * happens once, and contacting new towers first is the spec's rule); the
   * connection limit bounds those.
   */
  #dials!: Pacer
  /** The bounds on dials to addresses nobody vouched for, and on dials in progress (see DialBudget). */
  #dialBudget!: DialBudget
  /** Links whose dial in progress counts as unverified (decided when it started). */
  readonly #unverifiedDialing = new Set<Link<Peer>>()
  /** Whether local-range addresses are taken from other towers (see the allowLocalHints option). */
  #localHintsAllowed = false
  #sessions!: SessionTable
  #listener: Listener | undefined
  /** Under trust 'tofu': the public key pinned to each dialled address. */
  #pins: PinStore | undefined
  /** The key each dial in progress was shown, pinned once its Welcome arrives. */
  readonly #shownKeys = new WeakMap<Link<Peer>, string>()
  readonly #links = new Map<string, Link<Peer>>()
  /** Every dialled peer's backoff, by key: it outlives a link dropped as unused (see the failed() hook). */
  readonly #backoffs = new Map<string, Backoff>()
  readonly #inbound = new Set<InboundConnection>()
  readonly #counters = emptyCounters()
  #paused = false
  #pumpScheduled = false
  /** A pump due when the new peers are looked at again (see PeerTable.newPeersSkippedUntil). */
  #newPeersPump: unknown
  #maintenanceTimer: unknown
  /** Payload bytes of the message being placed, for the usable-peer test. */
  #placingBytes = 0
  /** Set by the usable-peer test when an open link would take a smaller message than the one being placed. */
  #sizeBlocked = false
  /** The queue's head as the send loop takes it out (see MessageQueue.shiftRecord). */
  readonly #outgoing = newMessageRecord()
  #drained: (() => void) | undefined
  /** While closing: when the drain gives up, and the peers that cannot take anything before then (see #couldHandOn). */
  #drainDeadline = 0
  readonly #drainOut = new Set<string>()
  /** Links with a socket open or opening, kept by the links' transitions. */
  #outboundConnections = 0
  /** What each friend descriptor seen came to: its peer-table key, or null for no valid address (see #friendKey). */
  readonly #friendKeys = new WeakMap<TowerDescriptor, string | null>()

  /**
   * Starts the tower: checks the options, listens, and begins sending.
   * `init(options)`, or `init(key, cert, options)` with PEM key and
   * certificate; without them a self-signed ECDSA certificate is generated.
   * Any other arguments, or a second call, are a ClacksError.
   */
  async init (options?: Partial<TowerOptions>): Promise<this>
  async init (key: string | Buffer | undefined, cert: string | Buffer | undefined, options?: Partial<TowerOptions>): Promise<this>
  async init (...args: unknown[]): Promise<this> {
    if (this.#state !== 'created') throw new AlreadyStartedError(this.#state)
    const { pair, options } = parseInitArgs(args)
    this.#options = resolveOptions(options)
    const o = this.#options
    const bind = o.bind ?? (isBindable(o.hostname) ? o.hostname : undefined)
    let transport = o.transport
    if (transport === undefined) {
      const { key, cert } = pair ?? await generateCertificate({ hostname: o.hostname })
      if (pair !== undefined) checkKeyPair(key.toString(), cert.toString())
      // Under trust 'ca' both sides show a certificate signed by the CA, and both check it.
      const loopbackSource = bind !== undefined && isIpv4Loopback(bind) ? bind : undefined
      transport = new TlsTransport({ key, cert, ca: o.ca, handshakeTimeout: o.handshakeTimeout, mutual: o.trust === 'ca', loopbackSource })
    }
    if (this.#state !== 'created') throw new AlreadyStartedError(this.#state)
    this.#state = 'starting'
    this.#clock = o.clock ?? systemClock
    this.#newId = idSourceFor(o.random)
    this.#instanceId = this.#newId()
    this.#queue = new MessageQueue(o.maxQueueMessages, o.maxQueueBytes)
    this.#pacer = new Pacer({ sendrate: o.sendrate, byterate: o.byterate, sendburst: o.sendburst, byteburst: o.byteburst }, this.#clock)
    this.#dials = new Pacer({ sendrate: DIALS_PER_SECOND, byterate: Infinity, sendburst: DIAL_BURST }, this.#clock)
    this.#dialBudget = new DialBudget(defaultDialLimits(o.maxConnections), () => this.#clock.now())
    this.#localHintsAllowed = o.allowLocalHints ?? isLocalAddress(o.hostname)
    this.#sessions = new SessionTable(o.maxConnections * 4, o.maxInFlight)
    try {
      this.#pins = o.trust === 'tofu' ? new PinStore(o.pinFile, 2 * o.maxPeers) : undefined
    } catch (error) {
      this.#state = 'closed'
      throw error
    }
    try {
      this.#listener = await transport.listen(bind, o.port, stream => this.#accept(stream))
      this.#self = { hostname: o.hostname, port: this.#listener.port }
      this.#acceptorHost = this.#makeAcceptorHost()
    } catch (error) {
      this.#state = 'closed'
      throw error
    }
    this.#peers = new PeerTable({
      self: this.#self,
      maxPeers: o.maxPeers,
      killtimeout: o.killtimeout,
      policy: o.peerPolicy,
      random: o.random,
      now: () => this.#clock.now(),
      events: {
        discovered: peer => {
          if (this.listenerCount('discovered') > 0) this.emit('discovered', this.#view(peer))
          this.#schedulePump()
        },
        updated: (peer, previous) => {
          // A dead tower's in-doubt messages come back: if it still held them, they are now twice in the network.
          if (peer.status === 'dead' && this.#links.get(peer.key)?.inDoubt === true) this.#links.get(peer.key)?.abandon()
          if (this.listenerCount('updated') > 0) this.emit('updated', { ...this.#view(peer), previous })
        },
        evicted: peer => {
          this.#links.get(peer.key)?.abandon()
          this.#links.delete(peer.key)
          this.#backoffs.delete(peer.key)
        }
      },
      canEvict: peer => (this.#links.get(peer.key)?.inFlightCount ?? 0) === 0
    })
    this.#linkHost = this.#makeLinkHost(transport)
    this.#backoffPolicy = { initial: o.backoffInitial, max: o.backoffMax, random: o.random }
    this.#state = 'running'
    this.#scheduleMaintenance()
    debug('tower %s:%d started, instance %s', this.#self.hostname, this.#self.port, this.#instanceId.toString('hex'))
    return this
  }

  /** The port the tower listens on (the bound one when options.port was 0). */
  get port (): number {
    return this.#self.port
  }

  get hostname (): string {
    return this.#self.hostname
  }

  /** This run's instance id (hex): new on every start. */
  get instanceId (): string {
    return this.#instanceId.toString('hex')
  }

  get options (): Readonly<TowerOptions> {
    return this.#options
  }

  /** Queues a message for the network; returns its id (32 hex characters). */
  enqueue (payload: Uint8Array | string): string {
    this.#assertRunning()
    if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) throw new InvalidPayloadError('payload must be a Uint8Array or a string')
    // A copy: the caller may reuse its buffer once enqueue() returns.
    const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload)
    if (bytes.length > this.#options.maxPayloadBytes) {
      throw new InvalidPayloadError(`payload of ${bytes.length} bytes is over the ${this.#options.maxPayloadBytes}-byte limit`)
    }
    const message: HeldMessage = { id: this.#newId(), payload: bytes, hops: 0 }
    if (!this.#queue.push(message)) {
      this.#counters.queueFull++
      throw new QueueFullError(`the queue is full (${this.#queue.length} messages, ${this.#queue.bytes} bytes)`)
    }
    this.#counters.enqueued++
    if (this.listenerCount('queued') > 0) this.emit('queued', toPublicMessage(message))
    this.#schedulePump()
    return idToHex(message.id)
  }

  /** The messages this tower holds: its queue, and with `inFlight` also those sent but unacknowledged. */
  peek (options: PeekOptions = {}): ClacksMessage[] {
    this.#assertStarted()
    const held = this.#queue.snapshot().map(message => toPublicMessage(message))
    if (options.inFlight === true) {
      for (const link of this.#links.values()) {
        for (const message of link.heldMessages()) held.push(toPublicMessage(message))
      }
    }
    return held
  }

  /** The towers this one knows, with their status. */
  survey (): PeerView[] {
    this.#assertStarted()
    return Array.from(this.#peers.all(), peer => this.#view(peer))
  }

  /** Adds a tower to the peer table as "new". */
  expand (hostname: string, port: number): void {
    this.#assertStarted()
    this.#checkAddress(hostname, port)
    this.#peers.add({ hostname, port })
  }

  /** Tells a tower about this one and adds it; resolves once it has recorded us. */
  async announce (hostname: string, port: number): Promise<void> {
    this.#assertRunning()
    this.#checkAddress(hostname, port)
    const peer = this.#peers.add({ hostname, port }) ?? this.#peers.get(hostname, port)
    if (peer === undefined) throw new InvalidAddressError(`cannot announce to ${hostname}:${port}: it is this tower, or the peer table is full`)
    if (peer.status === 'ignored') throw new InvalidAddressError(`${hostname}:${port} is ignored`)
    await this.#linkFor(peer).announce()
  }

  /**
   * Refuses a tower from now on: nothing from it is taken, nothing is sent to
   * it. Messages already sent to it and not yet acknowledged stay this
   * tower's, and go nowhere else, until it has settled them (it may hold
   * them already); its link then ends (see Link.retire).
   */
  ignore (hostname: string, port: number): void {
    this.#assertStarted()
    this.#checkAddress(hostname, port)
    const peer = this.#peers.ignore({ hostname, port })
    const link = this.#links.get(peer.key)
    if (link === undefined) this.#backoffs.delete(peer.key)
    else link.retire(GoodbyeReason.GOODBYE_REASON_IGNORED)
    for (const connection of this.#inbound) {
      const dialer = connection.dialer
      if (dialer !== undefined && this.#peers.get(dialer.hostname, dialer.port) === peer) connection.close(GoodbyeReason.GOODBYE_REASON_IGNORED)
    }
  }

  /** Under trust 'tofu': forgets the key pinned to a tower's address, so the next key it shows is pinned instead. True when there was a pin. */
  unpin (hostname: string, port: number): boolean {
    this.#assertStarted()
    this.#checkAddress(hostname, port)
    const had = this.#pins?.unpin(addressKey(hostname, port)) ?? false
    if (had) this.#savePins()
    return had
  }

  onMessageReceived (callback: (message: ClacksMessage) => void): this { return this.on('message', callback) }
  onMessageQueued (callback: (message: ClacksMessage) => void): this { return this.on('queued', callback) }
  onTowerDiscovered (callback: (tower: PeerView) => void): this { return this.on('discovered', callback) }
  onTowerUpdated (callback: (tower: PeerView & { previous: PeerStatus }) => void): this { return this.on('updated', callback) }

  /** Stops sending new messages; receiving, and settling messages in doubt, go on. */
  pause (): void {
    this.#paused = true
    this.#pacer?.cancel()
  }

  resume (): void {
    this.#paused = false
    this.#schedulePump()
  }

  /** Changes the send rates at once, without a restart (0 or Infinity is unlimited); `options` shows them. */
  setRate (rates: Partial<PacerRates>): void {
    this.#assertStarted()
    this.#pacer.setRate(rates)
    const { sendrate, byterate } = this.#pacer.rates
    this.#options = { ...this.#options, sendrate, byterate, sendburst: rates.sendburst ?? this.#options.sendburst, byteburst: rates.byteburst ?? this.#options.byteburst }
    // The pump decides again under the new rates (and sleeps again if it must).
    this.#pacer.cancel()
    this.#schedulePump()
  }

  stats (): TowerStats {
    this.#assertStarted()
    let inFlight = 0
    let inDoubt = 0
    for (const link of this.#links.values()) {
      inFlight += link.inFlightCount
      inDoubt += link.inDoubtCount
    }
    const peers = {} as Record<PeerStatus, number>
    for (const status of PEER_STATUSES) peers[status] = this.#peers.count(status)
    // Into an object of the counters' own shape: spreading the live counters into a literal cost
    // 4.5–47 µs a call on a running tower (0.2 µs this way), and the simulator reads every tower's
    // stats every simulated second.
    return Object.assign(emptyCounters(), this.#counters, {
      queued: this.#queue.length,
      queuedBytes: this.#queue.bytes,
      inFlight,
      inDoubt,
      peers,
      connections: { inbound: this.#inbound.size, outbound: this.#outboundConnections },
      peerTableFull: this.#peers.refusedFull,
      tlsFailures: this.#listener?.handshakeFailures ?? 0,
      protocolErrors: this.#acceptorHost?.protocolErrors ?? 0,
      sessions: this.#sessions.size,
      dialsHandshaking: this.#dialBudget.handshaking,
      hintsRefused: this.#peers.refusedSourceQuota
    })
  }

  /**
   * Shuts the tower down. With `drain` (the default) it first stops taking
   * messages and hands everything it holds to peers, for up to drainTimeout.
   */
  async close (options: CloseOptions = {}): Promise<CloseSummary> {
    if (this.#state === 'created' || this.#state === 'closed') {
      this.#state = 'closed'
      return { left: 0 }
    }
    if (this.#state === 'closing' || this.#state === 'stopping') throw new ClosedError()
    this.#state = 'closing'
    // Draining goes unpaced: a sleeping pacer must not hold the pump back.
    this.#pacer.cancel()
    // Still listening while draining: a peer with messages in doubt for us can resume, learn what
    // we hold, and settle them (Welcome, then at once Goodbye) instead of waiting for killtimeout.
    for (const connection of this.#inbound) connection.close(GoodbyeReason.GOODBYE_REASON_SHUTTING_DOWN)
    if (options.drain !== false) await this.#drain()
    // What is still in flight may already be its peer's: it comes back to the queue below only to be
    // counted as left, and must not be handed on again, nor any link dialled, while the listener closes.
    this.#state = 'stopping'
    const closingServer = this.#listener?.close()
    for (const connection of this.#inbound) connection.close(GoodbyeReason.GOODBYE_REASON_SHUTTING_DOWN)
    this.#clock.clearTimeout(this.#maintenanceTimer)
    this.#clock.clearTimeout(this.#newPeersPump)
    let left = this.#queue.length
    for (const link of this.#links.values()) {
      left += link.inFlightCount
      if (link.inFlightCount === 0) link.goodbye(GoodbyeReason.GOODBYE_REASON_SHUTTING_DOWN)
      else link.abandon()
    }
    this.#links.clear()
    await closingServer
    this.#savePins()
    this.#state = 'closed'
    if (left > 0) debug('closed with %d messages left', left)
    return { left }
  }

  // --- sending ---

  #schedulePump (): void {
    // While the pacer sleeps nothing may go out, whatever changed: its wake runs the pump. Without this every
    // acknowledgement of a paced tower ran the pump for a message or two, each its own TLS write.
    if (this.#pumpScheduled || this.#pacer?.waiting === true) return
    this.#pumpScheduled = true
    this.#clock.setImmediate(this.#pump)
  }

  /** Places queued messages while the pacer, a usable peer and its link allow. */
  readonly #pump = (): void => {
    this.#pumpScheduled = false
    const draining = this.#state === 'closing'
    if ((this.#paused && !draining) || (this.#state !== 'running' && !draining)) return
    let rotations = 0
    let placed = 0
    let placedBytes = 0
    for (let length = this.#queue.headLength(); length !== -1; length = this.#queue.headLength()) {
      if (placed === PUMP_TURN_MESSAGES || placedBytes >= PUMP_TURN_BYTES) {
        // Let the event loop read and acknowledge before placing more (see PUMP_TURN_MESSAGES).
        this.#schedulePump()
        return
      }
      this.#placingBytes = length
      this.#sizeBlocked = false
      const peer = this.#peers.pick(this.#usable)
      if (peer === undefined) {
        // Nowhere for the head. If only its size is in the way (a peer's frame limit or
        // byte window), it waits at the back and the messages behind it go on.
        if (!this.#sizeBlocked || ++rotations >= this.#queue.length) return this.#pumpWhenNewPeersAreTried()
        this.#queue.push(this.#queue.shift() as HeldMessage)
        continue
      }
      const frameBytes = length + MESSAGE_FRAME_OVERHEAD
      // A closing tower hands everything on as fast as its links allow: the rate is for circulation, not for leaving.
      if (!draining && !this.#pacer.tryTake(frameBytes)) {
        this.#pacer.wakeWhenReady(frameBytes, this.#pump)
        return
      }
      const link = this.#linkFor(peer)
      let sentBytes = length
      if (this.#options.outboundFilter === undefined) {
        // The usual case: from the queue's memory straight into the frame, with no objects on the way.
        this.#queue.shiftRecord(this.#outgoing)
        link.sendRecord(this.#outgoing)
        clearMessageRecord(this.#outgoing)
      } else {
        const head = this.#queue.shift() as HeldMessage
        const filtered = this.#filter(this.#options.outboundFilter, head)
        if (filtered === false) {
          this.#counters.filteredOut++
          continue
        }
        // A changed payload goes out in a copy; the held message stays as it was, should it come back.
        const outgoing = filtered === undefined ? head : { id: head.id, payload: filtered, hops: head.hops, original: head }
        sentBytes = outgoing.payload.length
        link.send(outgoing)
      }
      this.#counters.sent++
      this.#counters.bytesSent += sentBytes
      placed++
      placedBytes += sentBytes
    }
  }

  /**
   * Nothing was usable while new peers were being passed over: the pump runs
   * again when they are looked at, or they would wait for the next failure
   * or maintenance tick to be tried (a second each, with a table of dead
   * addresses).
   */
  #pumpWhenNewPeersAreTried (): void {
    const until = this.#peers.newPeersSkippedUntil
    if (until === undefined || this.#newPeersPump !== undefined) return
    this.#newPeersPump = this.#clock.setTimeout(() => {
      this.#newPeersPump = undefined
      this.#schedulePump()
    }, until - this.#clock.now())
  }

  /**
   * Whether a message of #placingBytes can go to this peer now: its link is
   * open and has room. A peer with no open link gets a dial started, within
   * its backoff, the connection limit and the dial budgets, and is passed
   * over for this message: it is used once its Welcome arrives.
   */
  readonly #usable = (peer: Peer): boolean => {
    const link = this.#links.get(peer.key)
    if (link?.state === 'open') {
      if (link.canTake(this.#placingBytes)) return true
      if (this.#placingBytes > 0 && link.canTake(0)) this.#sizeBlocked = true
      return false
    }
    // The peer's backoff decides, whether it still has a link (which shares it) or
    // had an unused one dropped: no link is made just to ask.
    const mayDial = link?.state !== 'connecting' && (this.#backoffs.get(peer.key)?.canAttempt(this.#clock.now()) ?? true)
    if (mayDial && this.#connectionCount() < this.#options.maxConnections && (peer.status === 'new' || this.#dials.tryTake(0)) && this.#withinDialBudget(peer)) {
      this.#linkFor(peer).connect()
    }
    return false
  }

  /** Whether the dial budget lets a dial to this peer start now (taking its share if so); counts it when not. */
  #withinDialBudget (peer: Peer): boolean {
    if (this.#dialBudget.tryDial(peer.hostname, unverifiedSource(peer)) === undefined) return true
    this.#counters.dialsRefused++
    return false
  }

  #linkFor (peer: Peer): Link<Peer> {
    let link = this.#links.get(peer.key)
    if (link === undefined || link.state === 'closed') {
      link = new Link(peer, this.#linkHost, this.#backoffFor(peer))
      this.#links.set(peer.key, link)
    }
    return link
  }

  #backoffFor (peer: Peer): Backoff {
    let backoff = this.#backoffs.get(peer.key)
    if (backoff === undefined) {
      backoff = new Backoff(this.#backoffPolicy)
      this.#backoffs.set(peer.key, backoff)
    }
    return backoff
  }

  #linkHost!: LinkHost<Peer>
  #backoffPolicy!: BackoffPolicy

  #makeLinkHost (transport: Transport): LinkHost<Peer> {
    const o = this.#options
    return {
    instanceId: this.#instanceId,
    transport,
    self: this.#self,
    settings: { ...o, maxFrameBytes: maxFrameBytes(o) },
    clock: this.#clock,
    random: o.random,
    newId: this.#newId,
    delivered: (link, count) => {
      this.#counters.acked += count
      this.#peers.markSuccess(link.peer)
      this.#checkDrained()
    },
    returned: (link, messages, reason, refusal) => this.#returned(link, messages, reason, refusal),
    succeeded: link => {
      this.#peers.markSuccess(link.peer)
      this.#peers.markVerified(link.peer)
      const shown = this.#shownKeys.get(link)
      if (shown !== undefined) this.#pins?.pinIfNew(link.peer.key, shown)
    },
    checkPeer: (link, publicKey) => this.#checkPeer(link, publicKey),
    failed: (link, error) => {
      debug('link to %s failed: %s', link.peer.key, error.message)
      this.#peers.markFailure(link.peer)
      if (link.unused && this.#links.get(link.peer.key) === link) this.#links.delete(link.peer.key)
      // Refused, closing or gone: no use trying it again in this drain. A peer slow to answer is, while the drain lasts.
      if (this.#drained !== undefined && !(error instanceof HandshakeTimeoutError)) this.#drainOut.add(link.peer.key)
      this.#schedulePump()
      this.#checkDrained()
    },
    ready: () => this.#schedulePump(),
    friendFor: (link): TowerDescriptor | undefined => this.#peers.randomAlive(link.peer),
    announced: (link, tower) => {
      this.#peers.markSuccess(link.peer)
      const origin = addressKey(tower.hostname, tower.port) === link.peer.key ? 'self' : 'hint'
      this.#learn(tower, { origin, source: this.#sourceOf(link.peer.hostname) })
    },
    connectedChanged: delta => { this.#outboundConnections += delta },
    retired: link => {
      if (this.#links.get(link.peer.key) !== link) return
      this.#links.delete(link.peer.key)
      this.#backoffs.delete(link.peer.key)
      this.#checkDrained()
    },
    handshakingChanged: (link, delta) => this.#handshakingChanged(link, delta)
    }
  }

  /** Under trust 'tofu': a dialled tower must show the key pinned to its address, if any; the key is noted, to pin on success. */
  #checkPeer (link: Link<Peer>, presented: string | undefined): Error | undefined {
    if (this.#pins === undefined) return undefined
    if (presented === undefined) return new UntrustedError(`${link.peer.key} showed no certificate`)
    const pinned = this.#pins.get(link.peer.key)
    if (pinned === undefined || pinned === presented) {
      this.#shownKeys.set(link, presented)
      return undefined
    }
    this.#counters.untrustedRefused++
    const { hostname, port } = link.peer
    if (this.listenerCount('untrusted') > 0) this.emit('untrusted', { hostname, port, pinned, presented })
    return new UntrustedError(`${link.peer.key} showed public key ${presented.slice(0, 16)}…, not the pinned ${pinned.slice(0, 16)}… (tower.unpin() to accept it)`)
  }

  /** Writes the pins, if they changed; a failure is the tower's problem, reported, never thrown at a peer. */
  #savePins (): void {
    try {
      this.#pins?.save()
    } catch (error) {
      if (this.listenerCount('error') > 0) this.emit('error', error as Error)
      else debug('cannot save the pins: %s', (error as Error).message)
    }
  }

  #handshakingChanged (link: Link<Peer>, delta: 1 | -1): void {
    const budget = this.#dialBudget
    budget.handshaking += delta
    if (delta === 1) {
      this.#counters.dialsMade++
      if (unverifiedSource(link.peer) === undefined) return
      this.#unverifiedDialing.add(link)
      budget.unverifiedHandshaking++
      return
    }
    if (link.state !== 'open') this.#counters.dialsFailed++
    if (this.#unverifiedDialing.delete(link)) budget.unverifiedHandshaking--
  }

  #returned (link: Link<Peer>, messages: readonly HeldMessage[], reason: ReturnReason, refusal?: RefusalReason): void {
    this.#counters.returned += messages.length
    if (reason === 'refused') {
      this.#counters.refused += messages.length
      if (refusal === RefusalReason.REFUSAL_REASON_IGNORED) this.#peers.markFailure(link.peer)
      if (refusal === RefusalReason.REFUSAL_REASON_SHUTTING_DOWN && this.#drained !== undefined) this.#drainOut.add(link.peer.key)
    }
    // A message the outbound filter changed comes back as it was before: it is filtered again when it goes again.
    this.#queue.returnToFront(messages.map(message => message.original ?? message))
    this.#schedulePump()
    this.#checkDrained()
  }

  // --- receiving ---

  #accept (socket: ByteStream): void {
    if (this.#acceptorHost === undefined) {
      // Listening, but the port is not known to us yet: nobody should know it either.
      socket.destroy()
      return
    }
    const connection = new InboundConnection(socket, this.#acceptorHost)
    if (this.#connectionCount() >= this.#options.maxConnections) {
      this.#counters.connectionsRefused++
      connection.refuse(GoodbyeReason.GOODBYE_REASON_TOO_MANY_CONNECTIONS, `at most ${this.#options.maxConnections} connections`)
      return
    }
    this.#inbound.add(connection)
  }

  #acceptorHost!: AcceptorHost

  #makeAcceptorHost (): AcceptorHost {
    return {
    instanceId: this.#instanceId,
    self: this.#self,
    maxInFlight: this.#options.maxInFlight,
    maxFrameBytes: maxFrameBytes(this.#options),
    sessions: this.#sessions,
    protocolErrors: 0,
    clock: this.#clock,
    closing: () => this.#state !== 'running',
    admit: dialer => {
      if (this.#peers.isIgnored(dialer.hostname, dialer.port)) {
        this.#counters.ignoredRefused++
        return false
      }
      this.#reinstate(this.#learn(dialer, { origin: 'self', source: this.#sourceOf(dialer.remoteAddress) }, dialer.key))
      return true
    },
    take: (message, from) => this.#take(message, from),
    announced: (tower, from) => {
      const key = addressKey(tower.hostname, tower.port)
      this.#reinstate(this.#learn(tower, { origin: key === from.key ? 'self' : 'hint', source: this.#sourceOf(from.remoteAddress) }, key))
    },
    released: connection => {
      this.#inbound.delete(connection)
      this.#checkDrained()
    }
    }
  }

  /** Success as recipient: a lost or dead tower that reached us is alive again. */
  #reinstate (peer: Peer | undefined): void {
    if (peer !== undefined && (peer.status === 'lost' || peer.status === 'dead')) this.#peers.markSuccess(peer)
  }

  #take (message: MessageRecord, from: DialerAddress): RefusalReason | undefined {
    if (message.idLength !== MESSAGE_ID_BYTES) return this.#refuse(RefusalReason.REFUSAL_REASON_MALFORMED)
    const friend = message.friend
    const friendKey = friend === undefined ? undefined : this.#friendKey(friend)
    if (friendKey === null) return this.#refuse(RefusalReason.REFUSAL_REASON_MALFORMED)
    const payloadBytes = message.payloadLength
    if (payloadBytes > this.#options.maxPayloadBytes) return this.#refuse(RefusalReason.REFUSAL_REASON_TOO_LARGE)
    if (this.#state !== 'running') return this.#refuse(RefusalReason.REFUSAL_REASON_SHUTTING_DOWN)
    if (!this.#queue.fits(payloadBytes)) return this.#refuseQueueFull()
    const hops = Math.min(message.hops + 1, MAX_HOPS)
    const inboundFilter = this.#options.inboundFilter
    const listening = this.listenerCount('message') > 0 || this.listenerCount('queued') > 0
    let held: HeldMessage | undefined
    if (inboundFilter === undefined && !listening) {
      // The usual case: from the frame's bytes straight into the queue, with no objects on the way.
      if (!this.#queue.pushRecord(message, hops)) return this.#refuseQueueFull()
    } else {
      held = { id: messageId(message), payload: messagePayload(message), hops }
      const filtered = this.#filter(inboundFilter, held, from)
      if (filtered instanceof Buffer) held.payload = filtered
      if (filtered === false) held = undefined
      // A filter may have made the payload bigger than the queue has room for: then it is not ours.
      else if (!this.#queue.push(held)) return this.#refuseQueueFull()
    }
    // Taken (queued, or dropped by the application's filter): the sender and its friend count.
    if (friend !== undefined && friendKey !== undefined && this.#peers.getByKey(friendKey) === undefined) {
      this.#learn({ hostname: friend.hostname, port: friend.port }, { origin: 'hint', source: this.#sourceOf(from.remoteAddress) }, friendKey)
    }
    this.#reinstate(this.#peers.getByKey(from.key))
    this.#counters.received++
    this.#counters.bytesReceived += payloadBytes
    if (held === undefined && inboundFilter !== undefined) {
      this.#counters.filteredIn++
      return undefined
    }
    if (held !== undefined && listening) {
      const view = toPublicMessage(held, from)
      // A small payload is a view of the socket's bytes (the queue packed a copy): listeners get one they may keep.
      if (held.payload.length < LARGE_PAYLOAD_BYTES) view.payload = Buffer.from(held.payload)
      this.emit('message', view)
      this.emit('queued', view)
    }
    this.#schedulePump()
    return undefined
  }

  /**
   * Adds a tower another told us of, or that told us of itself: a hint to
   * dial within the dial budget, not an order. A local-range address is not
   * taken unless this tower allows them (see the allowLocalHints option).
   */
  #learn (address: TowerAddress, learned: Learned, key = addressKey(address.hostname, address.port)): Peer | undefined {
    if (!this.#localHintsAllowed && this.#peers.getByKey(key) === undefined && isLocalAddress(address.hostname)) {
      this.#counters.localHintsRefused++
      return undefined
    }
    return this.#peers.add(address, 'new', key, learned)
  }

  #refuseQueueFull (): RefusalReason {
    this.#counters.queueFull++
    return this.#refuse(RefusalReason.REFUSAL_REASON_QUEUE_FULL)
  }

  /**
   * A friend's peer-table key, or null when it is no valid address. The
   * decoder hands the same descriptor object to every frame naming the same
   * tower, so the answer is worked out once per descriptor, not per message.
   */
  #friendKey (friend: TowerDescriptor): string | null {
    let key = this.#friendKeys.get(friend)
    if (key === undefined) {
      key = addressProblem(friend.hostname, friend.port) === undefined ? addressKey(friend.hostname, friend.port) : null
      this.#friendKeys.set(friend, key)
    }
    return key
  }

  /** The source an address counts under for the dial budget and the hint quotas (see the localSourcesByAddress option). */
  #sourceOf (address: string): string {
    return this.#options.localSourcesByAddress && isLocalAddress(address) ? address.toLowerCase() : sourceGroup(address)
  }

  #refuse (reason: RefusalReason): RefusalReason {
    this.#counters.refusedInbound++
    return reason
  }

  /** Runs a filter: a new payload, `false` to drop the message, or undefined to keep it as it is. */
  #filter (filter: MessageFilter | undefined, message: HeldMessage, from?: TowerAddress): Buffer | false | undefined {
    if (filter === undefined) return undefined
    let result: FilterResult
    try {
      result = filter(toPublicMessage(message, from))
    } catch (error) {
      // A throwing filter must not lose the message: keep it as it was. An 'error' event with
      // no listener would throw in turn, so it is only emitted to someone listening.
      if (this.listenerCount('error') > 0) this.emit('error', error as Error)
      else debug('a message filter threw: %s', (error as Error)?.message)
      return undefined
    }
    if (result === false) return false
    if (typeof result === 'string') return Buffer.from(result, 'utf8')
    if (result instanceof Uint8Array) return Buffer.from(result)
    return undefined
  }

  // --- upkeep ---

  #scheduleMaintenance (): void {
    const o = this.#options
    const every = Math.max(20, Math.min(1000, o.ackTimeout / 4, o.killtimeout / 4, o.handshakeTimeout / 4))
    this.#maintenanceTimer = this.#clock.setTimeout(() => {
      this.#maintain()
      if (this.#state === 'running' || this.#state === 'closing') this.#scheduleMaintenance()
    }, every)
  }

  /** The periodic check: lost towers past killtimeout die, links and connections time out. */
  #maintain (): void {
    const now = this.#clock.now()
    this.#peers.sweep()
    this.#dialBudget.prune()
    if (this.#pins?.dirty === true) this.#savePins()
    for (const link of this.#links.values()) link.checkTimers(now)
    const o = this.#options
    for (const connection of this.#inbound) {
      if (connection.state === 'awaiting-hello' && now - connection.acceptedAt > o.handshakeTimeout) {
        this.#counters.handshakeTimeouts++
        connection.refuse(GoodbyeReason.GOODBYE_REASON_HANDSHAKE_TIMEOUT, `no hello within ${o.handshakeTimeout} ms`)
      } else if (connection.state === 'open' && now - connection.lastActive > 2 * o.idleTimeout) {
        connection.close(GoodbyeReason.GOODBYE_REASON_IDLE)
      }
    }
    this.#schedulePump()
  }

  /** Resolves when nothing is queued or in flight, when nothing more can be handed on, or after drainTimeout. */
  #drain (): Promise<void> {
    return new Promise(resolve => {
      this.#drainDeadline = this.#clock.now() + this.#options.drainTimeout
      const timer = this.#clock.setTimeout(() => finish(), this.#options.drainTimeout)
      const finish = (): void => {
        this.#clock.clearTimeout(timer)
        this.#drained = undefined
        this.#drainOut.clear()
        resolve()
      }
      this.#drained = finish
      this.#checkDrained()
      this.#schedulePump()
    })
  }

  /**
   * Drained: nothing queued, nothing in flight, and no dialer whose connection
   * broke lately still due to resume (it may hold messages in doubt that only
   * our Welcome can settle; dialers retry within backoffMax).
   */
  #checkDrained (): void {
    if (this.#drained === undefined) return
    for (const link of this.#links.values()) if (link.inFlightCount > 0) return
    if (this.#sessions.brokenSince(this.#clock.now() - 2 * this.#options.backoffMax)) return
    if (this.#queue.length > 0 && this.#couldHandOn()) return
    this.#drained()
  }

  /**
   * Whether some peer may still take a message before the drain gives up: one
   * not ignored, that has neither failed (other than by a handshake timeout)
   * nor said it is shutting down since the close began, and whose link is open or opening or whose backoff
   * allows a dial in time. With none, close() ends at once instead of
   * waiting out drainTimeout (a lone tower; towers closed together).
   */
  #couldHandOn (): boolean {
    for (const peer of this.#peers.all()) {
      if (peer.status === 'ignored' || this.#drainOut.has(peer.key)) continue
      const state = this.#links.get(peer.key)?.state
      if (state === 'open' || state === 'connecting') return true
      if ((this.#backoffs.get(peer.key)?.nextAttemptAt ?? 0) < this.#drainDeadline) return true
    }
    return false
  }

  /** Connections against maxConnections: dials still handshaking have their own budget (see DialBudget). */
  #connectionCount (): number {
    return this.#inbound.size + this.#outboundConnections - this.#dialBudget.handshaking
  }

  #view (peer: Peer): PeerView {
    const toEpoch = this.#clock.wallTime() - this.#clock.now()
    return { hostname: peer.hostname, port: peer.port, status: peer.status, since: Math.round(toEpoch + peer.since), discovered: Math.round(toEpoch + peer.discovered) }
  }

  #checkAddress (hostname: string, port: number): void {
    const problem = addressProblem(hostname, port)
    if (problem !== undefined) throw new InvalidAddressError(problem)
  }

  #assertStarted (): void {
    if (this.#state === 'created') throw new NotStartedError()
  }

  #assertRunning (): void {
    this.#assertStarted()
    if (this.#state !== 'running') throw new ClosedError()
  }
}

/** A new, unstarted tower: `await createTower().init(key, cert, options)`. */
export function createTower (): Tower {
  return new Tower()
}
