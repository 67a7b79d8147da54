/** The results file, the Markdown summary and the two SVG charts. */
import { int, num, ratio, size, us, median } from './format.js'
import { chart, type Panel, type Series } from './svg.js'
import type { Row, Settings } from '../scenarios/context.js'
import type { External } from '../scenarios/external.js'
import type { QueueMemoryResult, StartupResult } from '../scenarios/scale.js'
import type { SimulationRow } from '../scenarios/simulation.js'

export interface Machine {
  host: string
  cpuModel: string
  cores: number
  node: string
  platform: string
  totalMemoryGB: number
  /** 1/5/15-minute load averages when the run started and ended: above the core count, the machine was busy with other work. */
  loadavgStart: number[]
  loadavgEnd: number[]
}

export interface Results {
  version: 1
  date: string
  mode: 'quick' | 'full'
  machine: Machine
  library: { source: 'dist' | 'src', warning?: string }
  settings: Settings
  elapsedS: number
  rows: Row[]
  scale: { memory?: QueueMemoryResult | { error: string }, startup?: StartupResult | { error: string } }
  pacer?: External
  codec?: External
  simulation?: SimulationRow[]
  errors: string[]
}

/** Fills every Clacks row's ratios from the baselines of the same payload (and rate). */
export function computeRatios (rows: Row[]): void {
  const find = (scenario: Row['scenario'], payload: number, load?: number): Row | undefined =>
    rows.find(r => r.scenario === scenario && r.payload === payload && (load === undefined || r.load === load) && r.error === undefined)
  const div = (a: number | null | undefined, b: number | null | undefined): number | null =>
    a === null || a === undefined || b === null || b === undefined || b <= 0 ? null : Math.round(a / b * 1000) / 1000
  for (const row of rows) {
    if (row.system !== 'clacks') continue
    const proto = find('baseline-prototype', row.payload)
    if (row.ratioOf === 'hopsPerSec') {
      row.ratioToRawTls = div(row.hopsPerSec, find('baseline-raw-tls', row.payload)?.hopsPerSec)
      row.ratioToPrototype = div(row.hopsPerSec, proto?.hopsPerSec)
    } else if (row.ratioOf === 'p50us') {
      const raw = find('baseline-raw-tls-latency', row.payload, row.load)
      row.ratioToRawTls = div(row.p50us, raw?.p50us)
      row.ratioToPrototype = div(row.p50us, proto?.p50us)
      row.baselineLatency = {}
      if (raw?.p50us != null) row.baselineLatency.rawTls = { p50us: raw.p50us, p90us: raw.p90us ?? 0, p99us: raw.p99us ?? 0, maxus: raw.maxus ?? 0 }
      if (proto?.p50us != null) row.baselineLatency.prototype = { p50us: proto.p50us, p90us: proto.p90us ?? 0, p99us: proto.p99us ?? 0, maxus: proto.maxus ?? 0 }
    }
  }
}

const range = (r: Row): string => r.spread === undefined ? '' : ` (${int(r.spread.min)}–${int(r.spread.max)})`
const loop = (r: Row): string => r.loopDelayMs === undefined ? '–' : `${num(r.loopDelayMs.p99)} / ${num(r.loopDelayMs.max)} ms`
const fail = (r: Row): string => r.error === undefined ? '' : ` **failed: ${r.error.replace(/\|/g, '/')}**`

