/**
 * A process hosting one or more Clacks towers for the benchmark, driven by
 * bench/run.ts over IPC (see ../lib/ipc.ts). Towers listen on 127.0.0.1, port 0.
 *
 * In latency mode every tower stamps a message's payload with the send time
 * in its outbound filter (in place: the filter sees the held payload, and
 * returning nothing keeps it) and every receiving tower reads the stamp in
 * its 'message' event, which fires when the message has been queued. The
 * filter and the event cost a little per message, so the throughput runs
 * use neither.
 */
import { loadClacks, type Clacks } from '../lib/clacks.js'
import { nowUs, readStamp, stamp, STAMP_BYTES } from '../lib/clock.js'
import { encode, newHistogram, record } from '../lib/histogram.js'
import { serve } from '../lib/ipc.js'
import { measureWindow, type WindowOptions } from '../lib/window.js'
import type { Tower, TowerOptions } from '../../src/index.js'

export interface Address { hostname: string, port: number }

let clacks: Clacks | undefined
let towers: Tower[] = []
let recording = false
const histogram = newHistogram()

async function lib (): Promise<Clacks> {
  clacks ??= await loadClacks()
  return clacks
}

function gc (): void {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect !== undefined) collect()
}

function memory (): { rss: number, heapUsed: number, external: number, arrayBuffers: number } {
  const m = process.memoryUsage()
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }
}

/** Addresses for towers that do not exist: nothing listens on port 9 of 127.1.0.0/16, so a dial is refused at once. */
function fakeAddress (i: number): Address {
  return { hostname: `127.1.${(i >> 8) & 255}.${(i & 255) + 1}`, port: 9 }
}

serve({
  async start (args: { count: number, key: string, cert: string, options?: Partial<TowerOptions>, latency?: boolean }): Promise<Address[]> {
    if (towers.length > 0) throw new Error('towers already started: stop them first')
    const { createTower } = await lib()
    histogram.reset()
    recording = false
    const options: Partial<TowerOptions> = { hostname: '127.0.0.1', port: 0, sendrate: Infinity, ...args.options }
    if (args.latency === true) options.outboundFilter = message => { stamp(message.payload) }
    for (let i = 0; i < Math.min(args.count, 64); i++) {
      const tower = await createTower().init(args.key, args.cert, options)
      if (args.latency === true) {
        tower.on('message', message => {
          if (recording && message.payload.length >= STAMP_BYTES) record(histogram, nowUs() - readStamp(message.payload))
        })
      }
      towers.push(tower)
    }
    return towers.map(t => ({ hostname: t.hostname, port: t.port }))
  },

  /** Every local tower learns every address but its own. */
  expand (args: { peers: Address[] }): void {
    for (const tower of towers) {
      for (const peer of args.peers) {
        if (peer.port !== tower.port || peer.hostname !== tower.hostname) tower.expand(peer.hostname, peer.port)
      }
    }
  },

  /** Every local tower learns `count` towers that refuse connections. */
  fakePeers (args: { count: number }): void {
    for (const tower of towers) {
      for (let i = 0; i < Math.min(args.count, 65_000); i++) {
        const fake = fakeAddress(i)
        tower.expand(fake.hostname, fake.port)
      }
    }
  },

  /** Waits (at most timeoutMs) until no tower has a peer still "new"; returns the time it took. */
  async settle (args: { timeoutMs: number }): Promise<{ ms: number, settled: boolean }> {
    const start = performance.now()
    while (performance.now() - start < args.timeoutMs) {
      if (towers.every(t => t.stats().peers.new === 0)) return { ms: performance.now() - start, settled: true }
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    return { ms: performance.now() - start, settled: false }
  },

  /** Queues `perTower` messages of `payloadBytes` at every local tower. */
  fill (args: { perTower: number, payloadBytes: number }): number {
    const payload = Buffer.alloc(Math.max(args.payloadBytes, 1), 0x2a)
    let queued = 0
    for (const tower of towers) {
      for (let i = 0; i < Math.min(args.perTower, 1_000_000); i++) {
        tower.enqueue(payload)
        queued++
      }
    }
    return queued
  },

  setRate (args: { sendrate?: number, byterate?: number }): void {
    for (const tower of towers) tower.setRate(args)
  },

  async measure (args: WindowOptions): Promise<unknown> {
    const counts = (): { messages: number, bytes: number } => {
      let messages = 0
      let bytes = 0
      for (const tower of towers) {
        const s = tower.stats()
        messages += s.received
        bytes += s.bytesReceived
      }
      return { messages, bytes }
    }
    const window = await measureWindow(counts, args, () => {
      histogram.reset()
      recording = true
    })
    recording = false
    const totals = { queued: 0, inFlight: 0, sent: 0, acked: 0, returned: 0, refused: 0, received: 0, lost: 0, dead: 0 }
    for (const tower of towers) {
      const s = tower.stats()
      totals.queued += s.queued
      totals.inFlight += s.inFlight
      totals.sent += s.sent
      totals.acked += s.acked
      totals.returned += s.returned
      totals.refused += s.refused
      totals.received += s.received
      totals.lost += s.peers.lost
      totals.dead += s.peers.dead
    }
    return { ...window, histogram: histogram.totalCount > 0 ? encode(histogram) : undefined, totals }
  },

  async stop (): Promise<void> {
    recording = false
    const closing = towers.map(t => t.close({ drain: false }))
    towers = []
    await Promise.all(closing)
  },

  /** Memory per queued message: one tower, no peers, `messages` payloads of `payloadBytes` queued. Run with --expose-gc. */
  async queueMemory (args: { key: string, cert: string, messages: number, payloadBytes: number }): Promise<unknown> {
    const { createTower } = await lib()
    const messages = Math.min(args.messages, 2_000_000)
    const tower = await createTower().init(args.key, args.cert, {
      hostname: '127.0.0.1',
      port: 0,
      maxQueueMessages: messages + 1,
      maxQueueBytes: Math.max(1, messages * args.payloadBytes * 2)
    })
    tower.pause()
    const payload = Buffer.alloc(args.payloadBytes, 0x2a)
    gc()
    const before = memory()
    const start = performance.now()
    for (let i = 0; i < messages; i++) tower.enqueue(payload)
    const enqueueMs = performance.now() - start
    gc()
    const after = memory()
    const queued = tower.stats().queued
    await tower.close({ drain: false })
    return { messages, queued, payloadBytes: args.payloadBytes, enqueueMs, before, after, gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function' }
  },

  /** Start-up of one tower in this fresh process: module load, init with a certificate, init generating one. */
  async startup (args: { key: string, cert: string }): Promise<unknown> {
    gc()
    const bare = memory()
    let start = performance.now()
    const { createTower } = await lib()
    const importMs = performance.now() - start
    start = performance.now()
    const tower = await createTower().init(args.key, args.cert, { hostname: '127.0.0.1', port: 0 })
    const initMs = performance.now() - start
    gc()
    const oneTower = memory()
    start = performance.now()
    const second = await createTower().init(undefined, undefined, { hostname: '127.0.0.1', port: 0 })
    const initGeneratingCertMs = performance.now() - start
    await Promise.all([tower.close({ drain: false }), second.close({ drain: false })])
    return { importMs, initMs, initGeneratingCertMs, bare, oneTower }
  }
})
