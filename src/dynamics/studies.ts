import type { PeerPolicy } from '../tower/peer-table.js'
import type { Figure } from './report.js'
import { runDynamics, type DynamicsOptions, type DynamicsResult, type Engine } from './run.js'
import { lineChart } from './svg.js'

/** A study: figures for the report and lines for the terminal. */
export interface Study {
  figures: Figure[]
  lines: string[]
}

type Progress = (line: string) => void

const seconds = (ms: number | undefined): string => ms === undefined ? '—' : (ms / 1000).toFixed(2)

/**
 * Propagation and discovery against network size: a square grid per size,
 * real towers up to `realMax`, the simulator beyond.
 */
export async function scaleStudy (base: DynamicsOptions, sizes: readonly number[], realMax: number, progress: Progress): Promise<Study> {
  const rows: Array<{ towers: number, engine: string, run: DynamicsResult }> = []
  for (const size of sizes) {
    const side = Math.max(2, Math.round(Math.sqrt(size)))
    const engine = side * side <= realMax ? 'real' : 'sim'
    const run = await runDynamics({ ...base, engine, width: side, height: side, onFrame: undefined })
    rows.push({ towers: side * side, engine, run })
    progress(`scale: ${side * side} towers (${engine}): far ${seconds(run.farReachedMs)} s, ${run.firstArrival.filter(ms => ms >= 0).length} reached, all ${seconds(run.allReachedMs)} s, saturation ${run.saturationS ?? '—'} s, ${(100 * (run.frames.at(-1)?.discovered ?? 0)).toFixed(1)} % pairs known, wall ${(run.wallMs / 1000).toFixed(0)} s`)
  }
  const series = (engine: string, pick: (run: DynamicsResult) => number | undefined, name: string): { name: string, points: Array<[number, number]>, markers: boolean } => ({
    name: `${name} (${engine})`,
    markers: true,
    points: rows.filter(r => r.engine === engine).flatMap(r => {
      const v = pick(r.run)
      return v === undefined ? [] : [[r.towers, v] as [number, number]]
    })
  })
  const far = (run: DynamicsResult): number | undefined => run.farReachedMs === undefined ? undefined : run.farReachedMs / 1000
  const saturation = (run: DynamicsResult): number | undefined => run.saturationS
  const reachedCount = (run: DynamicsResult): number => run.firstArrival.filter(ms => ms >= 0).length
  /** Seconds until this share of the towers had held a message. */
  const share = (fraction: number) => (run: DynamicsResult): number | undefined => {
    const reached = run.firstArrival.filter(ms => ms >= 0).sort((a, b) => a - b)
    const ms = reached[Math.ceil(run.firstArrival.length * fraction) - 1]
    return ms === undefined ? undefined : ms / 1000
  }
  const hundredth = share(0.01)
  const tenth = share(0.1)
  const svg = lineChart({
    title: 'Scale: 1 % and 10 % of towers reached, far corner reached, discovery saturated',
    x: 'towers (grid)',
    y: 'seconds',
    logX: true,
    logY: true,
    series: [
      series('real', hundredth, '1 % reached'), series('sim', hundredth, '1 % reached'),
      series('real', tenth, '10 % reached'), series('sim', tenth, '10 % reached'),
      series('real', far, 'far corner'), series('sim', far, 'far corner'),
      series('real', saturation, 'saturation'), series('sim', saturation, 'saturation')
    ]
  })
  const reach = lineChart({
    title: `Towers reached within ${base.duration} s`,
    x: 'towers (grid)',
    y: 'towers that have held a message',
    logX: true,
    logY: true,
    series: [
      { name: 'every tower', points: rows.map(r => [r.towers, r.towers]), dashed: true },
      series('real', reachedCount, 'reached'), series('sim', reachedCount, 'reached')
    ]
  })
  const heap = (run: DynamicsResult): string => run.heapBytesPerTower === undefined ? '' : `, heap ${(run.heapBytesPerTower / 1024).toFixed(0)} KiB per tower`
  const reachedShare = (run: DynamicsResult): string => `${reachedCount(run)} reached (${(100 * reachedCount(run) / run.firstArrival.length).toFixed(1)} %; 1 % at ${hundredth(run)?.toFixed(2) ?? '—'} s, 10 % at ${tenth(run)?.toFixed(2) ?? '—'} s)`
  const table = rows.map(r => `${r.towers} ${r.engine}: far ${seconds(r.run.farReachedMs)} s, ${reachedShare(r.run)}, all ${seconds(r.run.allReachedMs)} s, saturation ${r.run.saturationS ?? `not in ${r.run.options.duration}`} s, pairs known ${(100 * (r.run.frames.at(-1)?.discovered ?? 0)).toFixed(1)} %, hops ${r.run.frames.reduce((s, f) => s + f.hops, 0)}, wall ${(r.run.wallMs / 1000).toFixed(0)} s${heap(r.run)}`)
  const caption = `Each point one run (${base.messages} message(s) at a corner, sendrate ${base.sendrate}, ${base.duration} s; real towers up to ${realMax}, simulated beyond).`
  return {
    figures: [
      { file: 'scale.svg', title: 'Scale curve', svg, caption: `${caption} A missing point was not reached within the run. ${table.join('; ')}.` },
      { file: 'scale-reach.svg', title: 'Scale: reach', svg: reach, caption: `${caption} How many towers the message(s) reached; the dashed line is every tower.` }
    ],
    lines: table
  }
}