export function markdown (results: Results): string {
  const { rows, machine } = results
  const out: string[] = []
  const by = (scenario: Row['scenario']): Row[] => rows.filter(r => r.scenario === scenario)
  out.push(`# Clacks benchmark — ${results.date} on ${machine.host} (${results.mode})`)
  out.push('')
  out.push(`${machine.cpuModel} × ${machine.cores} cores, ${machine.totalMemoryGB} GB, Node ${machine.node}, ${machine.platform}. ` +
    `Load average ${machine.loadavgStart.map(v => v.toFixed(2)).join(' / ')} at the start, ${machine.loadavgEnd.map(v => v.toFixed(2)).join(' / ')} at the end ` +
    `(1/5/15 min; above ${machine.cores}, other work was competing for the cores and every figure here is low and noisy). ` +
    `Library: ${results.library.source}/. Run time ${int(results.elapsedS)} s.`)
  if (results.library.warning !== undefined) out.push(`\n> **Warning:** ${results.library.warning}`)
  if (results.errors.length > 0) out.push(`\n> **${results.errors.length} run(s) failed:** ${results.errors.join('; ')}`)
  out.push('')
  out.push(`Every rate is the **median** of ${results.settings.window.samples} intervals of ${results.settings.window.sampleMs} ms after a ` +
    `${results.settings.window.warmupMs} ms warm-up (the range of the intervals in brackets); hops/s = messages received per second by all towers together; ` +
    'MB/s = payload megabytes (10⁶ B) per second. **÷ raw TLS** and **÷ prototype** are Clacks divided by the baseline with the same payload: ' +
    'for throughput below 1 means slower than the baseline, for latency (p50) above 1 means slower.')

  // 1. Throughput
  const tput = by('throughput')
  out.push('\n## 1. Throughput (unlimited rate, messages circulating)\n')
  out.push('| payload | towers (processes) | hops/s | MB/s | ÷ raw TLS | ÷ prototype | CPU % per process | event-loop delay p99 / max |')
  out.push('|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of tput) {
    out.push(`| ${size(r.payload)} | ${r.towers} (${r.processes}) | ${int(r.hopsPerSec)}${range(r)}${fail(r)} | ${num(r.MBps)} | ${ratio(r.ratioToRawTls)} | ${ratio(r.ratioToPrototype)} | ` +
      `${r.cpuPct?.join(' + ') ?? '–'} | ${loop(r)} |`)
  }
  out.push('\n**Baselines** (two processes each):\n')
  out.push('| payload | raw TLS ring hops/s | raw TLS MB/s | prototype hops/s | prototype MB/s | prototype hop p50 / p99 | notes |')
  out.push('|---:|---:|---:|---:|---:|---:|---|')
  for (const payload of [...new Set([...by('baseline-raw-tls'), ...by('baseline-prototype')].map(r => r.payload))]) {
    const raw = by('baseline-raw-tls').find(r => r.payload === payload)
    const proto = by('baseline-prototype').find(r => r.payload === payload)
    out.push(`| ${size(payload)} | ${raw === undefined ? '–' : int(raw.hopsPerSec) + range(raw) + fail(raw)} | ${num(raw?.MBps)} | ` +
      `${proto === undefined ? '–' : int(proto.hopsPerSec) + range(proto) + fail(proto)} | ${num(proto?.MBps)} | ${us(proto?.p50us)} / ${us(proto?.p99us)} | ${proto?.note ?? ''} |`)
  }
  out.push(natsTable(rows))
  const ratios = tput.filter(r => r.towers === 2)
  if (ratios.length > 0) {
    out.push(`\nTwo towers, median over payloads: **${ratio(median(ratios.map(r => r.ratioToRawTls ?? NaN).filter(Number.isFinite)))} of the raw TLS ring**, ` +
      `**${ratio(median(ratios.map(r => r.ratioToPrototype ?? NaN).filter(Number.isFinite)))} the prototype**.`)
  }

  out.push(pairedTable(by('paired')))

  // 2. Latency
  const lat = by('latency')
  out.push('\n## 2. Hop latency (send → queued at the receiver), two towers\n')
  out.push('| payload | load | offered hops/s | achieved | p50 | p90 | p99 | max | raw TLS p50 / p99 at the same rate | ÷ raw TLS (p50) | ÷ prototype (p50) |')
  out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of lat) {
    const raw = r.baselineLatency?.rawTls
    out.push(`| ${size(r.payload)} | ${Math.round((r.load ?? 0) * 100)} % | ${int(r.targetHopsPerSec)} | ${int(r.hopsPerSec)}${fail(r)} | ${us(r.p50us)} | ${us(r.p90us)} | ${us(r.p99us)} | ${us(r.maxus)} | ` +
      `${raw === undefined ? '–' : `${us(raw.p50us)} / ${us(raw.p99us)}`} | ${ratio(r.ratioToRawTls)} | ${ratio(r.ratioToPrototype)} |`)
  }
  out.push('\nLoads are fractions of the two-tower throughput above, set with `sendrate` (half per tower). The raw TLS ring sends stamped frames at the same ' +
    'rate in 1 ms batches and records send → parsed. The prototype\'s latency is at its own maximum rate (1,000 messages/s per tower; it cannot reach these rates).')

  out.push(costSection(results))

  // 3. Pacer
  out.push('\n## 3. Pacer accuracy\n')
  const e2e = by('pacer-e2e')
  if (e2e.length > 0) {
    out.push('End to end, two towers over TLS (configured = both towers together; achieved = received per second):\n')
    out.push('| configured | achieved | error | payload | note |')
    out.push('|---:|---:|---:|---:|---|')
    for (const r of e2e) out.push(`| ${int(r.configured)} ${r.unit} | ${int(r.achieved)} ${r.unit}${fail(r)} | ${r.errorPct === undefined ? '–' : `${r.errorPct >= 0 ? '+' : ''}${r.errorPct} %`} | ${size(r.payload)} | ${r.note ?? ''} |`)
  }
  out.push(external('The pacer alone (bench/pacer.ts, no sockets)', results.pacer))

  // 4. Scale
  out.push('\n## 4. Scale\n')
  const peers = by('scale-peers')
  if (peers.length > 0) {
    out.push('| known peers | hops/s (1 KiB, 2 towers) | MB/s | ÷ raw TLS | ÷ prototype | time to try every peer once | messages returned | CPU % | event-loop delay p99 / max |')
    out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for (const r of peers) {
      out.push(`| ${int(r.knownPeers)} | ${int(r.hopsPerSec)}${range(r)}${fail(r)} | ${num(r.MBps)} | ${ratio(r.ratioToRawTls)} | ${ratio(r.ratioToPrototype)} | ` +
        `${int(r.settleMs)} ms${r.settled === false ? ' (not all)' : ''} | ${int(r.totals?.returned)} | ${r.cpuPct?.join(' + ') ?? '–'} | ${loop(r)} |`)
    }
    out.push('\nAll but one known peer are unreachable addresses (connections refused): they go lost after one try and are retried on their backoff, as dead towers in a real table would be.')
  }
  const m = results.scale.memory
  if (m !== undefined) {
    out.push('error' in m
      ? `\nMemory per queued message: **failed: ${m.error}**`
      : `\nMemory per queued message: **${int(m.bytesPerMessage)} B** with ${int(m.messages)} messages of ${m.payloadBytes} B queued ` +
        `(${int(m.overheadPerMessage)} B beyond the payload; RSS grew ${int(m.rssPerMessage)} B per message); enqueue() ran at ${int(m.enqueuePerSec)} messages/s.`)
  }
  const s = results.scale.startup
  if (s !== undefined) {
    out.push('error' in s
      ? `\nStart-up: **failed: ${s.error}**`
      : `\nStart-up of one tower in a fresh process: import ${num(s.importMs)} ms, init() ${num(s.initMs)} ms with a certificate, ` +
        `${num(s.initGeneratingCertMs)} ms generating one. Memory with one tower: RSS ${num(s.rssMB)} MB, heap ${num(s.heapUsedMB)} MB ` +
        `(+${num(s.rssDeltaMB)} MB RSS, +${num(s.heapDeltaMB)} MB heap for the library and the tower; the rest is Node and the bench worker).`)
  }

  // 6. The simulator
  if (results.simulation !== undefined && results.simulation.length > 0) {
    out.push('\n## 6. The simulator (clacks/sim)\n')
    out.push('| towers | simulated s | wall s | simulated hops per wall s | tower-seconds per wall s | heap per tower | peak RSS |')
    out.push('|---:|---:|---:|---:|---:|---:|---:|')
    for (const r of results.simulation) {
      out.push(r.error !== undefined
        ? `| ${int(r.towers)} | ${r.simulatedS} | **failed: ${r.error}** | | | | |`
        : `| ${int(r.towers)} | ${r.simulatedS} | ${num(r.wallS)} | ${int(r.hopsPerWallS)} | ${int(r.towerSecondsPerWallS)} | ${int(r.heapKiBPerTower)} KiB | ${int(r.peakRssMB)} MB |`)
    }
    out.push('\nReal towers on a virtual clock and an in-memory network, one message per tower per second, ten messages per tower, no faults (`clacks simulate`).')
  }

  // Tuning
  const sweep = by('tuning-window')
  if (sweep.length > 0) {
    const payloads = [...new Set(sweep.map(r => r.payload))]
    out.push('\n## Tuning: the in-flight window (two towers, unlimited rate)\n')
    out.push(`| maxInFlight | ${payloads.map(p => `hops/s at ${size(p)}`).join(' | ')} |`)
    out.push(`|---:|${payloads.map(() => '---:').join('|')}|`)
    for (const window of [...new Set(sweep.map(r => r.maxInFlight))]) {
      const cells = payloads.map(p => {
        const r = sweep.find(x => x.payload === p && x.maxInFlight === window)
        return r === undefined ? '–' : `${int(r.hopsPerSec)}${range(r)}${fail(r)}`
      })
      out.push(`| ${int(window)} | ${cells.join(' | ')} |`)
    }
    out.push('\nSmall messages need a deep window to keep the link busy across the acknowledgement\'s round trip; large ones meet the ' +
      '16 MiB byte window (maxInFlightBytes) first. The default is 1,024. On a shared machine, runs differ by more than windows above 512 do: ' +
      'compare a row with its neighbours in one run, and several runs before concluding.')
  }

  if (results.codec !== undefined) {
    out.push('\n## Codec (bench/codec.ts, no sockets)\n')
    out.push(external('', results.codec))
    out.push(codecAgainstTransport(results))
  }
  return out.join('\n') + '\n'
}

