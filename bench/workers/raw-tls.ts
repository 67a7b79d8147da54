/**
 * The limit: a raw node:tls ring. One process listens, the other connects;
 * over that one TLS 1.3 connection, frames (a 4-byte big-endian length, then
 * the payload) go back and forth.
 *
 * Echo mode (throughput): each side parses every complete frame in what it
 * read and sends all of them back in one write — the least work a protocol
 * with framing can do (no copy beyond reassembling frames that straddle reads,
 * no encoding, no acknowledgements, no queue). Frames received per second,
 * both sides together, is the ceiling for hops/s on this machine.
 *
 * Paced mode (latency): each side sends fresh frames stamped with the send
 * time at a set rate (in batches on a 1 ms timer, as any pacer would), and the
 * other side records send-to-parsed latency and drops them.
 */
import { connect, createServer, type Server, type TLSSocket } from 'node:tls'
import { nowUs, readStamp, stamp, STAMP_BYTES } from '../lib/clock.js'
import { encode, newHistogram, record } from '../lib/histogram.js'
import { serve } from '../lib/ipc.js'
import { measureWindow, type WindowOptions } from '../lib/window.js'

const HEADER = 4
/** Longest frame accepted: the bench never sends more than 64 KiB. */
const MAX_FRAME = 16 * 1024 * 1024

type Mode = 'echo' | 'sink'

let mode: Mode = 'echo'
let server: Server | undefined
let socket: TLSSocket | undefined
let received = 0
let receivedBytes = 0
let recording = false
const histogram = newHistogram()
let pacer: NodeJS.Timeout | undefined
let pacedSent = 0
let pacedDropped = 0

/** Reassembles frames from reads; in echo mode writes each read's complete frames back at once. */
function attach (s: TLSSocket): void {
  socket = s
  s.setNoDelay(true)
  const chunks: Buffer[] = []
  let buffered = 0
  let need = HEADER
  s.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    buffered += chunk.length
    if (buffered < need) return
    const buf = chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, buffered)
    chunks.length = 0
    let offset = 0
    while (buf.length - offset >= HEADER) {
      const length = buf.readUInt32BE(offset)
      if (length > MAX_FRAME) {
        s.destroy(new Error(`frame of ${length} bytes`))
        return
      }
      if (buf.length - offset < HEADER + length) break
      received++
      receivedBytes += length
      if (mode === 'sink' && recording && length >= STAMP_BYTES) record(histogram, nowUs() - readStamp(buf.subarray(offset + HEADER)))
      offset += HEADER + length
    }
    // No pause on a full write buffer: what circulates is a fixed number of
    // frames, so the buffer is bounded by construction, and two sides that
    // both stopped reading until their writes drained would deadlock.
    if (mode === 'echo' && offset > 0) s.write(buf.subarray(0, offset))
    const rest = buf.length - offset
    if (rest > 0) chunks.push(offset === 0 ? buf : buf.subarray(offset))
    buffered = rest
    need = rest >= HEADER ? HEADER + buf.readUInt32BE(offset) : HEADER
  })
  s.on('error', () => { /* the parent sees the counters stop; stop() ends the socket */ })
}

function frame (payloadBytes: number): Buffer {
  const f = Buffer.alloc(HEADER + payloadBytes, 0x2a)
  f.writeUInt32BE(payloadBytes, 0)
  return f
}

serve({
  configure (args: { mode: Mode }): void {
    mode = args.mode
  },

  async listen (args: { key: string, cert: string }): Promise<number> {
    server = createServer({ key: args.key, cert: args.cert, minVersion: 'TLSv1.3' }, s => attach(s))
    await new Promise<void>((resolve, reject) => {
      server?.once('error', reject)
      server?.listen(0, '127.0.0.1', () => resolve())
    })
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    return address.port
  },

  async connect (args: { port: number }): Promise<string> {
    const s = connect({ host: '127.0.0.1', port: args.port, rejectUnauthorized: false, minVersion: 'TLSv1.3' })
    await new Promise<void>((resolve, reject) => {
      s.once('secureConnect', () => resolve())
      s.once('error', reject)
    })
    attach(s)
    return s.getProtocol() ?? 'unknown'
  },

  /** Puts `frames` frames into circulation from this side, in one write. */
  fill (args: { frames: number, payloadBytes: number }): void {
    if (socket === undefined) throw new Error('not connected')
    const one = frame(args.payloadBytes)
    socket.write(Buffer.concat(Array.from({ length: Math.min(args.frames, 100_000) }, () => one)))
  },

  /** Sends stamped frames at `rate` per second from this side until stop(). */
  pace (args: { rate: number, payloadBytes: number }): void {
    const s = socket
    if (s === undefined) throw new Error('not connected')
    const template = frame(Math.max(args.payloadBytes, STAMP_BYTES))
    const start = performance.now()
    let blocked = false
    // At most 20 ms of frames at once after a stall (the same slack as the Clacks pacer's default burst).
    const maxBatch = Math.max(1, Math.ceil(args.rate * 0.02))
    pacer = setInterval(() => {
      const due = Math.floor((performance.now() - start) / 1000 * args.rate) - pacedSent - pacedDropped
      if (due <= 0) return
      const batch = Math.min(due, maxBatch)
      pacedDropped += due - batch
      if (blocked) {
        pacedDropped += batch
        return
      }
      const at = nowUs()
      const frames: Buffer[] = []
      for (let i = 0; i < batch; i++) {
        const f = Buffer.from(template)
        stamp(f.subarray(HEADER), at)
        frames.push(f)
      }
      pacedSent += batch
      if (!s.write(frames.length === 1 ? frames[0] as Buffer : Buffer.concat(frames))) {
        blocked = true
        s.once('drain', () => { blocked = false })
      }
    }, 1)
  },

  async measure (args: WindowOptions): Promise<unknown> {
    const window = await measureWindow(() => ({ messages: received, bytes: receivedBytes }), args, () => {
      histogram.reset()
      recording = true
    })
    recording = false
    return { ...window, histogram: histogram.totalCount > 0 ? encode(histogram) : undefined, totals: { pacedSent, pacedDropped } }
  },

  /** Ends the connection (the server keeps listening), for a fresh one per run. */
  async stop (): Promise<void> {
    if (pacer !== undefined) clearInterval(pacer)
    pacer = undefined
    recording = false
    pacedSent = 0
    pacedDropped = 0
    const s = socket
    socket = undefined
    if (s !== undefined && !s.closed) {
      const closed = new Promise<void>(resolve => s.once('close', () => resolve()))
      s.destroy()
      await closed
    }
  }
})
