/**
 * What a hop costs at a fixed rate: two towers paced to 10,000 and 100,000
 * hops/s (half each), and the raw TLS ring sending at the same rate; CPU µs
 * per hop = both processes' CPU time over the window (process.cpuUsage) ÷ the
 * hops moved in it. At a fixed rate this is what a deployment pays in cores,
 * where throughput runs only show how much one core can do.
 */
import { int, num, size } from '../lib/format.js'
import type { RawTlsRing } from './baselines.js'
import { clacksRun } from './clacks.js'
import { emptyRow, fill, perTower, processesFor, type Combined, type Context, type Row } from './context.js'

export const COST_RATES = [10_000, 100_000]
export const COST_PAYLOADS = [64, 1024]

function cpuUsPerHop (c: Pick<Combined, 'cpuPct' | 'hopsPerSec'>): number | undefined {
  if (c.hopsPerSec <= 0) return undefined
  return Math.round(c.cpuPct.reduce((a, b) => a + b, 0) / 100 / c.hopsPerSec * 1e6 * 100) / 100
}

export async function runCost (ctx: Context, ring: RawTlsRing | undefined): Promise<void> {
  // --quick checks that the rows are made, with one payload.
  for (const payload of ctx.settings.quick ? COST_PAYLOADS.slice(1) : COST_PAYLOADS) {
    for (const rate of COST_RATES) {
      const row = emptyRow('cost', 'clacks', payload, 2, processesFor(2))
      row.targetHopsPerSec = rate
      try {
        const c = await clacksRun(ctx, { towers: 2, payload, queued: perTower(ctx.settings, payload), window: ctx.settings.latencyWindow, options: { sendrate: rate / 2 } })
        fill(row, c)
        row.cpuUsPerHop = cpuUsPerHop(c)
        row.note = `sendrate ${int(rate / 2)} per tower`
        ctx.progress(`cost, two towers, ${size(payload)} at ${int(rate)} hops/s (achieved ${int(row.hopsPerSec)}): ${num(row.cpuUsPerHop)} µs CPU per hop (CPU ${row.cpuPct?.join(' + ')} %)`)
      } catch (error) {
        row.error = ctx.failed(`cost ${size(payload)} at ${int(rate)}/s`, error)
      }
      ctx.rows.push(row)
      if (ring !== undefined) ctx.rows.push(await ringCost(ctx, ring, payload, rate))
    }
  }
}

async function ringCost (ctx: Context, ring: RawTlsRing, payload: number, rate: number): Promise<Row> {
  const row = emptyRow('cost', 'raw-tls', payload, 2, 2)
  row.targetHopsPerSec = rate
  try {
    const c = await ring.latency(payload, rate, ctx.settings.latencyWindow)
    fill(row, c)
    row.cpuUsPerHop = cpuUsPerHop(c)
    row.note = 'paced frames in 1 ms batches, stamped and timed (the latency mode)'
    ctx.progress(`cost, raw TLS ring, ${size(payload)} at ${int(rate)} hops/s (achieved ${int(row.hopsPerSec)}): ${num(row.cpuUsPerHop)} µs CPU per hop`)
  } catch (error) {
    row.error = ctx.failed(`cost raw TLS ${size(payload)} at ${int(rate)}/s`, error)
  }
  return row
}