/** The cost rows: CPU per hop at fixed rates, and memory per queued message. */
function costSection (results: Results): string {
  const cost = results.rows.filter(r => r.scenario === 'cost')
  const m = results.scale.memory
  if (cost.length === 0 && m === undefined) return ''
  const out = ['\n## Cost\n']
  if (cost.length > 0) {
    out.push('CPU per hop at a fixed rate: both processes\' CPU time over the window (process.cpuUsage) ÷ the hops moved in it. Two towers are paced with ' +
      '`sendrate` (half each); the raw TLS ring sends stamped frames at the same rate in 1 ms batches.\n')
    out.push('| payload | rate (hops/s) | two towers: achieved | two towers: CPU µs per hop | CPU % per process | raw TLS ring: CPU µs per hop | ÷ raw TLS |')
    out.push('|---:|---:|---:|---:|---:|---:|---:|')
    for (const r of cost.filter(x => x.system === 'clacks')) {
      const raw = cost.find(x => x.system === 'raw-tls' && x.payload === r.payload && x.targetHopsPerSec === r.targetHopsPerSec && x.error === undefined)
      const rel = r.cpuUsPerHop === undefined || raw?.cpuUsPerHop === undefined ? '–' : ratio(r.cpuUsPerHop / raw.cpuUsPerHop)
      out.push(`| ${size(r.payload)} | ${int(r.targetHopsPerSec)} | ${int(r.hopsPerSec)}${fail(r)} | **${num(r.cpuUsPerHop)}** | ${r.cpuPct?.join(' + ') ?? '–'} | ${num(raw?.cpuUsPerHop)} | ${rel} |`)
    }
  }
  if (m !== undefined && !('error' in m)) {
    out.push(`\nMemory per queued message, one tower with ${int(m.messages)} messages of ${m.payloadBytes} B queued (after a full GC, growth ÷ messages): ` +
      `**heap ${int(m.heapPerMessage)} B**, external (Buffers) ${int(m.externalPerMessage)} B, **RSS ${int(m.rssPerMessage)} B**; ` +
      `heap + external less the payload: ${int(m.overheadPerMessage)} B.`)
  }
  return out.join('\n')
}

