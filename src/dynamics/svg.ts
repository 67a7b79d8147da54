/** A small SVG line-chart writer: axes with round ticks, lines or points, a legend. No browser, no dependencies. */

export interface Series {
  name: string
  points: ReadonlyArray<readonly [number, number]>
  /** Draw points instead of a line (measurements beside a model line). */
  markers?: boolean
  dashed?: boolean
}

export interface Chart {
  title: string
  x: string
  y: string
  series: readonly Series[]
  logX?: boolean
  logY?: boolean
  /** Where the legend goes: top left (default), or bottom right when the data fill the top left. */
  legend?: 'top-left' | 'bottom-right'
}

/** Width given to the legend when it sits at the right. */
const LEGEND_W = 240

const W = 640
const H = 360
const M = { left: 70, right: 20, top: 36, bottom: 48 }
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf', '#7f7f7f']

export function lineChart (chart: Chart): string {
  const all = chart.series.flatMap(s => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!(chart.logX ?? false) || x > 0) && (!(chart.logY ?? false) || y > 0))
  const xs = axis(all.map(p => p[0]), chart.logX ?? false)
  const ys = axis(all.map(p => p[1]), chart.logY ?? false)
  const px = (x: number): number => M.left + xs.scale(x) * (W - M.left - M.right)
  const py = (y: number): number => H - M.bottom - ys.scale(y) * (H - M.top - M.bottom)
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escape(chart.title)}</text>`,
    `<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="black"/>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="black"/>`
  ]
  for (const tick of xs.ticks) {
    const x = px(tick).toFixed(1)
    parts.push(`<line x1="${x}" y1="${H - M.bottom}" x2="${x}" y2="${H - M.bottom + 4}" stroke="black"/>`, `<text x="${x}" y="${H - M.bottom + 17}" text-anchor="middle">${format(tick)}</text>`)
  }
  for (const tick of ys.ticks) {
    const y = py(tick).toFixed(1)
    parts.push(`<line x1="${M.left - 4}" y1="${y}" x2="${W - M.right}" y2="${y}" stroke="#ddd"/>`, `<text x="${M.left - 7}" y="${y}" text-anchor="end" dominant-baseline="middle">${format(tick)}</text>`)
  }
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" text-anchor="middle">${escape(chart.x)}</text>`)
  parts.push(`<text x="16" y="${(M.top + H - M.bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(M.top + H - M.bottom) / 2})">${escape(chart.y)}</text>`)
  chart.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length] as string
    const points = series.points.filter(p => all.includes(p))
    if (series.markers === true) {
      for (const [x, y] of points) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="${colour}"/>`)
    } else if (points.length > 0) {
      const d = points.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')
      parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"${series.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`)
    }
    const right = chart.legend === 'bottom-right'
    const lx = right ? W - M.right - LEGEND_W : M.left + 12
    const ly = right ? H - M.bottom - 10 - (chart.series.length - 1 - i) * 16 : M.top + 6 + i * 16
    parts.push(`<rect x="${lx}" y="${ly - 5}" width="14" height="4" fill="${colour}"/>`, `<text x="${lx + 20}" y="${ly}" dominant-baseline="middle">${escape(series.name)}</text>`)
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}

interface Axis {
  scale: (v: number) => number
  ticks: number[]
}

function axis (values: readonly number[], log: boolean): Axis {
  if (log) {
    const lo = Math.floor(Math.log10(Math.min(...values, 10)))
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values, 10))))
    const ticks = Array.from({ length: hi - lo + 1 }, (_, k) => 10 ** (lo + k))
    return { scale: v => (Math.log10(v) - lo) / (hi - lo), ticks }
  }
  const lo = Math.min(0, ...values)
  const top = Math.max(...values, lo + 1e-9)
  const step = niceStep((top - lo) / 5)
  const hi = Math.ceil(top / step) * step
  const ticks: number[] = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + step / 2; v += step) ticks.push(Number(v.toPrecision(12)))
  return { scale: v => (v - lo) / (hi - lo || 1), ticks }
}

function niceStep (raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw))
  const m = raw / power
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power
}

function format (v: number): string {
  if (Math.abs(v) >= 1e6) return `${v / 1e6}M`
  if (Math.abs(v) >= 1e4) return `${v / 1e3}k`
  return String(Number(v.toPrecision(4)))
}

export function escape (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
