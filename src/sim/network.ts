import { createHash } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { ConnectionError, ListenError } from '../errors.js'
import type { FakeClock } from '../core/clock.js'
import type { ByteStream, DialTarget, Listener, PeerIdentity, Transport } from '../net/transport.js'
import type { ProcessClock } from './process-clock.js'

/** One-way delay of a packet between two hosts, in ms: fixed, or drawn per write. */
export type Latency = (from: string, to: string) => number

export interface NetworkOptions {
  /** @default 5 ms each way */
  latency?: Latency
  /** Bytes per second each way per connection; Infinity for none. @default Infinity */
  bandwidth?: number
  /** What the TLS handshake costs beyond its round trips (key exchange, signatures), in ms of CPU. @default 0 */
  handshakeMs?: number
  /**
   * Handshakes the network's CPUs can work on at once: Infinity when every
   * tower has its own machine; 1 when all towers share one event loop, as
   * towers in one process do (then handshakes queue for it). @default Infinity
   */
  handshakeCpus?: number
}

/** Node's default high-water mark: a write past it returns false, and 'drain' follows. */
const HIGH_WATER_BYTES = 16 * 1024

/** Something a connection carries, in order: bytes, the end of the stream (FIN), or a reset (RST). */
type Packet = Buffer | 'fin' | 'rst'

/**
 * An in-memory network of hosts in virtual time, for Transport: every host
 * has its own name, listeners and streams. Packets arrive after the
 * latency, in order per direction; bandwidth spaces them out. Faults: a
 * crash (the host's streams vanish and their peers see the connection end),
 * a reset (both sides see an error), and partitions, across which nothing
 * arrives until they heal — as TCP retransmits, what was sent meanwhile
 * then arrives, unless the other side gave up on the connection.
 */
export class SimNetwork {
  readonly clock: FakeClock
  readonly #latency: Latency
  readonly #bandwidth: number
  readonly handshakeMs: number
  /** When each shared CPU is next free for a handshake (empty: a CPU per host). */
  readonly #cpuFreeAt: number[]
  readonly #hosts = new Map<string, SimHost>()
  /** Hosts' partition groups while a partition lasts: hosts in different groups cannot reach each other. */
  #groups: Map<string, number> | undefined
  /** Deliveries waiting for a partition to heal, in the order they were due. */
  #held: Array<() => void> = []
  /** Bytes written, for the summary. */
  bytesSent = 0
  /** Bytes written and not yet delivered: what the wire itself holds right now (for instruments). */
  bytesInTransit = 0
  /** Every stream ever opened (either side), for the trace. */
  connectionsOpened = 0

  constructor (clock: FakeClock, options: NetworkOptions = {}) {
    this.clock = clock
    this.#latency = options.latency ?? (() => 5)
    this.#bandwidth = options.bandwidth ?? Infinity
    this.handshakeMs = options.handshakeMs ?? 0
    const cpus = options.handshakeCpus ?? Infinity
    this.#cpuFreeAt = Number.isFinite(cpus) ? new Array<number>(cpus).fill(0) : []
  }

  /** The transport of a host (made on first use), whose timers run on `clock`. */
  transportFor (hostname: string, clock: ProcessClock): Transport {
    const host = new SimHost(this, hostname, clock)
    this.#hosts.set(hostname, host)
    return host
  }

  /** A host's process died: its listeners go, its streams vanish, their peers see the connections end. */
  crash (hostname: string): void {
    const host = this.#hosts.get(hostname)
    if (host === undefined) return
    this.#hosts.delete(hostname)
    host.listeners.clear()
    for (const stream of host.streams) stream.vanish()
    host.streams.clear()
  }