/** One run per peer policy, the same network and seed: propagation and discovery side by side. */
export async function policyStudy (base: DynamicsOptions, policies: readonly PeerPolicy[], progress: Progress): Promise<Study> {
  const runs: Array<{ policy: PeerPolicy, run: DynamicsResult }> = []
  for (const policy of policies) {
    const run = await runDynamics({ ...base, towerOptions: { ...base.towerOptions, peerPolicy: policy }, onFrame: undefined })
    runs.push({ policy, run })
    progress(`policy ${policy}: far ${seconds(run.farReachedMs)} s, all ${seconds(run.allReachedMs)} s, saturation ${run.saturationS ?? '—'} s, visits spread (max/mean) ${spread(run).toFixed(1)}`)
  }
  const n = base.width * base.height
  const reached = (run: DynamicsResult): Array<[number, number]> => [[0, 0], ...run.firstArrival.filter(ms => ms >= 0).sort((a, b) => a - b).map((ms, i): [number, number] => [ms / 1000, (100 * (i + 1)) / n])]
  const lines = runs.map(({ policy, run }) => `${policy}: far ${seconds(run.farReachedMs)} s, all ${seconds(run.allReachedMs)} s, saturation ${run.saturationS ?? '—'} s, pairs known at end ${(100 * (run.frames.at(-1)?.discovered ?? 0)).toFixed(1)} %, visits max/mean ${spread(run).toFixed(1)}, hops ${run.frames.reduce((s, f) => s + f.hops, 0)}`)
  return {
    figures: [
      { file: 'policy-propagation.svg', title: 'Peer policy: propagation', svg: lineChart({ title: 'Towers reached, by peer policy', x: 'seconds', y: '% of towers', series: runs.map(({ policy, run }) => ({ name: policy, points: reached(run) })) }), caption: lines.join('; ') },
      { file: 'policy-discovery.svg', title: 'Peer policy: discovery', svg: lineChart({ title: 'Pairs known, by peer policy', x: 'seconds', y: '% of pairs', series: runs.map(({ policy, run }) => ({ name: policy, points: run.frames.map((f): [number, number] => [f.t, 100 * f.discovered]) })) }), caption: 'The same network, seed and load; only the choice among alive peers differs.' }
    ],
    lines
  }
}

/** How unevenly visits fall: the most visited tower against the mean. */
function spread (run: DynamicsResult): number {
  const visits = run.frames.at(-1)?.visits ?? new Uint32Array()
  const total = visits.reduce((s, v) => s + v, 0)
  return total === 0 ? 0 : Math.max(...visits) / (total / visits.length)
}

export interface CapacityPoint {
  engine: Engine
  latencyMs: number
  maxInFlight: number | undefined
  /** Network-wide rate the towers were set to: towers x sendrate x payload. */
  nominalBytesPerS: number
  /** Rate measured: hops per second x payload, averaged over the second half. */
  measuredBytesPerS: number
  /** Payload bytes not in any queue (held − queued), averaged over the second half. */
  inTransitBytes: number
  queuedBytes: number
  /** Bytes on the wire (frames, Acks and handshakes included) when the engine sees them, averaged over the second half. */
  wireBytes: number | undefined
}