/** The NATS baseline beside the raw ring and two towers (scenario 1 and the paired median) of the same payload. */
function natsTable (rows: Row[]): string {
  const nats = rows.filter(r => r.scenario === 'baseline-nats')
  if (nats.length === 0) return ''
  const hops = (scenario: Row['scenario'], payload: number): number | null | undefined =>
    rows.find(r => r.scenario === scenario && r.payload === payload && (r.towers === 2 || r.system !== 'clacks') && r.error === undefined)?.hopsPerSec
  const div = (a: number | null | undefined, b: number | null | undefined): string => a == null || b == null || b <= 0 ? '–' : ratio(a / b)
  const out = [
    '\n**A peer baseline: NATS** (5c; `nats-server` from Debian, TLS, on 127.0.0.1; two Node clients in two processes with npm `nats` relay the ring through it, ' +
      'each publishing every message it receives to the other; a hop is a message delivered to a client; the CPU column is the clients\' only, the server\'s is not counted):\n',
    '| payload | NATS hops/s | MB/s | ÷ raw TLS ring | two towers ÷ NATS (scenario 1) | two towers ÷ NATS (paired median) | CPU % per client | note |',
    '|---:|---:|---:|---:|---:|---:|---:|---|'
  ]
  for (const r of nats) {
    out.push(`| ${size(r.payload)} | ${int(r.hopsPerSec)}${range(r)}${fail(r)} | ${num(r.MBps)} | ${div(r.hopsPerSec, hops('baseline-raw-tls', r.payload))} | ` +
      `${div(hops('throughput', r.payload), r.hopsPerSec)} | ${div(hops('paired', r.payload), r.hopsPerSec)} | ${r.cpuPct?.join(' + ') ?? '–'} | ${r.note ?? ''} |`)
  }
  return out.join('\n')
}

