/**
 * Hand-written SVG line charts (no chart package): a panel is a titled plot
 * with linear or log axes and any number of series; a chart is panels in a grid.
 */

export interface Series {
  name: string
  color: string
  dashed?: boolean
  points: Array<[x: number, y: number]>
}

export interface Axis {
  label: string
  log?: boolean
  /** Fixed ticks (value, label); else decades (log) or five even steps (linear). */
  ticks?: Array<[value: number, label: string]>
  format?: (value: number) => string
}

export interface Panel {
  title: string
  x: Axis
  y: Axis
  series: Series[]
}

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const fixed = (v: number): string => v.toFixed(1)

function compact (value: number): string {
  const abs = Math.abs(value)
  if (abs >= 1e9) return `${+(value / 1e9).toPrecision(3)}G`
  if (abs >= 1e6) return `${+(value / 1e6).toPrecision(3)}M`
  if (abs >= 1e3) return `${+(value / 1e3).toPrecision(3)}k`
  return `${+value.toPrecision(3)}`
}

function range (values: number[], log: boolean): [number, number] {
  const usable = values.filter(v => Number.isFinite(v) && (!log || v > 0))
  if (usable.length === 0) return log ? [1, 10] : [0, 1]
  let lo = Math.min(...usable)
  let hi = Math.max(...usable)
  if (log) {
    lo = 10 ** Math.floor(Math.log10(lo))
    hi = 10 ** Math.ceil(Math.log10(hi))
    if (lo === hi) hi = lo * 10
  } else {
    lo = Math.min(0, lo)
    if (hi === lo) hi = lo + 1
    hi *= 1.05
  }
  return [lo, hi]
}

function autoTicks (axis: Axis, lo: number, hi: number): Array<[number, string]> {
  if (axis.ticks !== undefined) return axis.ticks
  const format = axis.format ?? compact
  const ticks: Array<[number, string]> = []
  if (axis.log === true) {
    const decades = Math.round(Math.log10(hi / lo))
    for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) {
      const base = 10 ** Math.round(e)
      ticks.push([base, format(base)])
      if (decades <= 2 && base * 10 <= hi * 1.0001) for (const m of [2, 5]) ticks.push([base * m, format(base * m)])
    }
    return ticks
  }
  for (let i = 0; i <= 5; i++) {
    const v = lo + (hi - lo) * i / 5
    ticks.push([v, format(v)])
  }
  return ticks
}

