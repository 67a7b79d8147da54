/**
 * Server-Sent Events (text/event-stream) to a bounded number of clients. A
 * client that does not keep up misses updates rather than growing a buffer
 * here: its updates are skipped while the socket's buffer is full.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/** Streams open at once, at most; the next gets 503. */
export const MAX_STREAMS = 32
/** A comment line this often keeps proxies and idle timers from closing a quiet stream. */
const HEARTBEAT_MS = 15_000
/** Bytes waiting in a client's socket beyond which its updates are skipped. */
const MAX_BUFFERED_BYTES = 1024 * 1024

export class EventStreams {
  readonly #clients = new Set<ServerResponse>()
  readonly #heartbeat: NodeJS.Timeout

  constructor () {
    this.#heartbeat = setInterval(() => {
      for (const client of this.#clients) client.write(': heartbeat\n\n')
    }, HEARTBEAT_MS).unref()
  }

  get size (): number {
    return this.#clients.size
  }

  /**
   * Answers `request` with an event stream, or 503 when there are too many.
   * `onClose` runs once when the client goes; returns whether it was opened.
   */
  open (request: IncomingMessage, response: ServerResponse, onClose: () => void): boolean {
    if (this.#clients.size >= MAX_STREAMS) {
      response.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': '10' })
      response.end(JSON.stringify({ error: `too many event streams open (${MAX_STREAMS})` }) + '\n')
      return false
    }
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      // The stream outlives the admin server's short keep-alive.
      Connection: 'keep-alive'
    })
    // Tell EventSource to wait 2 s before reconnecting.
    response.write('retry: 2000\n\n')
    this.#clients.add(response)
    request.socket.setTimeout(0)
    response.on('close', () => {
      this.#clients.delete(response)
      onClose()
    })
    return true
  }

  /** Sends one event to one client, unless it is behind. */
  send (client: ServerResponse, event: string, data: unknown): void {
    if (client.writableLength > MAX_BUFFERED_BYTES) return
    // JSON has no raw newlines, so the data fits one `data:` line.
    client.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
  }

  close (): void {
    clearInterval(this.#heartbeat)
    for (const client of this.#clients) client.end()
    this.#clients.clear()
  }
}