/** The issue's targets for two towers against the ring, by payload (the ratio of hops/s, which at one payload is the ratio of MB/s). */
const PAIRED_TARGETS = new Map([[64, 0.5], [1024, 0.7], [64 * 1024, 0.9]])

function pairedTable (rows: Row[]): string {
  if (rows.length === 0) return ''
  const out = [
    '\n**Two towers against the raw TLS ring, interleaved** (scenario 1b): for each payload, rounds of the ring and two towers back to back ' +
      '(which goes first alternates), a ratio per round, and their median, each side with the load it did best with (frames per side for the ring, ' +
      'messages queued per tower for Clacks: the notes in the JSON say which). Load on the machine drifts over minutes, so this ratio is steadier ' +
      'than scenario 1 ÷ 5a, measured minutes apart.\n',
    '| payload | two towers hops/s (median) | raw TLS hops/s (median) | ratio per round | **median ratio** | target |',
    '|---:|---:|---:|---|---:|---:|'
  ]
  for (const r of rows) {
    const pairs = r.pairs ?? []
    out.push(`| ${size(r.payload)} | ${int(r.hopsPerSec)}${fail(r)} | ${pairs.length === 0 ? '–' : int(median(pairs.map(p => p.rawTls)))} | ` +
      `${pairs.map(p => ratio(p.ratio)).join(', ') || '–'} | **${ratio(r.ratioToRawTls)}** | ${ratio(PAIRED_TARGETS.get(r.payload))} |`)
  }
  return out.join('\n')
}

interface CodecFigure { operation: string, payloadBytes: number, framesPerSecond: number }

/**
 * The codec's cost per frame beside what the raw TLS ring spent per frame in
 * the same run (both processes' CPU over the frames they moved): the protocol
 * should cost well under a tenth of the transport.
 */
