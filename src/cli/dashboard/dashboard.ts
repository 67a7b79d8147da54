/**
 * The admin endpoint's live dashboard, one tower's:
 *
 *   GET  /                  the page
 *   GET  /static/NAME       its scripts and styles
 *   GET  /events            the live feed (Server-Sent Events, docs/dashboard.md)
 *   POST /pause, /resume    stop or restart sending; 200 {"paused": bool}
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Tower } from '../../index.js'
import { Assets } from './assets.js'
import { TowerFeed } from './feed.js'
import { crossSiteProblem } from './guard.js'
import { EventStreams } from './sse.js'

export const DASHBOARD_FILES = ['dashboard.html', 'dashboard.js', 'common.js', 'dashboard.css', 'favicon.svg', 'uPlot.iife.min.js', 'uPlot.min.css']

export class Dashboard {
  readonly #feed: TowerFeed
  readonly #streams = new EventStreams()
  readonly #assets = new Assets(DASHBOARD_FILES)

  constructor (tower: Tower) {
    this.#feed = new TowerFeed(tower)
  }

  /** Answers the dashboard's paths; false for any other path. */
  route (request: IncomingMessage, response: ServerResponse, path: string): boolean {
    const write = path === '/pause' || path === '/resume'
    const asset = path === '/' ? 'dashboard.html' : path.startsWith('/static/') ? path.slice('/static/'.length) : undefined
    if (!write && path !== '/events' && (asset === undefined || !this.#assets.has(asset))) return false
    // A stream has no end for HEAD to stop at.
    const allow = write ? 'POST' : path === '/events' ? 'GET' : 'GET, HEAD'
    if (!allow.split(', ').includes(request.method ?? '')) {
      json(response, 405, { error: `${path} takes ${allow}` }, { Allow: allow })
      return true
    }
    if (write) {
      const problem = crossSiteProblem(request)
      if (problem !== undefined) json(response, 403, { error: problem })
      else {
        this.#feed.setPaused(path === '/pause')
        json(response, 200, { paused: this.#feed.paused })
      }
      // The body, if any, means nothing: drain it so the connection can be reused.
      request.resume()
      return true
    }
    if (path === '/events') this.#stream(request, response)
    else this.#assets.serve(response, asset as string, request.method === 'HEAD')
    return true
  }

  close (): void {
    this.#streams.close()
    this.#feed.close()
  }

  #stream (request: IncomingMessage, response: ServerResponse): void {
    let unsubscribe = (): void => {}
    if (!this.#streams.open(request, response, () => unsubscribe())) return
    this.#streams.send(response, 'snapshot', this.#feed.snapshot())
    unsubscribe = this.#feed.subscribe(update => {
      this.#streams.send(response, 'tick', update.tick)
      if (update.peers.length > 0) this.#streams.send(response, 'peers', update.peers)
      if (update.events.length > 0) this.#streams.send(response, 'events', update.events)
      if (update.messages.length > 0 || update.messagesUnsampled > 0) {
        this.#streams.send(response, 'messages', { sample: update.messages, unsampled: update.messagesUnsampled })
      }
    })
  }
}

function json (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' })
  response.end(JSON.stringify(body) + '\n')
}