/** One panel drawn into the box (x, y, w, h). */
function drawPanel (panel: Panel, x: number, y: number, w: number, h: number): string {
  // The legend goes under the plot, in two columns.
  const legendRows = Math.ceil(panel.series.filter(s => s.points.length > 0).length / 2)
  const m = { left: 64, right: 28, top: 28, bottom: 48 + legendRows * 15 }
  const pw = w - m.left - m.right
  const ph = h - m.top - m.bottom
  const xs = panel.series.flatMap(s => s.points.map(p => p[0])).concat((panel.x.ticks ?? []).map(t => t[0]))
  const ys = panel.series.flatMap(s => s.points.map(p => p[1]))
  const [x0, x1] = panel.x.ticks !== undefined
    ? [Math.min(...xs), Math.max(...xs)]
    : range(xs, panel.x.log === true)
  const [y0, y1] = range(ys, panel.y.log === true)
  const sx = (v: number): number => x + m.left + pw * (panel.x.log === true ? Math.log(v / x0) / Math.log(x1 / x0) : (v - x0) / (x1 - x0 || 1))
  const sy = (v: number): number => y + m.top + ph * (1 - (panel.y.log === true ? Math.log(v / y0) / Math.log(y1 / y0) : (v - y0) / (y1 - y0 || 1)))
  const out: string[] = []
  out.push(`<text x="${fixed(x + w / 2)}" y="${fixed(y + 18)}" text-anchor="middle" font-size="14" font-weight="bold">${escape(panel.title)}</text>`)
  out.push(`<rect x="${fixed(x + m.left)}" y="${fixed(y + m.top)}" width="${fixed(pw)}" height="${fixed(ph)}" fill="none" stroke="#999"/>`)
  for (const [v, label] of autoTicks(panel.y, y0, y1)) {
    if (v < y0 || v > y1) continue
    out.push(`<line x1="${fixed(x + m.left)}" x2="${fixed(x + m.left + pw)}" y1="${fixed(sy(v))}" y2="${fixed(sy(v))}" stroke="#e4e4e4"/>`)
    out.push(`<text x="${fixed(x + m.left - 6)}" y="${fixed(sy(v) + 4)}" text-anchor="end" font-size="11">${escape(label)}</text>`)
  }
  for (const [v, label] of autoTicks(panel.x, x0, x1)) {
    if (v < x0 || v > x1) continue
    out.push(`<line y1="${fixed(y + m.top)}" y2="${fixed(y + m.top + ph)}" x1="${fixed(sx(v))}" x2="${fixed(sx(v))}" stroke="#e4e4e4"/>`)
    out.push(`<text x="${fixed(sx(v))}" y="${fixed(y + m.top + ph + 16)}" text-anchor="middle" font-size="11">${escape(label)}</text>`)
  }
  out.push(`<text x="${fixed(x + m.left + pw / 2)}" y="${fixed(y + m.top + ph + 34)}" text-anchor="middle" font-size="12">${escape(panel.x.label)}</text>`)
  out.push(`<text transform="translate(${fixed(x + 14)} ${fixed(y + m.top + ph / 2)}) rotate(-90)" text-anchor="middle" font-size="12">${escape(panel.y.label)}</text>`)
  let legendIndex = 0
  for (const s of panel.series) {
    const points = s.points.filter(p => Number.isFinite(p[0]) && Number.isFinite(p[1]) && (panel.y.log !== true || p[1] > 0))
    if (points.length === 0) continue
    const dash = s.dashed === true ? ' stroke-dasharray="6 4"' : ''
    const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${fixed(sx(p[0]))},${fixed(sy(p[1]))}`).join(' ')
    out.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`)
    for (const p of points) out.push(`<circle cx="${fixed(sx(p[0]))}" cy="${fixed(sy(p[1]))}" r="3" fill="${s.color}"/>`)
    const lx = x + m.left + (legendIndex % 2) * (pw / 2)
    const ly = y + m.top + ph + 54 + Math.floor(legendIndex / 2) * 15
    out.push(`<line x1="${fixed(lx)}" x2="${fixed(lx + 22)}" y1="${fixed(ly - 4)}" y2="${fixed(ly - 4)}" stroke="${s.color}" stroke-width="2"${dash}/>`)
    out.push(`<text x="${fixed(lx + 26)}" y="${fixed(ly)}" font-size="11">${escape(s.name)}</text>`)
    legendIndex++
  }
  return `<g>${out.join('\n')}</g>`
}

/** Panels in a grid of `columns`, each `panelWidth` × `panelHeight`, under a title and over a footnote. */
export function chart (title: string, panels: Panel[], options: { columns: number, panelWidth?: number, panelHeight?: number, footnote?: string }): string {
  const pw = options.panelWidth ?? 520
  const ph = options.panelHeight ?? 360
  const columns = Math.max(1, options.columns)
  const rows = Math.ceil(panels.length / columns)
  const top = 34
  const bottom = options.footnote === undefined ? 8 : 26
  const width = pw * columns
  const height = top + ph * rows + bottom
  const body = panels.map((panel, i) => drawPanel(panel, (i % columns) * pw, top + Math.floor(i / columns) * ph, pw, ph))
  const foot = options.footnote === undefined ? '' : `<text x="8" y="${height - 9}" font-size="11" fill="#555">${escape(options.footnote)}</text>`
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">${escape(title)}</text>
${body.join('\n')}
${foot}
</svg>
`
}