function codecAgainstTransport (results: Results): string {
  const codec = (results.codec?.results ?? []) as CodecFigure[]
  const nsPerFrame = (operation: string, payload: number): number | undefined => {
    const rate = codec.find(c => c.operation === operation && c.payloadBytes === payload)?.framesPerSecond
    return rate === undefined || rate <= 0 ? undefined : 1e9 / rate
  }
  const lines: string[] = []
  for (const payload of [...new Set(codec.map(c => c.payloadBytes))]) {
    const encode = nsPerFrame('FrameBatch x64', payload)
    const decode = nsPerFrame('decode (read)', payload)
    const decodeRecord = nsPerFrame('decode (readRecord)', payload)
    const floor = nsPerFrame('floor (encode + decode)', payload)
    const ring = results.rows.find(r => r.scenario === 'baseline-raw-tls' && r.payload === payload && r.error === undefined)
    if (encode === undefined || decode === undefined || decodeRecord === undefined || ring?.cpuPct === undefined || ring.hopsPerSec === null || ring.hopsPerSec <= 0) continue
    const tlsNs = ring.cpuPct.reduce((a, b) => a + b, 0) / 100 / ring.hopsPerSec * 1e9
    const floorCells = floor === undefined ? '– | –' : `${int(floor)} | ${ratio(floor / tlsNs)}`
    lines.push(`| ${size(payload)} | ${int(encode)} | ${int(decode)} | ${int(decodeRecord)} | ${int(encode + decodeRecord)} | ${int(tlsNs)} | ${ratio((encode + decodeRecord) / tlsNs)} | ${floorCells} |`)
  }
  if (lines.length === 0) return '\n(The codec against the transport needs the baselines in the same run.)'
  return [
    '\n**The codec against the transport**: ns per Message frame to encode (FrameBatch) and to decode, as objects (read) and as a tower\'s receive path ' +
      'does (readRecord: every field decoded, the id and payload left where they lie for the queue to copy), beside the CPU the raw TLS ring spent per ' +
      'frame it moved in this run (both processes\' CPU ÷ frames/s). The codec is encode + readRecord. The floor is the least any JavaScript codec can do ' +
      'for the same frame (bench/lib/codec-floor.ts: varints and copies into a reused buffer, offsets back out, no checks; it writes the same bytes), ' +
      'encode and decode together; at 16 KiB and more it copies the payload, which FrameBatch does not.\n',
    '| payload | encode ns | decode (read) ns | decode (readRecord) ns | codec ns | raw TLS CPU ns per frame | codec ÷ TLS | floor ns | floor ÷ TLS |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...lines
  ].join('\n')
}

function external (title: string, e: External | undefined): string {
  const head = title === '' ? '' : `\n${title}:\n\n`
  if (e === undefined) return ''
  if (e.missing === true) return `${head}(not run: the file is not there)`
  if (e.error !== undefined) return `${head}**failed: ${e.error}**`
  return `${head}${e.table ?? ''}`
}

const BLUES = ['#08519c', '#3182bd', '#6baed6']
const LOAD_COLORS = ['#2ca02c', '#1f77b4', '#d62728']

