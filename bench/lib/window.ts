/**
 * The measurement window every worker runs: a warm-up, then `samples`
 * back-to-back intervals of `sampleMs`, each turned into a rate with the time
 * that really passed (a busy event loop fires timers late). The parent adds
 * the workers' rates interval by interval and reports the median.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { sleep } from './clock.js'

export interface WindowOptions {
  warmupMs: number
  samples: number
  sampleMs: number
}

export interface Counts {
  /** Messages (or frames) received so far. */
  messages: number
  /** Their payload bytes. */
  bytes: number
}

export interface WindowResult {
  /** Messages received per second, one per interval. */
  hopsPerSec: number[]
  /** Payload bytes received per second, one per interval. */
  bytesPerSec: number[]
  /** This process's CPU time over the window, as a percentage of one core. */
  cpuPct: number
  /** Wall time of the window, in seconds. */
  seconds: number
  /** Event-loop delay over the window, ms: how long the loop was kept from running timers (a blocked loop delays every socket too). */
  loopDelayMs: { p50: number, p99: number, max: number }
}

/** How often the event-loop delay is sampled, ms. */
const LOOP_RESOLUTION_MS = 10

/** Runs the window; `onStart` runs once the warm-up is over (to reset a histogram, say). */
export async function measureWindow (counts: () => Counts, options: WindowOptions, onStart?: () => void): Promise<WindowResult> {
  const samples = Math.max(1, Math.min(100, Math.floor(options.samples)))
  await sleep(options.warmupMs)
  onStart?.()
  const hopsPerSec: number[] = []
  const bytesPerSec: number[] = []
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS })
  loop.enable()
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  let last = counts()
  let lastAt = start
  for (let i = 0; i < samples; i++) {
    await sleep(options.sampleMs)
    const now = performance.now()
    const current = counts()
    const seconds = (now - lastAt) / 1000
    hopsPerSec.push((current.messages - last.messages) / seconds)
    bytesPerSec.push((current.bytes - last.bytes) / seconds)
    last = current
    lastAt = now
  }
  const cpu = process.cpuUsage(cpu0)
  loop.disable()
  // The histogram holds the time between its timer's runs, resolution included (an idle loop reads ~10 ms): the delay is the rest.
  const ms = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - LOOP_RESOLUTION_MS) * 100) / 100)
  const loopDelayMs = { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) }
  const seconds = (lastAt - start) / 1000
  return { hopsPerSec, bytesPerSec, cpuPct: (cpu.user + cpu.system) / 1e4 / seconds, seconds, loopDelayMs }
}
