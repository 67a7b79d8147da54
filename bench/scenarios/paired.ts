/**
 * Two towers against the raw TLS ring, interleaved. Scenario 1 and the ring
 * (5a) run minutes apart, and the load on these shared 2-core machines
 * drifts over minutes (±15–30 % between runs of the same thing), so a ratio
 * of the two moves with it. Here each payload gets rounds of the ring and
 * two towers back to back, each round's ratio taken from its own pair (which
 * goes first alternates), and the median of those ratios is the figure: the
 * one the targets are about.
 *
 * Both sides run with the load they do best with, chosen the same way: the
 * ring with the frames per side 5a picked, the towers with the number of
 * messages circulating that did best when each of circulatingCandidates was
 * tried briefly (scenario 1 always queues 2,048 per tower, at most 32 MiB).
 */
import { int, median, ratio, size } from '../lib/format.js'
import { bestRingFrames, type RawTlsRing } from './baselines.js'
import { clacksRun } from './clacks.js'
import { bestOf, circulatingCandidates, emptyRow, probeWindow, triedNote, processesFor, type Context, type Row } from './context.js'

export async function runPaired (ctx: Context, ring: RawTlsRing, payloads: number[]): Promise<void> {
  const { pairRounds: rounds, pairWindow: window } = ctx.settings
  for (const payload of payloads) {
    const row = emptyRow('paired', 'clacks', payload, 2, processesFor(2))
    try {
      const frames = ctx.rows.find(r => r.scenario === 'baseline-raw-tls' && r.payload === payload)?.framesPerSide ??
        (await bestRingFrames(ctx, ring, payload)).frames
      const { queued, tried } = await bestCirculating(ctx, payload)
      const pairs: NonNullable<Row['pairs']> = []
      for (let round = 0; round < rounds; round++) {
        const runRing = async (): Promise<number> => (await ring.throughput(payload, frames, window)).hopsPerSec
        const runClacks = async (): Promise<number> => (await clacksRun(ctx, { towers: 2, payload, queued, window })).hopsPerSec
        const [rawTls, clacks] = round % 2 === 0
          ? [await runRing(), await runClacks()]
          : await runClacks().then(async c => [await runRing(), c])
        pairs.push({ rawTls: Math.round(rawTls), clacks: Math.round(clacks), ratio: rawTls > 0 ? Math.round(clacks / rawTls * 1000) / 1000 : NaN })
      }
      row.pairs = pairs
      row.hopsPerSec = Math.round(median(pairs.map(p => p.clacks)))
      row.MBps = Math.round(row.hopsPerSec * payload / 1e4) / 100
      row.ratioToRawTls = median(pairs.map(p => p.ratio).filter(Number.isFinite))
      row.note = `${rounds} rounds of ${window.samples} × ${window.sampleMs} ms after ${window.warmupMs} ms; the ring with ${frames} frames per side, ` +
        `the towers with ${queued} messages queued each, ${triedNote(tried)}`
      ctx.progress(`paired, ${size(payload)}: two towers ${int(row.hopsPerSec)} hops/s with ${queued} queued each, ring ${int(median(pairs.map(p => p.rawTls)))} ` +
        `with ${frames} frames per side; ratios ${pairs.map(p => ratio(p.ratio)).join(', ')}, median ${ratio(row.ratioToRawTls)}`)
    } catch (error) {
      row.error = ctx.failed(`paired ${size(payload)}`, error)
    }
    ctx.rows.push(row)
  }
}

/** Tries two towers briefly with each number of messages queued per tower in circulatingCandidates; the best, and what each did. */
async function bestCirculating (ctx: Context, payload: number): Promise<{ queued: number, tried: Array<[queued: number, hopsPerSec: number]> }> {
  const { best, tried } = await bestOf(circulatingCandidates(ctx.settings, payload), async queued => (await clacksRun(ctx, { towers: 2, payload, queued, window: probeWindow(ctx.settings) })).hopsPerSec)
  return { queued: best, tried }
}