/** Throughput against payload size, hops/s and MB/s, Clacks (per tower count) and the baselines. */
export function throughputChart (results: Results): string {
  const rows = results.rows.filter(r => r.error === undefined && r.hopsPerSec !== null && r.hopsPerSec > 0)
  const series = (field: 'hopsPerSec' | 'MBps'): Series[] => {
    const list: Series[] = []
    const towers = [...new Set(rows.filter(r => r.scenario === 'throughput').map(r => r.towers))].sort((a, b) => a - b)
    towers.forEach((t, i) => list.push({
      name: `Clacks, ${t} towers`, color: BLUES[i % BLUES.length] as string,
      points: rows.filter(r => r.scenario === 'throughput' && r.towers === t).map(r => [r.payload, r[field] ?? NaN])
    }))
    list.push({ name: 'raw TLS ring (the limit)', color: '#444', dashed: true, points: rows.filter(r => r.scenario === 'baseline-raw-tls').map(r => [r.payload, r[field] ?? NaN]) })
    list.push({ name: 'prototype clacks-p2p 0.3.3', color: '#e6550d', dashed: true, points: rows.filter(r => r.scenario === 'baseline-prototype').map(r => [r.payload, r[field] ?? NaN]) })
    return list
  }
  const payloads = [...new Set(results.rows.map(r => r.payload))].sort((a, b) => a - b)
  const x = { label: 'payload', log: true, ticks: payloads.map((p): [number, string] => [p, size(p)]) }
  const panels: Panel[] = [
    { title: 'Messages received per second (all towers)', x, y: { label: 'hops/s', log: true }, series: series('hopsPerSec') },
    { title: 'Payload throughput', x, y: { label: 'MB/s', log: true }, series: series('MBps') }
  ]
  return chart(`Clacks throughput vs payload — ${results.date}, ${results.machine.host} (${results.mode})`, panels, {
    columns: 2,
    panelHeight: 420,
    footnote: `${results.machine.cpuModel} × ${results.machine.cores}, Node ${results.machine.node}; medians; load average at start ${results.machine.loadavgStart[0]?.toFixed(2)}`
  })
}

/** -log10(1 - p): 90 % → 1, 99 % → 2 …; the maximum half a step past 99.99 %. */
const nines = (p: number): number => p >= 100 ? 4.5 : -Math.log10(1 - p / 100)

/** Hop latency percentile distributions, one panel per payload: Clacks at each load, raw TLS dashed. */
export function latencyChart (results: Results): string {
  const rows = results.rows.filter(r => r.distribution !== undefined && r.error === undefined)
  const payloads = [...new Set(rows.filter(r => r.scenario === 'latency').map(r => r.payload))].sort((a, b) => a - b)
  const ticks: Array<[number, string]> = [[0, 'min'], [nines(50), '50 %'], [1, '90 %'], [2, '99 %'], [3, '99.9 %'], [4, '99.99 %'], [4.5, 'max']]
  const panels: Panel[] = payloads.map(payload => {
    const series: Series[] = []
    const loads = [...new Set(rows.filter(r => r.scenario === 'latency' && r.payload === payload).map(r => r.load ?? 0))].sort((a, b) => a - b)
    loads.forEach((load, i) => {
      const color = LOAD_COLORS[i % LOAD_COLORS.length] as string
      for (const [scenario, name, dashed] of [['latency', 'Clacks', false], ['baseline-raw-tls-latency', 'raw TLS', true]] as const) {
        const r = rows.find(x => x.scenario === scenario && x.payload === payload && x.load === load)
        if (r?.distribution !== undefined) {
          series.push({ name: `${name} at ${Math.round(load * 100)} % (${int(r.targetHopsPerSec)} hops/s)`, color, dashed, points: r.distribution.map(([p, v]) => [nines(p), v]) })
        }
      }
    })
    const proto = rows.find(x => x.scenario === 'baseline-prototype' && x.payload === payload)
    if (proto?.distribution !== undefined) series.push({ name: 'prototype at its max rate', color: '#e6550d', dashed: true, points: proto.distribution.map(([p, v]) => [nines(p), v]) })
    const time = (v: number): string => v >= 1e6 ? `${v / 1e6} s` : v >= 1000 ? `${v / 1000} ms` : `${v} µs`
    return { title: `Hop latency, ${size(payload)} payload`, x: { label: 'percentile', ticks }, y: { label: 'latency (log)', log: true, format: time }, series }
  })
  return chart(`Clacks hop latency distribution — ${results.date}, ${results.machine.host} (${results.mode})`, panels, {
    columns: 2,
    panelHeight: 430,
    footnote: 'send → queued at the receiver, two towers in two processes; load = fraction of the measured two-tower throughput'
  })
}
