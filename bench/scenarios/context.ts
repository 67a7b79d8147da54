/**
 * What every scenario shares: the mode's durations, the certificate, the
 * result rows, progress on stderr, and the Clacks worker processes of each run.
 */
import os from 'node:os'
import { merge, summarize, type LatencySummary } from '../lib/histogram.js'
import { median } from '../lib/format.js'
import { Worker } from '../lib/ipc.js'
import type { WindowOptions, WindowResult } from '../lib/window.js'

export const PAYLOADS = [64, 1024, 16 * 1024, 64 * 1024]
export const TOWER_COUNTS = [2, 4, 8]
export const LOADS = [0.1, 0.5, 0.9]
/** In-flight windows the tuning scenario tries (the default, 1,024, was chosen from it). */
export const WINDOWS = [256, 512, 1024, 2048]
/** Payloads the tuning scenario tries them with: where the window matters (large payloads hit the byte window first). */
export const TUNING_PAYLOADS = [64, 1024, 16 * 1024]

export type Scenario =
  | 'throughput' | 'latency' | 'pacer' | 'pacer-e2e' | 'scale-peers' | 'tuning-window'
  | 'baseline-raw-tls' | 'baseline-prototype' | 'baseline-raw-tls-latency' | 'baseline-nats' | 'paired' | 'cost'

/** One line of results: a scenario, a system, a payload size. */
export interface Row {
  scenario: Scenario
  system: 'clacks' | 'raw-tls' | 'prototype' | 'nats'
  /** Payload bytes per message. */
  payload: number
  towers: number
  processes: number
  /** Messages received per second, all towers together: the median over the window's intervals. */
  hopsPerSec: number | null
  /** Payload megabytes (10^6 B) received per second, median. */
  MBps: number | null
  p50us: number | null
  p90us: number | null
  p99us: number | null
  maxus: number | null
  /** Clacks ÷ raw TLS of the figure in `ratioOf`, same payload (and same rate for latency). */
  ratioToRawTls: number | null
  /** Clacks ÷ prototype of the figure in `ratioOf`, same payload. */
  ratioToPrototype: number | null
  /** Which figure the ratios compare: throughput rows hopsPerSec (below 1 = slower), latency rows p50us (above 1 = slower). */
  ratioOf?: 'hopsPerSec' | 'p50us'
  /** hops/s of each interval: its min and max and how many there were. */
  spread?: { min: number, max: number, samples: number }
  /** CPU of each worker process over the window, % of one core. */
  cpuPct?: number[]
  /** The worst event-loop delay among the worker processes over the window, ms (p99 and max). */
  loopDelayMs?: { p99: number, max: number }
  /** Latency rows: the fraction of the 2-tower throughput offered, and the rate that is. */
  load?: number
  targetHopsPerSec?: number
  /** Percentile → µs, for the latency chart. */
  distribution?: Array<[number, number]>
  /** Latency rows: the baselines' figures the ratios were taken from. */
  baselineLatency?: { rawTls?: Pick<LatencySummary, 'p50us' | 'p90us' | 'p99us' | 'maxus'>, prototype?: Pick<LatencySummary, 'p50us' | 'p90us' | 'p99us' | 'maxus'> }
  /** pacer-e2e rows. */
  configured?: number
  achieved?: number
  unit?: 'msg/s' | 'B/s'
  errorPct?: number
  /** tuning-window rows: the in-flight window the towers ran with. */
  maxInFlight?: number
  /** scale-peers rows. */
  knownPeers?: number
  settleMs?: number
  settled?: boolean
  /** cost rows: CPU time of all the run's processes ÷ hops, µs. */
  cpuUsPerHop?: number
  /** baseline-raw-tls and baseline-nats rows: the frames per side the ring was measured with (the best it tried). */
  framesPerSide?: number
  /** paired rows: each round's two-tower and ring hops/s and their ratio. */
  pairs?: Array<{ rawTls: number, clacks: number, ratio: number }>
  /** Sums of the towers' counters at the end of the window. */
  totals?: Record<string, number>
  /** Anything worth knowing to read the row. */
  note?: string
  /** The run failed; the figures are null. */
  error?: string
}

export interface Settings {
  quick: boolean
  /** The throughput window. */
  window: WindowOptions
  /** The latency and pacer windows. */
  latencyWindow: WindowOptions
  /** Messages queued per tower for the throughput runs (capped by bytes, see perTower()). */
  circulating: number
  /** How long a tower with thousands of unreachable peers gets to try each once. */
  settleMs: number
  /** Messages queued for the memory measurement. */
  memoryMessages: number
  /** Rounds of ring and two towers back to back per payload (the paired scenario), and each one's window. */
  pairRounds: number
  pairWindow: WindowOptions
}

