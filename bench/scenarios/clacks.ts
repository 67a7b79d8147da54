/**
 * The Clacks scenarios: throughput (1), hop latency (2), the pacer over real
 * links (3), and throughput with many known peers (4). Each run starts fresh
 * towers in the pooled worker processes, lets them learn each other, queues
 * messages, measures, and stops them.
 */
import { int, num, size, us } from '../lib/format.js'
import type { WindowOptions } from '../lib/window.js'
import type { TowerOptions } from '../../src/index.js'
import { combine, emptyRow, fill, perTower, processesFor, windowTimeoutMs, type Combined, type Context, type Row, type Scenario, type WorkerWindow } from './context.js'

interface Address { hostname: string, port: number }

export interface RunSpec {
  towers: number
  payload: number
  /** Messages queued per tower. */
  queued: number
  window: WindowOptions
  options?: Partial<TowerOptions>
  latency?: boolean
  /** Unreachable peers every tower knows besides the real ones. */
  fakePeers?: number
}

/** Towers spread over processes as evenly as possible. */
function spread (towers: number, processes: number): number[] {
  return Array.from({ length: processes }, (_, i) => Math.floor(towers / processes) + (i < towers % processes ? 1 : 0))
}

/** One measured run of `towers` Clacks towers, each knowing all the others. */
export async function clacksRun (ctx: Context, spec: RunSpec): Promise<Combined & { settle?: { ms: number, settled: boolean } }> {
  const workers = await ctx.clacksWorkers(processesFor(spec.towers))
  const counts = spread(spec.towers, workers.length)
  let settle: { ms: number, settled: boolean } | undefined
  const t0 = performance.now()
  const lap = (what: string): void => { if (process.env.BENCH_TRACE !== undefined) ctx.progress(`  ${what} at ${Math.round(performance.now() - t0)} ms`) }
  try {
    const addresses = (await Promise.all(workers.map((w, i) => w.call<Address[]>('start', {
      count: counts[i], key: ctx.key, cert: ctx.cert, options: spec.options, latency: spec.latency
    })))).flat()
    lap('started')
    await Promise.all(workers.map(w => w.call('expand', { peers: addresses })))
    if (spec.fakePeers !== undefined && spec.fakePeers > 0) await Promise.all(workers.map(w => w.call('fakePeers', { count: spec.fakePeers })))
    await Promise.all(workers.map(w => w.call('fill', { perTower: spec.queued, payloadBytes: spec.payload })))
    if (spec.fakePeers !== undefined && spec.fakePeers > 0) {
      const settled = await Promise.all(workers.map(w => w.call<{ ms: number, settled: boolean }>('settle', { timeoutMs: ctx.settings.settleMs }, ctx.settings.settleMs + 30_000)))
      settle = { ms: Math.max(...settled.map(s => s.ms)), settled: settled.every(s => s.settled) }
    }
    lap('filled')
    const windows = await Promise.all(workers.map(w => w.call<WorkerWindow>('measure', spec.window, windowTimeoutMs(spec.window))))
    lap('measured')
    return { ...combine(windows), ...(settle === undefined ? {} : { settle }) }
  } finally {
    await ctx.releaseWorkers(workers)
    lap('stopped')
  }
}

function row (scenario: Scenario, payload: number, towers: number): Row {
  return emptyRow(scenario, 'clacks', payload, towers, processesFor(towers))
}

/** Scenario 1: unlimited rate, messages circulating among 2, 4 and 8 towers. */
export async function runThroughput (ctx: Context, payloads: number[], towerCounts: number[]): Promise<void> {
  for (const towers of towerCounts) {
    for (const payload of payloads) {
      const r = row('throughput', payload, towers)
      r.ratioOf = 'hopsPerSec'
      try {
        const queued = perTower(ctx.settings, payload)
        fill(r, await clacksRun(ctx, { towers, payload, queued, window: ctx.settings.window }))
        r.note = `${queued} messages queued per tower, sendrate Infinity`
        ctx.progress(`throughput, ${towers} towers in ${r.processes} processes, ${size(payload)}: ${int(r.hopsPerSec)} hops/s, ${num(r.MBps)} MB/s ` +
          `(intervals ${int(r.spread?.min)}–${int(r.spread?.max)}, CPU ${r.cpuPct?.join(' + ')} %, loop delay max ${num(r.loopDelayMs?.max)} ms)`)
      } catch (error) {
        r.error = ctx.failed(`throughput ${towers} towers ${size(payload)}`, error)
      }
      ctx.rows.push(r)
    }
  }
}

/**
 * Tuning: scenario 1's two-tower run with each in-flight window, the figures
 * the default maxInFlight was chosen by.
 */
export async function runWindowSweep (ctx: Context, payloads: number[], windows: number[]): Promise<void> {
  for (const payload of payloads) {
    for (const maxInFlight of windows) {
      const r = row('tuning-window', payload, 2)
      r.maxInFlight = maxInFlight
      try {
        const queued = perTower(ctx.settings, payload)
        fill(r, await clacksRun(ctx, { towers: 2, payload, queued, window: ctx.settings.window, options: { maxInFlight } }))
        r.note = `maxInFlight ${maxInFlight}, ${queued} messages queued per tower, sendrate Infinity`
        ctx.progress(`tuning, window ${maxInFlight}, ${size(payload)}: ${int(r.hopsPerSec)} hops/s (intervals ${int(r.spread?.min)}–${int(r.spread?.max)}, CPU ${r.cpuPct?.join(' + ')} %)`)
      } catch (error) {
        r.error = ctx.failed(`tuning window ${maxInFlight} ${size(payload)}`, error)
      }
      ctx.rows.push(r)
    }
  }
}

