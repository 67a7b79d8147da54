/**
 * The demo's page: every tower of a network on one machine, who knows whom,
 * and messages moving between them, served on its own small HTTP server:
 *
 *   GET /              the page
 *   GET /static/NAME   its scripts and styles
 *   GET /events        the live feed (Server-Sent Events, docs/dashboard.md)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { PeerStatus, Tower } from '../../index.js'
import { formatHostPort, type HostPort } from '../args.js'
import { describeErrno, runtimeError } from '../exit.js'
import { RateMeter } from '../status-line.js'
import { Assets } from './assets.js'
import { EventStreams } from './sse.js'

export interface NetworkTower {
  name: string
  /** HOST:PORT */
  address: string
  tower: Tower
}

/** One tower in a frame, index-aligned with the snapshot's towers. */
export interface TowerState {
  queued: number
  inFlight: number
  in: number
  out: number
  peers: Record<PeerStatus, number>
}

export interface NetworkFrame {
  elapsed: number
  towers: TowerState[]
  /** [i, j, status]: tower i knows tower j as status; null when unchanged since the last frame. */
  links: Array<[number, number, PeerStatus]> | null
  /** [i, j, n]: n messages went from tower i to tower j since the last frame. */
  flows: Array<[number, number, number]>
  /** Event lines since the last frame. */
  events: NetworkEvent[]
}

export interface NetworkEvent {
  /** Seconds since the feed started. */
  elapsed: number
  text: string
}

export interface NetworkSnapshot {
  title: string
  towers: Array<{ name: string, address: string }>
  frameMs: number
  /** Whether links are sent: not for networks too big to draw them. */
  links: boolean
  /** The latest frame, links included. */
  frame: NetworkFrame
  events: NetworkEvent[]
}

export interface NetworkView {
  readonly url: string
  /** A line for the page's event list. */
  event (text: string): void
  close (): Promise<void>
}

export const NETWORK_FILES = ['network.html', 'network.js', 'common.js', 'dashboard.css', 'network.css', 'favicon.svg']
const FRAME_MS = 500
/** Beyond this many towers the page draws no links (there would be thousands), only messages moving. */
export const MAX_LINKED_TOWERS = 60
const EVENTS_KEPT = 50

