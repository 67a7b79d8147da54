import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gifFrames, heatmapGif } from './heatmap.js'
import type { DynamicsResult } from './run.js'
import { escape, lineChart } from './svg.js'

/** A picture beyond the run's own (a study's chart), with a caption. */
export interface Figure {
  file: string
  title: string
  svg: string
  caption: string
}

/** The run's headline numbers, in the order shown. */
export function summaryRows (run: DynamicsResult): Array<[string, string]> {
  const o = run.options
  const last = run.frames.at(-1)
  const seconds = (ms: number | undefined): string => ms === undefined ? 'not reached' : `${(ms / 1000).toFixed(2)} s`
  const stall = run.longestStall
  return [
    ['network', `${run.layout.towers} towers, ${o.topology} ${o.width} x ${o.height}, engine ${o.engine}, peer policy ${o.towerOptions.peerPolicy ?? 'spec'}`],
    ['load', `${o.messages} message(s) of ${o.payloadBytes} B at the ${o.inject === 'corner' ? 'source corner' : 'towers in turn'}, sendrate ${o.sendrate}/s, ${o.engine === 'sim' ? `latency ${Array.isArray(o.latency) ? o.latency.join('–') : o.latency} ms one way` : o.realLatency > 0 ? `loopback TLS + ${o.realLatency} ms one way` : 'loopback TLS'}, ${o.duration} s`],
    ['far tower first reached', seconds(run.farReachedMs)],
    ['every tower reached', seconds(run.allReachedMs)],
    ['discovery saturated (every tower knows every other)', run.saturationS === undefined ? `not within ${o.duration} s (${pct(last?.discovered ?? 0)} of pairs known at the end)` : `${run.saturationS} s`],
    ['hops', `${run.frames.reduce((sum, f) => sum + f.hops, 0).toLocaleString('en')} (last second ${last?.hops ?? 0})`],
    ['peer statuses at the end', last === undefined ? '—' : `new ${last.statuses.new}, alive ${last.statuses.alive}, lost ${last.statuses.lost}, dead ${last.statuses.dead}`],
    ['longest wait of a message at one tower', stall === undefined ? 'none over 5 s' : `${(stall.waitedMs / 1000).toFixed(1)} s at tower ${stall.tower} from ${stall.since.toFixed(1)} s; its peers then: alive ${stall.peers.alive}, lost ${stall.peers.lost}, dead ${stall.peers.dead}, new ${stall.peers.new}; connections in ${stall.connections.inbound}, out ${stall.connections.outbound}`],
    ['wall time', `${(run.wallMs / 1000).toFixed(1)} s`]
  ]
}