/**
 * The spec's capacity claim: held = latency x rate + queues. Sweeps link
 * latency at a fixed load (and once with a one-message window per link) on
 * each engine — the simulator's latency, or real TLS towers whose links are
 * delayed by a DelayedTransport — measuring what is in transit against
 * latency x rate.
 */
export async function capacityStudy (base: DynamicsOptions, latencies: readonly number[], engines: readonly Engine[], progress: Progress): Promise<Study> {
  const points: CapacityPoint[] = []
  for (const engine of engines) {
    for (const maxInFlight of [undefined, 1]) {
      for (const latencyMs of latencies) {
        const towerOptions = maxInFlight === undefined ? base.towerOptions : { ...base.towerOptions, maxInFlight }
        const run = await runDynamics({ ...base, engine, latency: latencyMs, realLatency: latencyMs, towerOptions, onFrame: undefined })
        const steady = run.frames.slice(Math.floor(run.frames.length / 2))
        const mean = (f: (frame: (typeof steady)[number]) => number): number => steady.reduce((s, frame) => s + f(frame), 0) / Math.max(1, steady.length)
        const held = base.messages * base.payloadBytes
        const point: CapacityPoint = {
          engine,
          latencyMs,
          maxInFlight,
          nominalBytesPerS: run.layout.towers * base.sendrate * base.payloadBytes,
          measuredBytesPerS: mean(f => f.hops) * base.payloadBytes,
          inTransitBytes: mean(f => held - f.queuedBytes),
          queuedBytes: mean(f => f.queuedBytes),
          wireBytes: steady.every(f => f.wireBytes !== undefined) ? mean(f => f.wireBytes ?? 0) : undefined
        }
        points.push(point)
        progress(`capacity: ${capacityLine(point)}`)
      }
    }
  }
  // x is the formula's first term with the rate each run achieved: a point on the diagonal is the formula holding.
  const x = (p: CapacityPoint): number => (p.latencyMs / 1000) * p.measuredBytesPerS
  const held = base.messages * base.payloadBytes
  const of = (engine: Engine, windowed: boolean): CapacityPoint[] => points.filter(p => p.engine === engine && (p.maxInFlight !== undefined) === windowed)
  const xs = points.map(x).sort((a, b) => a - b)
  const svg = lineChart({
    title: 'Capacity: bytes in transit against latency × rate',
    x: 'latency × measured rate (bytes)',
    y: 'bytes',
    logX: true,
    logY: true,
    legend: 'bottom-right',
    series: [
      { name: 'spec: in transit = latency × rate', points: xs.map(v => [v, v]), dashed: true },
      ...engines.map(engine => ({ name: `in transit (${engine})`, points: of(engine, false).map((p): [number, number] => [x(p), p.inTransitBytes]), markers: true })),
      ...engines.map(engine => ({ name: `in transit, maxInFlight 1 (${engine})`, points: of(engine, true).map((p): [number, number] => [x(p), p.inTransitBytes]), markers: true })),
      ...engines.map(engine => ({ name: `in queues (${engine})`, points: of(engine, false).map((p): [number, number] => [x(p), Math.max(1, p.queuedBytes)]), markers: true })),
      { name: 'everything injected', points: [[xs[0] ?? 1, held], [xs.at(-1) ?? 1, held]], dashed: true }
    ]
  })
  const lines = points.map(capacityLine)
  return {
    figures: [{ file: 'capacity.svg', title: 'Capacity against the spec\'s formula', svg, caption: `${base.width * base.height} towers (${base.topology}), ${base.messages} messages of ${base.payloadBytes} B spread over the towers, sendrate ${base.sendrate}/s each, ${base.duration} s per point (${engines.join(' and ')}), means over the second half. ${lines.join('; ')}.` }],
    lines
  }
}

function capacityLine (p: CapacityPoint): string {
  const wire = p.wireBytes === undefined ? '' : `, on the wire ${Math.round(p.wireBytes)} B`
  return `${p.engine} L ${p.latencyMs} ms${p.maxInFlight === undefined ? '' : ' (window 1)'}: set ${p.nominalBytesPerS} B/s, measured ${Math.round(p.measuredBytesPerS)} B/s; in transit ${Math.round(p.inTransitBytes)} B vs L x rate ${Math.round((p.latencyMs / 1000) * p.measuredBytesPerS)} B (set: ${Math.round((p.latencyMs / 1000) * p.nominalBytesPerS)} B); queued ${Math.round(p.queuedBytes)} B${wire}`
}