  /** Resets one open connection, chosen by `index` among all of them; false when there is none. */
  resetOne (index: number): boolean {
    const open = [...this.#hosts.values()].flatMap(host => [...host.streams]).filter(stream => stream.dialer)
    const stream = open[index % Math.max(1, open.length)]
    if (stream === undefined) return false
    stream.destroy(new ConnectionError('connection reset (simulated)'))
    return true
  }

  /** Cuts the network into groups (host → group); hosts not named are in group 0. */
  partition (groups: Map<string, number>): void {
    this.#groups = groups
  }

  /** Ends the partition: what was held is delivered, in order, one latency later. */
  heal (): void {
    this.#groups = undefined
    const held = this.#held
    this.#held = []
    for (const deliver of held) this.clock.setTimeout(deliver, this.#latency('', ''))
  }

  get partitioned (): boolean {
    return this.#groups !== undefined
  }

  separated (a: string, b: string): boolean {
    const groups = this.#groups
    return groups !== undefined && (groups.get(a) ?? 0) !== (groups.get(b) ?? 0)
  }

  /** Runs `deliver` from `from` at `to` one latency from now, or when a partition between them heals. */
  send (from: string, to: string, deliver: () => void): void {
    this.deliverAt(from, to, this.clock.now() + this.#latency(from, to), deliver)
  }

  /** Runs `deliver` from `from` at `to` at time `at`, or when a partition between them heals. */
  deliverAt (from: string, to: string, at: number, deliver: () => void): void {
    this.clock.setTimeout(() => {
      if (this.separated(from, to)) this.#held.push(deliver)
      else deliver()
    }, at - this.clock.now())
  }

  /** How long from now until a handshake's CPU work is done: handshakeMs, after the queue for a shared CPU. */
  handshakeDelay (): number {
    const now = this.clock.now()
    if (this.#cpuFreeAt.length === 0) return this.handshakeMs
    let cpu = 0
    for (let i = 1; i < this.#cpuFreeAt.length; i++) if ((this.#cpuFreeAt[i] as number) < (this.#cpuFreeAt[cpu] as number)) cpu = i
    const done = Math.max(now, this.#cpuFreeAt[cpu] as number) + this.handshakeMs
    this.#cpuFreeAt[cpu] = done
    return done - now
  }

  latency (from: string, to: string): number {
    return this.#latency(from, to)
  }

  get bandwidth (): number {
    return this.#bandwidth
  }

  host (hostname: string): SimHost | undefined {
    return this.#hosts.get(hostname)
  }
}

/** One host of the network: its listeners by port, its open streams. */
class SimHost implements Transport {
  readonly net: SimNetwork
  readonly name: string
  readonly clock: ProcessClock
  readonly listeners = new Map<number, SimListener>()
  readonly streams = new Set<SimStream>()
  /** A stand-in for the host's key: stable per host name, so trust 'tofu' works in simulation. */
  readonly publicKey: string
  #nextPort = 40_000

  constructor (net: SimNetwork, name: string, clock: ProcessClock) {
    this.net = net
    this.name = name
    this.clock = clock
    this.publicKey = createHash('sha256').update(name).digest('hex')
  }

  async listen (_bind: string | undefined, port: number, accept: (stream: ByteStream) => void): Promise<Listener> {
    const bound = port === 0 ? this.#nextPort++ : port
    if (this.listeners.has(bound)) throw new ListenError(`cannot listen on ${this.name}:${bound}: the port is already in use`, { reason: 'EADDRINUSE' })
    const listener = new SimListener(this, bound, accept)
    this.listeners.set(bound, listener)
    return listener
  }

  /**
   * The handshake in round trips as TLS 1.3 makes it: the acceptor has the
   * connection one latency after the dial, the dialer may speak after two.
   */
  dial (target: DialTarget, ready: (peer: PeerIdentity) => void): ByteStream {
    const client = new SimStream(this, target.hostname, true)
    this.streams.add(client)
    this.net.send(this.name, target.hostname, () => {
      if (client.destroyed) return
      const server = this.net.host(target.hostname)
      const listener = server?.listeners.get(target.port)
      if (server === undefined || listener === undefined) {
        // Nobody there: refused (a dead host's address is as good as unreachable here).
        this.net.send(target.hostname, this.name, () => client.reset('connect ECONNREFUSED'))
        return
      }
      const accepted = new SimStream(server, this.name, false)
      server.streams.add(accepted)
      accepted.peer = client
      client.peer = accepted
      this.net.connectionsOpened += 2
      listener.accept(accepted)
      const readyAt = this.net.clock.now() + this.net.handshakeDelay() + this.net.latency(target.hostname, this.name)
      this.net.deliverAt(target.hostname, this.name, readyAt, () => { if (!client.destroyed) ready({ publicKey: server.publicKey }) })
    })
    return client
  }
}

class SimListener implements Listener {
  readonly handshakeFailures = 0
  readonly #host: SimHost
  readonly port: number
  readonly accept: (stream: ByteStream) => void

  constructor (host: SimHost, port: number, accept: (stream: ByteStream) => void) {
    this.#host = host
    this.port = port
    this.accept = accept
  }

  async close (): Promise<void> {
    if (this.#host.listeners.get(this.port) === this) this.#host.listeners.delete(this.port)
  }
}

/** One end of a simulated connection: a ByteStream whose packets cross the SimNetwork. */
class SimStream extends EventEmitter implements ByteStream {
  readonly #host: SimHost
  readonly remoteAddress: string
  /** Whether this end dialled. */
  readonly dialer: boolean
  peer: SimStream | undefined
  destroyed = false
  writableLength = 0
  #ended = false
  #closeEmitted = false
  #needDrain = false
  #corked: Buffer[] | undefined
  /** When this end's last packet finishes leaving (bandwidth), and when it arrives (order is kept). */
  #sendingUntil = 0
  #lastArrival = 0

  constructor (host: SimHost, remote: string, dialer: boolean) {
    super()
    this.#host = host
    this.remoteAddress = remote
    this.dialer = dialer
  }

  write (bytes: Uint8Array, done?: (error?: Error | null) => void): boolean {
    if (this.destroyed || this.#ended) return false
    // A copy: the writer may reuse its memory once `done` has run.
    const copy = Buffer.from(bytes)
    if (this.#corked !== undefined) this.#corked.push(copy)
    else this.#transmit(copy)
    if (done !== undefined) this.#host.clock.setImmediate(() => done())
    if (this.writableLength >= HIGH_WATER_BYTES) this.#needDrain = true
    return !this.#needDrain
  }

  cork (): void {
    this.#corked ??= []
  }

  uncork (): void {
    const corked = this.#corked
    this.#corked = undefined
    if (corked !== undefined && corked.length > 0) this.#transmit(Buffer.concat(corked))
  }

  end (): void {
    if (this.destroyed || this.#ended) return
    this.uncork()
    this.#ended = true
    this.#transmit('fin')
  }

  destroy (error?: Error): void {
    if (this.destroyed) return
    this.destroyed = true
    this.#host.streams.delete(this)
    // Unless it ended cleanly first, the other side sees a reset.
    if (!this.#ended) this.#transmit('rst')
    this.#host.clock.setImmediate(() => {
      if (error !== undefined) this.emit('error', error)
      this.#emitClose()
    })
  }

  /** The host died: no events here any more; the other side sees the connection end. */
  vanish (): void {
    if (this.destroyed) return
    this.destroyed = true
    this.#transmit(this.#ended ? 'fin' : 'rst')
  }

  /** The other side reset the connection (or nobody answered the dial). */
  reset (why: string): void {
    if (this.destroyed) return
    this.destroyed = true
    this.#host.streams.delete(this)
    this.emit('error', new ConnectionError(why))
    this.#emitClose()
  }

  #emitClose (): void {
    if (this.#closeEmitted) return
    this.#closeEmitted = true
    this.emit('close')
  }

  #transmit (packet: Packet): void {
    const peer = this.peer
    if (peer === undefined) return
    const net = this.#host.net
    const now = net.clock.now()
    const size = typeof packet === 'string' ? 0 : packet.length
    net.bytesSent += size
    net.bytesInTransit += size
    // Bandwidth: the packet leaves once those before it have; until then it counts as buffered.
    const leaves = Math.max(now, this.#sendingUntil) + (size * 1000) / net.bandwidth
    this.#sendingUntil = leaves
    if (size > 0 && leaves > now) {
      this.writableLength += size
      net.clock.setTimeout(() => this.#sent(size), leaves - now)
    }
    const arrival = Math.max(leaves + net.latency(this.#host.name, peer.#host.name), this.#lastArrival)
    this.#lastArrival = arrival
    net.deliverAt(this.#host.name, peer.#host.name, arrival, () => {
      net.bytesInTransit -= size
      peer.#receive(packet)
    })
  }

  #sent (size: number): void {
    this.writableLength -= size
    if (this.writableLength === 0 && this.#needDrain && !this.destroyed) {
      this.#needDrain = false
      this.emit('drain')
    }
  }

  #receive (packet: Packet): void {
    if (this.destroyed || !this.#host.clock.alive) return
    if (packet === 'rst') {
      this.reset('read ECONNRESET')
    } else if (packet === 'fin') {
      // The other side ended: as Node does without allowHalfOpen, end ours too, then close.
      if (!this.#ended) {
        this.#ended = true
        this.#transmit('fin')
      }
      this.destroyed = true
      this.#host.streams.delete(this)
      this.#emitClose()
    } else {
      this.emit('data', packet)
    }
  }
}