export function terminalSummary (run: DynamicsResult, command: string): string {
  const rows = summaryRows(run)
  const width = Math.max(...rows.map(([k]) => k.length))
  return [...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`), `command: ${command}`].join('\n')
}

/** The run's own charts. */
export function runFigures (run: DynamicsResult): Figure[] {
  const frames = run.frames
  const n = run.layout.towers
  const reached = run.firstArrival.filter(ms => ms >= 0).sort((a, b) => a - b)
  const reachedPoints: Array<[number, number]> = [[0, 0], ...reached.map((ms, i): [number, number] => [ms / 1000, (100 * (i + 1)) / n])]
  const payload = run.options.payloadBytes
  const held = run.options.messages * payload
  // Latency the run knows: the simulator's, or the delay added to real links (plain loopback's is not measured).
  const latencyS = run.options.engine === 'sim' ? meanLatency(run.options.latency) / 1000 : run.options.realLatency > 0 ? run.options.realLatency / 1000 : undefined
  const bytesSeries = [
    { name: 'in queues (payload)', points: frames.map((f): [number, number] => [f.t, f.queuedBytes]) },
    { name: 'in transit: held − queued (payload)', points: frames.map((f): [number, number] => [f.t, held - f.queuedBytes]) },
    { name: 'sent, unacknowledged (payload)', points: frames.map((f): [number, number] => [f.t, f.inFlightBytes]), dashed: true }
  ]
  if (latencyS !== undefined) {
    bytesSeries.push({ name: 'spec: latency × rate (payload)', points: frames.map((f): [number, number] => [f.t, latencyS * f.hops * payload]), dashed: true })
    bytesSeries.push({ name: `on the wire, every byte (${run.options.engine})`, points: frames.map((f): [number, number] => [f.t, f.wireBytes ?? 0]) })
  }
  return [
    {
      file: 'propagation.svg',
      title: 'Propagation',
      svg: lineChart({ title: `Towers reached (far tower at ${run.farReachedMs === undefined ? 'never' : `${(run.farReachedMs / 1000).toFixed(2)} s`})`, x: 'seconds', y: '% of towers that have held a message', series: [{ name: 'reached', points: reachedPoints }] }),
      caption: 'Share of towers that have held a message at least once, against time since injection.'
    },
    {
      file: 'discovery.svg',
      title: 'Discovery',
      svg: lineChart({ title: 'Discovery: share of (tower, other tower) pairs known', x: 'seconds', y: '% of pairs', series: [{ name: 'known', points: frames.map(f => [f.t, 100 * f.discovered]) }] }),
      caption: 'Peer-table entries network-wide as a share of n × (n − 1): 100 % is discovery saturation.'
    },
    {
      file: 'statuses.svg',
      title: 'Peer statuses',
      svg: lineChart({
        title: 'Peer-table entries by status, network-wide',
        x: 'seconds',
        y: 'entries',
        series: (['new', 'alive', 'lost', 'dead'] as const).map(status => ({ name: status, points: frames.map((f): [number, number] => [f.t, f.statuses[status]]) }))
      }),
      caption: 'New peers are tried first; a failed hand-off makes a peer lost; killtimeout later, dead.'
    },
    {
      file: 'bytes.svg',
      title: 'Bytes held',
      svg: lineChart({ title: 'Bytes held: queues and in transit', x: 'seconds', y: 'bytes', series: bytesSeries }),
      caption: 'The spec: data held ≈ average latency × bytes sent per second (network-wide) + the queues. "In transit" is everything injected minus what sits in queues (no message is lost in these runs).'
    },
    {
      file: 'hops.svg',
      title: 'Hops per second',
      svg: lineChart({ title: 'Hand-offs acknowledged per second', x: 'seconds', y: 'hops/s', series: [{ name: 'hops', points: frames.map(f => [f.t, f.hops]) }] }),
      caption: 'Network-wide hops in each second.'
    }
  ]
}

export function meanLatency (latency: number | [number, number]): number {
  return Array.isArray(latency) ? (latency[0] + latency[1]) / 2 : latency
}

function pct (x: number): string {
  return `${(100 * x).toFixed(1)} %`
}

/**
 * Writes heatmap.gif, one SVG per figure, run.json (summary and series, no
 * per-tower frames) and a self-contained index.html into `dir`.
 */
export function writeReport (dir: string, run: DynamicsResult, command: string, extra: readonly Figure[] = []): string[] {
  mkdirSync(dir, { recursive: true })
  const gif = heatmapGif(run.layout, run.frames)
  writeFileSync(join(dir, 'heatmap.gif'), gif)
  const figures = [...runFigures(run), ...extra]
  for (const figure of figures) writeFileSync(join(dir, figure.file), figure.svg)
  const series = run.frames.map(({ visits: _v, known: _k, ...rest }) => rest)
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ command, options: { ...run.options, onFrame: undefined }, summary: Object.fromEntries(summaryRows(run)), farReachedMs: run.farReachedMs, allReachedMs: run.allReachedMs, saturationS: run.saturationS, longestStall: run.longestStall, series }, null, 1))
  writeFileSync(join(dir, 'index.html'), html(run, command, gif, figures))
  return ['heatmap.gif', ...figures.map(f => f.file), 'run.json', 'index.html']
}

function html (run: DynamicsResult, command: string, gif: Uint8Array, figures: readonly Figure[]): string {
  const rows = summaryRows(run).map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(v)}</td></tr>`).join('\n')
  const sections = figures.map(f => `<section><h2>${escape(f.title)}</h2>\n${f.svg}<p>${escape(f.caption)}</p></section>`).join('\n')
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Clacks network dynamics</title>
<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}th{text-align:left;padding-right:1em;vertical-align:top}code{background:#f4f4f4;padding:2px 4px}section{margin:2em 0}</style></head>
<body>
<h1>Clacks network dynamics</h1>
<p>Command: <code>${escape(command)}</code></p>
<table>
${rows}
</table>
<section><h2>Heat maps</h2>
<img alt="heat maps: visits per tower (left, log scale) and towers known per tower (right), over the run" src="data:image/gif;base64,${Buffer.from(gif).toString('base64')}">
<p>Left: visits per tower (log scale, bright = most visited; grey = never). Right: towers known per tower (bright = as many as the best-informed tower at the end; the discovery chart gives the absolute share). White outline: the source and the far tower. Frames at ${gifFrames(run.frames).map(f => f.t).join(', ')} s.</p></section>
${sections}
</body>
</html>
`
}