/** Serves the page for `towers` at `at`; `title` heads it. */
export async function startNetworkView (towers: NetworkTower[], at: HostPort, title: string): Promise<NetworkView> {
  const feed = new NetworkFeed(towers, title)
  const streams = new EventStreams()
  const assets = new Assets(NETWORK_FILES)
  const server = createServer((request, response) => route(request, response))
  server.requestTimeout = 10_000
  server.headersTimeout = 5_000
  server.keepAliveTimeout = 1_000

  function route (request: IncomingMessage, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', 'http://demo').pathname
    const asset = path === '/' ? 'network.html' : path.startsWith('/static/') ? path.slice('/static/'.length) : undefined
    if (path !== '/events' && (asset === undefined || !assets.has(asset))) {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
      response.end('not found: the page is at /, its feed at /events\n')
      return
    }
    // A stream has no end for HEAD to stop at.
    const allow = path === '/events' ? 'GET' : 'GET, HEAD'
    if (!allow.split(', ').includes(request.method ?? '')) {
      response.writeHead(405, { Allow: allow, 'Content-Type': 'text/plain; charset=utf-8' })
      response.end(`${path} takes GET\n`)
      return
    }
    if (asset !== undefined) return assets.serve(response, asset, request.method === 'HEAD')
    let unsubscribe = (): void => {}
    if (!streams.open(request, response, () => unsubscribe())) return
    streams.send(response, 'snapshot', feed.snapshot())
    unsubscribe = feed.subscribe(frame => streams.send(response, 'frame', frame))
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', error => {
      feed.close()
      reject(runtimeError(`cannot serve the demo's page on ${formatHostPort(at)}: ${describeErrno(error) ?? error.message}`, error))
    })
    server.listen(at.port, at.hostname, () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : at.port
  return {
    url: `http://${formatHostPort({ hostname: at.hostname, port })}/`,
    event: text => feed.event(text),
    close: () => new Promise(resolve => {
      feed.close()
      streams.close()
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
}

/** Frames of the whole network, every FRAME_MS, to whoever subscribes. */
export class NetworkFeed {
  readonly #towers: NetworkTower[]
  readonly #title: string
  readonly #started = Date.now()
  readonly #meters: RateMeter[]
  readonly #flows = new Map<number, number>()
  readonly #listeners = new Set<(frame: NetworkFrame) => void>()
  readonly #events: NetworkEvent[] = []
  readonly #timer: NodeJS.Timeout
  readonly #unwatch: Array<() => void> = []
  #newEvents: NetworkEvent[] = []
  #linkSignature = ''
  #latest: NetworkFrame

  constructor (towers: NetworkTower[], title: string) {
    this.#towers = towers
    this.#title = title
    this.#meters = towers.map(({ tower }) => new RateMeter(tower.stats()))
    const index = new Map(towers.map((t, i) => [t.address, i]))
    towers.forEach(({ tower }, to) => {
      const onMessage = (message: { from?: { hostname: string, port: number } }): void => {
        const from = message.from === undefined ? undefined : index.get(`${message.from.hostname}:${message.from.port}`)
        if (from === undefined) return
        const key = from * towers.length + to
        this.#flows.set(key, (this.#flows.get(key) ?? 0) + 1)
      }
      tower.on('message', onMessage)
      this.#unwatch.push(() => tower.off('message', onMessage))
    })
    this.#latest = this.#frame(true)
    this.#timer = setInterval(() => {
      const frame = this.#frame(false)
      for (const listener of this.#listeners) listener(frame)
    }, FRAME_MS).unref()
  }

  event (text: string): void {
    const event = { elapsed: (Date.now() - this.#started) / 1000, text }
    this.#newEvents.push(event)
    this.#events.push(event)
    if (this.#events.length > EVENTS_KEPT) this.#events.shift()
  }

  snapshot (): NetworkSnapshot {
    return {
      title: this.#title,
      towers: this.#towers.map(({ name, address }) => ({ name, address })),
      frameMs: FRAME_MS,
      links: this.#towers.length <= MAX_LINKED_TOWERS,
      frame: { ...this.#latest, links: this.#links(), flows: [], events: [] },
      events: [...this.#events]
    }
  }

  subscribe (listener: (frame: NetworkFrame) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  close (): void {
    clearInterval(this.#timer)
    for (const unwatch of this.#unwatch) unwatch()
    this.#listeners.clear()
  }

  #frame (first: boolean): NetworkFrame {
    const now = Date.now()
    const n = this.#towers.length
    const flows: Array<[number, number, number]> = []
    for (const [key, count] of this.#flows) flows.push([Math.floor(key / n), key % n, count])
    this.#flows.clear()
    const links = this.#links()
    const signature = links === null ? '' : links.map(link => link.join(',')).join(';')
    const changed = first || signature !== this.#linkSignature
    this.#linkSignature = signature
    const frame: NetworkFrame = {
      elapsed: (now - this.#started) / 1000,
      towers: this.#towers.map(({ tower }, i) => {
        const stats = tower.stats()
        const rates = (this.#meters[i] as RateMeter).sample(stats, now)
        return { queued: stats.queued, inFlight: stats.inFlight, in: rates.in, out: rates.out, peers: stats.peers }
      }),
      links: changed ? links : null,
      flows,
      events: this.#newEvents
    }
    this.#newEvents = []
    this.#latest = frame
    return frame
  }

  #links (): Array<[number, number, PeerStatus]> | null {
    if (this.#towers.length > MAX_LINKED_TOWERS) return null
    const index = new Map(this.#towers.map((t, i) => [t.address, i]))
    const links: Array<[number, number, PeerStatus]> = []
    this.#towers.forEach(({ tower }, i) => {
      for (const peer of tower.survey()) {
        const j = index.get(`${peer.hostname}:${peer.port}`)
        if (j !== undefined) links.push([i, j, peer.status])
      }
    })
    return links.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  }
}
