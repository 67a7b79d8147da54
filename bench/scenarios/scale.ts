/** Scenario 4, the parts that need a fresh process: memory per queued message, and start-up. */
import { int, num } from '../lib/format.js'
import { Worker } from '../lib/ipc.js'
import type { Context } from './context.js'

interface Memory { rss: number, heapUsed: number, external: number, arrayBuffers: number }

export interface QueueMemoryResult {
  messages: number
  payloadBytes: number
  /** (heapUsed + external) after − before, per message: what the queue holds per message, payload included. */
  bytesPerMessage: number
  /** The same, less the payload itself. */
  overheadPerMessage: number
  /** Resident set size growth per message (includes heap slack). */
  rssPerMessage: number
  /** V8 heap growth per message (heapUsed): the queue's records. */
  heapPerMessage: number
  /** Growth outside the V8 heap per message (external: Buffers' memory). */
  externalPerMessage: number
  enqueuePerSec: number
  gcExposed: boolean
}

export interface StartupResult {
  /** Loading the library (import). */
  importMs: number
  /** init() with a key and certificate given. */
  initMs: number
  /** init() without: it generates an ECDSA P-256 certificate. */
  initGeneratingCertMs: number
  /** The process after one started tower (Node, the bench worker and the library included). */
  rssMB: number
  heapUsedMB: number
  /** Growth from before the import to one started tower. */
  rssDeltaMB: number
  heapDeltaMB: number
}

export async function runQueueMemory (ctx: Context): Promise<QueueMemoryResult | { error: string }> {
  const payloadBytes = 64
  const worker = await Worker.spawn('clacks', { name: 'clacks memory worker', nodeFlags: ['--expose-gc', '--max-old-space-size=4096'] })
  try {
    const r = await worker.call<{ messages: number, queued: number, enqueueMs: number, before: Memory, after: Memory, gcExposed: boolean }>(
      'queueMemory', { key: ctx.key, cert: ctx.cert, messages: ctx.settings.memoryMessages, payloadBytes }, 300_000)
    const held = (r.after.heapUsed + r.after.external) - (r.before.heapUsed + r.before.external)
    const result: QueueMemoryResult = {
      messages: r.queued,
      payloadBytes,
      bytesPerMessage: Math.round(held / r.queued),
      overheadPerMessage: Math.round(held / r.queued - payloadBytes),
      rssPerMessage: Math.round((r.after.rss - r.before.rss) / r.queued),
      heapPerMessage: Math.round((r.after.heapUsed - r.before.heapUsed) / r.queued),
      externalPerMessage: Math.round((r.after.external - r.before.external) / r.queued),
      enqueuePerSec: Math.round(r.queued / (r.enqueueMs / 1000)),
      gcExposed: r.gcExposed
    }
    ctx.progress(`scale, memory: ${int(result.messages)} queued messages of ${payloadBytes} B: ${int(result.bytesPerMessage)} B each ` +
      `(${int(result.overheadPerMessage)} B over the payload; heap ${int(result.heapPerMessage)} B, external ${int(result.externalPerMessage)} B, RSS ${int(result.rssPerMessage)} B), enqueue ${int(result.enqueuePerSec)}/s`)
    return result
  } catch (error) {
    return { error: ctx.failed('scale memory', error) }
  } finally {
    await worker.close()
  }
}

export async function runStartup (ctx: Context): Promise<StartupResult | { error: string }> {
  const worker = await Worker.spawn('clacks', { name: 'clacks start-up worker', nodeFlags: ['--expose-gc'] })
  try {
    const r = await worker.call<{ importMs: number, initMs: number, initGeneratingCertMs: number, bare: Memory, oneTower: Memory }>(
      'startup', { key: ctx.key, cert: ctx.cert }, 60_000)
    const MB = 1024 * 1024
    const result: StartupResult = {
      importMs: Math.round(r.importMs * 10) / 10,
      initMs: Math.round(r.initMs * 10) / 10,
      initGeneratingCertMs: Math.round(r.initGeneratingCertMs * 10) / 10,
      rssMB: Math.round(r.oneTower.rss / MB * 10) / 10,
      heapUsedMB: Math.round(r.oneTower.heapUsed / MB * 10) / 10,
      rssDeltaMB: Math.round((r.oneTower.rss - r.bare.rss) / MB * 10) / 10,
      heapDeltaMB: Math.round((r.oneTower.heapUsed - r.bare.heapUsed) / MB * 10) / 10
    }
    ctx.progress(`scale, start-up: import ${num(result.importMs)} ms, init ${num(result.initMs)} ms (${num(result.initGeneratingCertMs)} ms generating a certificate); ` +
      `RSS ${num(result.rssMB)} MB (+${num(result.rssDeltaMB)} MB for the library and one tower)`)
    return result
  } catch (error) {
    return { error: ctx.failed('scale start-up', error) }
  } finally {
    await worker.close()
  }
}