export function settings (quick: boolean): Settings {
  return quick
    ? {
        quick,
        window: { warmupMs: 300, samples: 3, sampleMs: 250 },
        latencyWindow: { warmupMs: 200, samples: 2, sampleMs: 200 },
        circulating: 2048,
        settleMs: 2_000,
        memoryMessages: 100_000,
        pairRounds: 1,
        pairWindow: { warmupMs: 200, samples: 2, sampleMs: 200 }
      }
    : {
        quick,
        window: { warmupMs: 2000, samples: 5, sampleMs: 1000 },
        latencyWindow: { warmupMs: 1000, samples: 5, sampleMs: 1000 },
        circulating: 2048,
        settleMs: 60_000,
        memoryMessages: 1_000_000,
        pairRounds: 5,
        pairWindow: { warmupMs: 1000, samples: 2, sampleMs: 1000 }
      }
}

/**
 * How many frames or messages circulate matters (too few leave the pipe idle:
 * two towers with 1,024 queued each and a 1,024-message in-flight window spend
 * part of every round trip waiting for acknowledgements, half the hops/s at
 * 64 B of 2,048 queued; megabytes in buffers and queues slow it down), so where
 * a run should show the best a system does (the raw TLS ring; the paired
 * comparison; NATS) each of these is tried briefly, those of at most
 * MAX_PROBED_BYTES, and the best one measured.
 */
const CIRCULATING_CANDIDATES = [128, 512, 2048]

/** The most payload scenario 1 puts into circulation per tower (it runs up to 8 towers in 2 processes). */
const MAX_CIRCULATING_BYTES = 32 * 1024 * 1024

/** The most payload a probed candidate puts into circulation on one side (2,048 of 64 KiB). */
const MAX_PROBED_BYTES = 128 * 1024 * 1024

/** The candidates of at most MAX_PROBED_BYTES of payload (the smallest always); with --quick only the largest of them, untried against the others. */
export function circulatingCandidates (s: Settings, payload: number): number[] {
  const fitting = CIRCULATING_CANDIDATES.filter(n => n === CIRCULATING_CANDIDATES[0] || n * payload <= MAX_PROBED_BYTES)
  return s.quick ? fitting.slice(-1) : fitting
}

/** Measures each candidate in turn (hops/s); the best, and what each did. */
export async function bestOf (candidates: number[], measure: (candidate: number) => Promise<number>): Promise<{ best: number, tried: Array<[candidate: number, hopsPerSec: number]> }> {
  const tried: Array<[candidate: number, hopsPerSec: number]> = []
  if (candidates.length === 1) return { best: candidates[0] as number, tried }
  for (const candidate of candidates) tried.push([candidate, await measure(candidate)])
  const [best] = tried.reduce((top, t) => t[1] > top[1] ? t : top)
  return { best, tried }
}

/** What bestOf tried, for a row's note. */
export function triedNote (tried: Array<[candidate: number, hopsPerSec: number]>): string {
  return tried.length === 0 ? 'not probed (--quick)' : `the best of ${tried.map(([c, h]) => `${c} (${Math.round(h).toLocaleString('en-US')}/s)`).join(', ')}`
}

/** The short window a candidate is tried with. */
export function probeWindow (s: Settings): WindowOptions {
  return s.quick ? { warmupMs: 150, samples: 2, sampleMs: 150 } : { warmupMs: 500, samples: 2, sampleMs: 500 }
}

/** Messages queued per tower: `circulating`, at most MAX_CIRCULATING_BYTES of payload. */
export function perTower (s: Settings, payload: number): number {
  return Math.max(16, Math.min(s.circulating, Math.floor(MAX_CIRCULATING_BYTES / payload)))
}

/** How long a measure call may take before the worker is presumed stuck. */
export function windowTimeoutMs (w: WindowOptions): number {
  return w.warmupMs + w.samples * w.sampleMs + 30_000
}

/** Worker processes for `towers` towers: one per core, at least two, never more than towers. */
export function processesFor (towers: number): number {
  return Math.min(towers, Math.max(2, os.availableParallelism()))
}

