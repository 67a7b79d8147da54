/**
 * `clacks/compat`: the prototype's (npm clacks-p2p 0.3.3) constructor and
 * names over a real Tower, so its users switch by changing one import:
 *
 *   const Clacks = require('clacks-p2p');  const host = new Clacks(key, cert, opts)
 *   const Clacks = require('clacks/compat'); const host = new Clacks(key, cert, opts)
 *   import { Clacks } from 'clacks/compat'; const host = new Clacks(key, cert, opts)
 *
 * The tower starts at once, as the prototype's did. Calls made before it has
 * started take effect once it has, each on its own: one that fails is
 * reported (an 'error' event, or a process warning when nobody listens, and
 * a rejected `ready`) and the others still run.
 *
 * @module clacks/compat
 */
import { createHash } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { InvalidPayloadError } from './errors.js'
import { Tower } from './tower/tower.js'
import { DEFAULT_OPTIONS, type TowerOptions } from './tower/options.js'
import type { PeerStatus, PeerView } from './tower/peer-table.js'
import type { ClacksMessage } from './core/message.js'

/**
 * The prototype's options (hostname, port, sendrate, killtimeout; the numbers
 * also as numeric strings, as it took them); the rest of TowerOptions may be
 * given too. Unknown names are refused, as Tower.init refuses them.
 */
export type CompatOptions = {
  [K in keyof TowerOptions]?: K extends 'port' | 'sendrate' | 'killtimeout' ? TowerOptions[K] | string : TowerOptions[K]
}

/** A port as the prototype took it: a number or a numeric string. */
export type CompatPort = number | string

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

/** Events of a compat host: only failures of calls that ran after the start, and of the start itself. */
export interface CompatEvents {
  error: [error: Error]
}

/** The prototype's peer identifier: sha256 of hostname + port, hex. */
function identifier (hostname: string, port: number): string {
  return createHash('sha256').update(`${hostname}${port}`).digest('hex')
}

function toCompatPeer (peer: PeerView): CompatPeer {
  return { identifier: identifier(peer.hostname, peer.port), hostname: peer.hostname, port: peer.port, status: peer.status, time: peer.since }
}

/** Numeric strings become numbers, as the prototype's `==` comparisons and `listen(port)` took them. */
function toNumber (value: unknown): unknown {
  return typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value
}

function toTowerOptions (options: CompatOptions): Partial<TowerOptions> {
  const converted: Record<string, unknown> = { ...options }
  for (const name of ['port', 'sendrate', 'killtimeout'] as const) {
    if (name in converted) converted[name] = toNumber(converted[name])
  }
  return converted as Partial<TowerOptions>
}

export class Clacks extends EventEmitter<CompatEvents> {
  readonly tower = new Tower()
  /**
   * Settles once the tower has started and every call made before then has
   * run: rejected with the start's error, or with the first failed call's.
   */
  readonly ready: Promise<void>
  readonly #options: Partial<TowerOptions>
  readonly #started: Promise<boolean>
  #running = false
  #deferred: Array<() => unknown> = []
  /** Messages enqueued before the start, as text: peek() shows them, as the prototype's queue did. */
  #pending: string[] = []

  constructor (key: string | Buffer, cert: string | Buffer, options: CompatOptions = {}) {
    super()
    this.#options = toTowerOptions(options)
    const starting = this.tower.init(key, cert, this.#options)
    this.#started = starting.then(() => true, () => false)
    this.ready = starting.then(() => this.#runDeferred(), error => {
      this.#deferred = []
      this.#pending = []
      this.#report(error)
      throw error
    })
    // Reported above: `ready` rejecting with nobody waiting on it must not crash the process.
    this.ready.catch(() => {})
  }

  /** Queues a message. Strings and bytes go as they are; other values as JSON. */
  enqueue (message: unknown): void {
    const payload = typeof message === 'string' || message instanceof Uint8Array ? message : JSON.stringify(message)
    if (payload === undefined) throw new InvalidPayloadError(`nothing to enqueue: ${typeof message} has no JSON form`)
    if (this.#running) {
      this.tower.enqueue(payload)
      return
    }
    const text = Buffer.from(payload).toString('utf8')
    this.#pending.push(text)
    this.#deferred.push(() => {
      this.#pending.splice(this.#pending.indexOf(text), 1)
      this.tower.enqueue(payload)
    })
  }

  /** The queued messages, as text. */
  peek (): string[] {
    return this.#running ? this.tower.peek().map(m => Buffer.from(m.payload).toString('utf8')) : [...this.#pending]
  }

  isEmpty (): boolean {
    return this.peek().length === 0
  }

  /** Tells a tower about this one and adds it; a failure (it cannot be reached, it refuses) is reported. */
  announce (hostname: string, port: CompatPort): void {
    this.#whenStarted(() => this.tower.announce(hostname, toNumber(port) as number))
  }

  addPeer (hostname: string, port: CompatPort): void {
    this.#whenStarted(() => this.tower.expand(hostname, toNumber(port) as number))
  }

  ignore (hostname: string, port: CompatPort): void {
    this.#whenStarted(() => this.tower.ignore(hostname, toNumber(port) as number))
  }

  /** Peers by status, then by identifier: the prototype's shape. */
  getPeers (): Record<PeerStatus, Record<string, CompatPeer>> {
    const peers: Record<PeerStatus, Record<string, CompatPeer>> = { new: {}, alive: {}, lost: {}, dead: {}, ignored: {} }
    if (!this.#running) return peers
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
    const o = this.#running ? this.tower.options : { ...DEFAULT_OPTIONS, ...this.#options }
    return { hostname: o.hostname, port: this.#running ? this.tower.port : o.port, sendrate: o.sendrate, killtimeout: o.killtimeout }
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
  async close (options: { drain?: boolean } = {}): Promise<unknown> {
    return await this.#started ? await this.tower.close(options) : undefined
  }

  /** Runs `call` now (a throw reaches the caller; a rejection is reported), or once the tower has started (see #runDeferred). */
  #whenStarted (call: () => unknown): void {
    if (!this.#running) {
      this.#deferred.push(call)
      return
    }
    const result = call()
    if (result instanceof Promise) result.catch(error => this.#report(error))
  }

  /** Each deferred call on its own: one failing never keeps the others from running. */
  async #runDeferred (): Promise<void> {
    this.#running = true
    const calls = this.#deferred
    this.#deferred = []
    const failures: unknown[] = []
    await Promise.all(calls.map(async call => {
      try {
        await call()
      } catch (error) {
        failures.push(error)
        this.#report(error)
      }
    }))
    if (failures.length > 0) throw failures[0]
  }

  /** The prototype had no way to report a failure: an 'error' listener hears it, or else a process warning says it. */
  #report (error: unknown): void {
    const reported = error instanceof Error ? error : new Error(String(error))
    if (this.listenerCount('error') > 0) this.emit('error', reported)
    else process.emitWarning(reported)
  }
}

export default Clacks
