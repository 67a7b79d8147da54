/**
 * The prototype, npm clacks-p2p@0.3.3, as one tower in this process.
 *
 * It sends one HTTPS POST of JSON per message from a setInterval of
 * 1000/sendrate ms. Node runs intervals shorter than 1 ms at 1 ms, so its
 * maximum is sendrate 1000: one message per millisecond per tower. It needs
 * NODE_TLS_REJECT_UNAUTHORIZED=0 (set by the parent) to accept self-signed
 * certificates.
 *
 * Two adjustments, neither of which changes its sending: its server is bound
 * to 127.0.0.1 (it would listen on every interface), and a free port is found
 * for it first (it reads port 0 as "use 8080"). For latency its dequeue() is
 * wrapped to stamp the message object just before send() serialises it; the
 * receiver reads the stamp in onMessageRecieved (called just before it queues
 * the message).
 *
 * One pair of processes serves every payload size: fill() starts a new
 * generation, empties the local queue, and a plugin drops (acknowledging
 * them, as the prototype's plugins may) messages of an older generation that
 * were still on the way.
 */
import { createRequire } from 'node:module'
import https from 'node:https'
import { nowUs } from '../lib/clock.js'
import { encode, newHistogram, record } from '../lib/histogram.js'
import { serve } from '../lib/ipc.js'
import { freePort } from '../lib/free-port.js'
import { measureWindow, type WindowOptions } from '../lib/window.js'

/** t: send stamp (µs); g: the run it belongs to; p: the payload. */
interface PrototypeMessage { t: number, g: number, p: string }
interface PrototypeTower {
  enqueue (message: PrototypeMessage): void
  dequeue (): PrototypeMessage | undefined
  addPeer (hostname: string, port: number): void
  onMessageRecieved (callback: (payload: { message: PrototypeMessage }) => void): void
  peek (): PrototypeMessage[]
  /** A plugin sees each request first; returning false ends it with 200 and goes no further. */
  extend (callback: (peer: unknown, payload: { type: string, message?: PrototypeMessage }) => boolean | undefined): void
}
type Factory = (key: string, cert: string, options: { port: number, hostname: string, sendrate: number }) => PrototypeTower | false

let tower: PrototypeTower | undefined
let received = 0
let receivedBytes = 0
/** Messages whose payload did not arrive as sent (see fill()). */
let corrupted = 0
let generation = 0
let payloadBytes = 0
let recording = false
const histogram = newHistogram()

/** Makes every HTTPS server created from now on listen on 127.0.0.1 only. */
function bindToLoopback (): Promise<void> {
  const original = https.createServer
  return new Promise(resolve => {
    const patched = (...args: unknown[]): https.Server => {
      const server = (original as (...a: unknown[]) => https.Server)(...args)
      const listen = server.listen.bind(server) as (port: number, host: string) => https.Server
      server.listen = ((port: number) => {
        server.once('listening', () => resolve())
        return listen(port, '127.0.0.1')
      }) as typeof server.listen
      return server
    }
    ;(https as { createServer: unknown }).createServer = patched
  })
}

serve({
  async start (args: { key: string, cert: string, sendrate: number }): Promise<{ hostname: string, port: number }> {
    if (tower !== undefined) throw new Error('already started (the prototype cannot be stopped: use a fresh process)')
    const port = await freePort()
    const listening = bindToLoopback()
    const factory = createRequire(import.meta.url)('clacks-p2p') as Factory
    const made = factory(args.key, args.cert, { port, hostname: '127.0.0.1', sendrate: args.sendrate })
    if (made === false) throw new Error('clacks-p2p failed to start')
    tower = made
    const dequeue = made.dequeue.bind(made)
    made.dequeue = () => {
      const message = dequeue()
      if (message !== undefined) message.t = nowUs()
      return message
    }
    made.extend((_peer, payload) => payload.type !== 'message' || payload.message?.g === generation ? undefined : false)
    made.onMessageRecieved(payload => {
      received++
      receivedBytes += payload.message.p.length
      if (payload.message.p.length !== payloadBytes) corrupted++
      if (recording) record(histogram, nowUs() - payload.message.t)
    })
    await listening
    return { hostname: '127.0.0.1', port }
  },

  addPeer (args: { hostname: string, port: number }): void {
    tower?.addPeer(args.hostname, args.port)
  },

  /** Starts generation `generation` with `count` messages of `payloadBytes`, after emptying the queue. */
  fill (args: { count: number, payloadBytes: number, generation: number }): void {
    generation = args.generation
    payloadBytes = args.payloadBytes
    corrupted = 0
    for (let i = 0; i < 1_000_000 && tower?.dequeue() !== undefined; i++);
    const p = 'x'.repeat(args.payloadBytes)
    for (let i = 0; i < Math.min(args.count, 100_000); i++) tower?.enqueue({ t: 0, g: generation, p })
  },

  async measure (args: WindowOptions): Promise<unknown> {
    const window = await measureWindow(() => ({ messages: received, bytes: receivedBytes }), args, () => {
      histogram.reset()
      recording = true
    })
    recording = false
    return { ...window, histogram: histogram.totalCount > 0 ? encode(histogram) : undefined, totals: { queued: tower?.peek().length ?? 0, corrupted } }
  }
})