export class Context {
  readonly rows: Row[] = []
  readonly errors: string[] = []
  readonly #started = performance.now()
  /** Clacks workers started and not yet released. */
  readonly #live = new Set<Worker>()

  constructor (readonly settings: Settings, readonly key: string, readonly cert: string) {}

  /** A progress line on stderr, with the time since the start. */
  progress (line: string): void {
    const s = ((performance.now() - this.#started) / 1000).toFixed(1).padStart(6)
    process.stderr.write(`[${s}s] ${line}\n`)
  }

  failed (what: string, error: unknown): string {
    const message = error instanceof Error ? error.message.split('\n')[0] as string : String(error)
    this.errors.push(`${what}: ${message}`)
    this.progress(`${what}: FAILED: ${message}`)
    return message
  }

  /**
   * `n` fresh Clacks worker processes for one run (give them back with
   * releaseWorkers). The baselines start theirs per run too: a process reused
   * carried the heap and compiled code of every run before it, and the
   * figures then depended on what ran first (hop p99 at 10 % load, 16 KiB:
   * 5.5 ms in two runs with reused workers, 2.2–2.4 ms with fresh ones).
   */
  async clacksWorkers (n: number): Promise<Worker[]> {
    const workers = await Promise.all(Array.from({ length: n }, (_, i) => Worker.spawn('clacks', { name: `clacks worker ${i + 1}` })))
    for (const worker of workers) this.#live.add(worker)
    return workers
  }

  /** Ends a run's workers. */
  async releaseWorkers (workers: Worker[]): Promise<void> {
    await Promise.all(workers.map(w => w.close()))
    for (const worker of workers) this.#live.delete(worker)
  }

  /** Ends every worker still running (the suite is done, or was interrupted). */
  async closeWorkers (): Promise<void> {
    await this.releaseWorkers([...this.#live])
  }
}

export interface WorkerWindow extends WindowResult {
  histogram?: string
  totals: Record<string, number>
}

export interface Combined {
  hopsPerSec: number
  MBps: number
  spread: { min: number, max: number, samples: number }
  cpuPct: number[]
  loopDelayMs: { p99: number, max: number }
  latency: LatencySummary | undefined
  totals: Record<string, number>
}

/** Adds the workers' windows interval by interval; medians over the intervals; one histogram. */
export function combine (windows: WorkerWindow[]): Combined {
  const samples = Math.min(...windows.map(w => w.hopsPerSec.length))
  const hops: number[] = []
  const bytes: number[] = []
  for (let i = 0; i < samples; i++) {
    hops.push(windows.reduce((sum, w) => sum + (w.hopsPerSec[i] as number), 0))
    bytes.push(windows.reduce((sum, w) => sum + (w.bytesPerSec[i] as number), 0))
  }
  const totals: Record<string, number> = {}
  for (const w of windows) for (const [k, v] of Object.entries(w.totals)) totals[k] = (totals[k] ?? 0) + v
  return {
    hopsPerSec: median(hops),
    MBps: median(bytes) / 1e6,
    spread: { min: Math.min(...hops), max: Math.max(...hops), samples },
    cpuPct: windows.map(w => Math.round(w.cpuPct)),
    loopDelayMs: { p99: Math.max(...windows.map(w => w.loopDelayMs.p99)), max: Math.max(...windows.map(w => w.loopDelayMs.max)) },
    latency: summarize(merge(windows.map(w => w.histogram))),
    totals
  }
}

/** A row with every figure empty, to fill in. */
export function emptyRow (scenario: Scenario, system: Row['system'], payload: number, towers: number, processes: number): Row {
  return {
    scenario, system, payload, towers, processes,
    hopsPerSec: null, MBps: null, p50us: null, p90us: null, p99us: null, maxus: null,
    ratioToRawTls: null, ratioToPrototype: null
  }
}

/** Fills a row's figures from a combined window. */
export function fill (row: Row, c: Combined): Row {
  row.hopsPerSec = Math.round(c.hopsPerSec)
  row.MBps = Math.round(c.MBps * 100) / 100
  row.spread = { min: Math.round(c.spread.min), max: Math.round(c.spread.max), samples: c.spread.samples }
  row.cpuPct = c.cpuPct
  row.loopDelayMs = c.loopDelayMs
  row.totals = c.totals
  if (c.latency !== undefined) {
    row.p50us = c.latency.p50us
    row.p90us = c.latency.p90us
    row.p99us = c.latency.p99us
    row.maxus = c.latency.maxus
    row.distribution = c.latency.distribution
  }
  return row
}
