/**
 * `clacks/compat`: the prototype's (npm clacks-p2p 0.3.3) constructor and
 * names over a real Tower, so its users switch by changing one import:
 *
 *   const Clacks = require('clacks-p2p'); const host = Clacks(key, cert, opts)
 *   import { Clacks } from 'clacks/compat'; const host = new Clacks(key, cert, opts)
 *
 * The tower starts at once, as the prototype's did; calls made before it has
 * started take effect once it has (`ready` says when, or why not).
 */
import { createHash } from 'node:crypto'
import { Tower } from './tower/tower.js'
import type { TowerOptions } from './tower/options.js'
import type { PeerStatus, PeerView } from './tower/peer-table.js'
import type { ClacksMessage } from './core/message.js'

/** The prototype's options; the rest of TowerOptions may be given too. */
export type CompatOptions = Partial<TowerOptions>

/** A peer as the prototype listed it. */
export interface CompatPeer {
  identifier: string
  hostname: string
  port: number
  status: PeerStatus
  time: number
}

/** What the prototype passed to onMessageRecieved: the message as text, and who sent it. */
export interface CompatPayload {
  message: string
  type: 'message'
  sender: { hostname: string, port: number } | undefined
}

/** The prototype's peer identifier: sha256 of hostname + port, hex. */
function identifier (hostname: string, port: number): string {
  return createHash('sha256').update(`${hostname}${port}`).digest('hex')
}

function toCompatPeer (peer: PeerView): CompatPeer {
  return { identifier: identifier(peer.hostname, peer.port), hostname: peer.hostname, port: peer.port, status: peer.status, time: peer.since }
}

export class Clacks {
  readonly tower = new Tower()
  /** Settles when the tower has started (or failed to: a typed ClacksError). */
  readonly ready: Promise<void>
  #started = false
  #deferred: Array<() => void> = []

  constructor (key: string | Buffer, cert: string | Buffer, options: CompatOptions = {}) {
    this.ready = this.tower.init(key, cert, options).then(() => {
      this.#started = true
      for (const call of this.#deferred) call()
      this.#deferred = []
    })
    // The prototype had no way to report a failed start; keep the rejection on `ready` without crashing the process.
    this.ready.catch(() => {})
  }

  /** Queues a message. Strings and bytes go as they are; other values as JSON. */
  enqueue (message: unknown): void {
    const payload = typeof message === 'string' || message instanceof Uint8Array ? message : JSON.stringify(message)
    this.#whenStarted(() => { this.tower.enqueue(payload) })
  }

  /** The queued messages, as text. */
  peek (): string[] {
    return this.#started ? this.tower.peek().map(m => Buffer.from(m.payload).toString('utf8')) : []
  }

  isEmpty (): boolean {
    return this.peek().length === 0
  }

  announce (hostname: string, port: number): void {
    this.#whenStarted(() => { this.tower.announce(hostname, port).catch(() => {}) })
  }

  addPeer (hostname: string, port: number): void {
    this.#whenStarted(() => this.tower.expand(hostname, port))
  }

  ignore (hostname: string, port: number): void {
    this.#whenStarted(() => this.tower.ignore(hostname, port))
  }

  /** Peers by status, then by identifier: the prototype's shape. */
  getPeers (): Record<PeerStatus, Record<string, CompatPeer>> {
    const peers: Record<PeerStatus, Record<string, CompatPeer>> = { new: {}, alive: {}, lost: {}, dead: {}, ignored: {} }
    if (!this.#started) return peers
    for (const view of this.tower.survey()) {
      const peer = toCompatPeer(view)
      peers[peer.status][peer.identifier] = peer
    }
    return peers
  }

  getPeer (id: string): CompatPeer | undefined {
    for (const byId of Object.values(this.getPeers())) if (byId[id] !== undefined) return byId[id]
    return undefined
  }

  getOptions (): { hostname: string, port: number, sendrate: number, killtimeout: number } {
    const o = this.tower.options
    return { hostname: o.hostname, port: this.#started ? this.tower.port : o.port, sendrate: o.sendrate, killtimeout: o.killtimeout }
  }

  onMessageRecieved (callback: (payload: CompatPayload) => void): void {
    this.tower.on('message', (message: ClacksMessage) => callback({
      message: Buffer.from(message.payload).toString('utf8'),
      type: 'message',
      sender: message.from === undefined ? undefined : { hostname: message.from.hostname, port: message.from.port }
    }))
  }

  /** The correct spelling, for new code. */
  onMessageReceived (callback: (payload: CompatPayload) => void): void {
    this.onMessageRecieved(callback)
  }

  onMessageQueued (callback: (message: string) => void): void {
    this.tower.on('queued', message => callback(Buffer.from(message.payload).toString('utf8')))
  }

  onPeerDiscovered (callback: (peer: CompatPeer) => void): void {
    this.tower.on('discovered', peer => callback(toCompatPeer(peer)))
  }

  onPeerUpdated (callback: (peer: CompatPeer) => void): void {
    this.tower.on('updated', peer => callback(toCompatPeer(peer)))
  }

  /** Stops the tower, handing its messages to peers first unless `drain` is false. */
  close (options: { drain?: boolean } = {}): Promise<unknown> {
    return this.ready.then(() => this.tower.close(options), () => undefined)
  }

  #whenStarted (call: () => void): void {
    if (this.#started) call()
    else this.#deferred.push(call)
  }
}

export default Clacks
