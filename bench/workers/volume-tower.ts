/**
 * One Clacks tower in a process of its own, for the volume runs (npm run
 * fuzz, npm run soak): started, fed, measured and checked over IPC (see
 * ../lib/ipc.ts), so that the attacker's CPU is not the tower's.
 */
import { loadClacks } from '../lib/clacks.js'
import { serve } from '../lib/ipc.js'
import type { Tower, TowerOptions } from '../../src/index.js'

let tower: Tower | undefined
/** Ids this process enqueued, for the conservation check. */
const enqueued: string[] = []
let feeder: NodeJS.Timeout | undefined
let peakRss = 0
let peakHeap = 0
const sampler = setInterval(sampleMemory, 250).unref()

function sampleMemory (): void {
  const memory = process.memoryUsage()
  peakRss = Math.max(peakRss, memory.rss)
  peakHeap = Math.max(peakHeap, memory.heapUsed)
}

function running (): Tower {
  if (tower === undefined) throw new Error('no tower: call start first')
  return tower
}

serve({
  async start (args: { key: string, cert: string, options: Partial<TowerOptions>, keepPrefix?: string }): Promise<{ hostname: string, port: number }> {
    const { createTower } = await loadClacks()
    const options: Partial<TowerOptions> = { ...args.options }
    const prefix = args.keepPrefix === undefined ? undefined : Buffer.from(args.keepPrefix)
    // The application's filter: only its own messages are kept (a fuzzer's are taken, then dropped).
    if (prefix !== undefined) options.inboundFilter = message => Buffer.from(message.payload.subarray(0, prefix.length)).equals(prefix) ? undefined : false
    tower = await createTower().init(args.key, args.cert, options)
    return { hostname: tower.hostname, port: tower.port }
  },

  expand (args: { hostname: string, port: number }): void {
    running().expand(args.hostname, args.port)
  },

  /** Keeps at least `level` messages queued, topping up every `everyMs` with payloads `prefix` + n. */
  keepFed (args: { prefix: string, level: number, everyMs: number }): void {
    const t = running()
    clearInterval(feeder)
    feeder = setInterval(() => {
      for (let queued = t.stats().queued; queued < args.level; queued++) enqueued.push(t.enqueue(`${args.prefix}${enqueued.length}`))
    }, args.everyMs)
  },

  /** Enqueues `count` messages with payloads `prefix` + n; returns their ids. */
  enqueueMany (args: { prefix: string, count: number }): string[] {
    const t = running()
    const ids: string[] = []
    for (let i = 0; i < args.count; i++) ids.push(t.enqueue(`${args.prefix}${enqueued.length + i}`))
    enqueued.push(...ids)
    return ids
  },

  survey (): ReturnType<Tower['survey']> {
    return running().survey()
  },

  stopFeeding (): void {
    clearInterval(feeder)
    feeder = undefined
  },

  stats (): { stats: ReturnType<Tower['stats']>, rss: number, heapUsed: number, peakRss: number, peakHeap: number } {
    sampleMemory()
    const memory = process.memoryUsage()
    return { stats: running().stats(), rss: memory.rss, heapUsed: memory.heapUsed, peakRss, peakHeap }
  },

  pause (): void { running().pause() },
  resume (): void { running().resume() },

  /** The ids of held messages (queued and in flight) whose payload starts with `prefix`. */
  held (args: { prefix: string }): string[] {
    const prefix = Buffer.from(args.prefix)
    return running().peek({ inFlight: true }).filter(m => Buffer.from(m.payload.subarray(0, prefix.length)).equals(prefix)).map(m => m.id)
  },

  enqueuedIds (): string[] {
    return enqueued
  },

  async close (args: { drain: boolean }): Promise<number> {
    clearInterval(feeder)
    clearInterval(sampler)
    const { left } = await running().close({ drain: args.drain })
    tower = undefined
    return left
  }
})