/**
 * Scenario 2: two towers paced to `load` × the 2-tower throughput (half each),
 * messages stamped at send, read when queued at the receiver.
 */
export async function runLatency (ctx: Context, payload: number, load: number, capacity: number): Promise<Row> {
  const r = row('latency', payload, 2)
  r.ratioOf = 'p50us'
  r.load = load
  const target = capacity * load
  r.targetHopsPerSec = Math.round(target)
  try {
    fill(r, await clacksRun(ctx, {
      towers: 2, payload, queued: perTower(ctx.settings, payload), window: ctx.settings.latencyWindow, latency: true,
      options: { sendrate: target / 2 }
    }))
    r.note = `sendrate ${int(target / 2)} per tower; stamped in the outbound filter, read in the 'message' event`
    ctx.progress(`latency, ${size(payload)} at ${Math.round(load * 100)} % (${int(target)} hops/s, achieved ${int(r.hopsPerSec)}): ` +
      `p50 ${us(r.p50us)}, p90 ${us(r.p90us)}, p99 ${us(r.p99us)}, max ${us(r.maxus)}`)
  } catch (error) {
    r.error = ctx.failed(`latency ${size(payload)} at ${Math.round(load * 100)} %`, error)
  }
  ctx.rows.push(r)
  return r
}

/** Scenario 3, end to end: two towers with a configured rate each; achieved = received per second. */
export async function runPacerEndToEnd (ctx: Context): Promise<void> {
  const settingsList: Array<{ unit: 'msg/s' | 'B/s', perTower: number, payload: number }> = [
    { unit: 'msg/s', perTower: 100, payload: 1024 },
    { unit: 'msg/s', perTower: 1_000, payload: 1024 },
    { unit: 'msg/s', perTower: 10_000, payload: 1024 },
    { unit: 'B/s', perTower: 1e6, payload: 16 * 1024 },
    { unit: 'B/s', perTower: 10e6, payload: 16 * 1024 }
  ]
  for (const s of settingsList) {
    const r = row('pacer-e2e', s.payload, 2)
    r.unit = s.unit
    r.configured = s.perTower * 2
    try {
      const options = s.unit === 'msg/s' ? { sendrate: s.perTower } : { byterate: s.perTower }
      fill(r, await clacksRun(ctx, { towers: 2, payload: s.payload, queued: 256, window: ctx.settings.latencyWindow, options }))
      r.achieved = s.unit === 'msg/s' ? r.hopsPerSec ?? 0 : Math.round((r.MBps ?? 0) * 1e6)
      r.errorPct = Math.round(((r.achieved - r.configured) / r.configured) * 10_000) / 100
      r.note = s.unit === 'B/s'
        ? `byterate ${int(s.perTower)} B/s per tower; achieved counts payload bytes (the pacer also counts each frame's ~50 B of overhead)`
        : `sendrate ${int(s.perTower)} per tower`
      ctx.progress(`pacer end to end, ${int(r.configured)} ${s.unit} configured (both towers): achieved ${int(r.achieved)} ${s.unit} (${r.errorPct >= 0 ? '+' : ''}${r.errorPct} %)`)
    } catch (error) {
      r.error = ctx.failed(`pacer end to end ${int(r.configured)} ${s.unit}`, error)
    }
    ctx.rows.push(r)
  }
}

/** Scenario 4: two towers, 1 KiB, each also knowing known − 1 towers that refuse connections. */
export async function runScalePeers (ctx: Context, knownCounts: number[]): Promise<void> {
  const payload = 1024
  for (const known of knownCounts) {
    const r = row('scale-peers', payload, 2)
    r.ratioOf = 'hopsPerSec'
    r.knownPeers = known
    try {
      const c = await clacksRun(ctx, { towers: 2, payload, queued: perTower(ctx.settings, payload), window: ctx.settings.window, fakePeers: known - 1 })
      fill(r, c)
      r.settleMs = Math.round(c.settle?.ms ?? 0)
      r.settled = c.settle?.settled ?? true
      r.note = `${known - 1} unreachable peers (127.1.x.y:9, refused) besides the real one; measured after each was tried once` +
        (r.settled ? '' : ' (not all were tried within the settle time)')
      ctx.progress(`scale, ${int(known)} known peers: ${int(r.hopsPerSec)} hops/s, ${num(r.MBps)} MB/s (settled in ${int(r.settleMs)} ms, ` +
        `${int(r.totals?.returned)} returned, CPU ${r.cpuPct?.join(' + ')} %, loop delay max ${num(r.loopDelayMs?.max)} ms)`)
    } catch (error) {
      r.error = ctx.failed(`scale ${known} known peers`, error)
    }
    ctx.rows.push(r)
  }
}
