/**
 * One side of the NATS baseline: a Node client (npm `nats`) connected over
 * TLS to a local nats-server, relaying a ring with the other side's client.
 * Each side subscribes to its own subject and publishes every message it
 * gets to the other side's subject, as the raw TLS ring echoes its frames:
 * a hop is a message delivered to a client (client → server → client).
 */
import { connect, type NatsConnection, type Subscription } from 'nats'
import { serve } from '../lib/ipc.js'
import { measureWindow, type WindowOptions } from '../lib/window.js'

let nc: NatsConnection | undefined
let sub: Subscription | undefined
let outbox = ''
let received = 0
let receivedBytes = 0

serve({
  /** Connects, subscribes to `inbox`, relays everything to `outbox`. */
  async connect (args: { port: number, ca: string, inbox: string, outbox: string }): Promise<void> {
    if (nc !== undefined) throw new Error('already connected: stop first')
    const conn = await connect({ servers: `127.0.0.1:${args.port}`, tls: { ca: args.ca }, timeout: 10_000, maxReconnectAttempts: 0 })
    nc = conn
    outbox = args.outbox
    received = 0
    receivedBytes = 0
    sub = conn.subscribe(args.inbox, {
      callback: (_error, msg) => {
        received++
        receivedBytes += msg.data.length
        conn.publish(outbox, msg.data)
      }
    })
    // The subscription must reach the server before the other side publishes.
    await conn.flush()
  },

  /** Puts `frames` messages into circulation from this side. */
  async fill (args: { frames: number, payloadBytes: number }): Promise<void> {
    if (nc === undefined) throw new Error('not connected')
    const payload = new Uint8Array(args.payloadBytes).fill(0x2a)
    for (let i = 0; i < Math.min(args.frames, 100_000); i++) nc.publish(outbox, payload)
    await nc.flush()
  },

  async measure (args: WindowOptions): Promise<unknown> {
    const window = await measureWindow(() => ({ messages: received, bytes: receivedBytes }), args)
    return { ...window, totals: {} }
  },

  async stop (): Promise<void> {
    sub?.unsubscribe()
    sub = undefined
    const conn = nc
    nc = undefined
    if (conn !== undefined) await conn.close()
  }
})
