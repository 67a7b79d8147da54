/** Latency histograms (HDR, µs), shipped between processes as compressed base64. */
import * as hdr from 'hdr-histogram-js'

export type Histogram = hdr.Histogram

/** 1 µs to 60 s at 3 significant digits. */
export function newHistogram (): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 })
}

/** Records a latency, clamped into the trackable range (a stamp can never be in the future, but be safe). */
export function record (histogram: Histogram, us: number): void {
  histogram.recordValue(Math.min(60_000_000, Math.max(1, Math.round(us))))
}

export function encode (histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram)
}

/** Adds the encoded histograms together. */
export function merge (encoded: Array<string | undefined>): Histogram {
  const total = newHistogram()
  for (const e of encoded) if (e !== undefined && e !== '') total.add(hdr.decodeFromCompressedBase64(e))
  return total
}

/** Percentiles drawn in the latency chart. */
export const CHART_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100]

export interface LatencySummary {
  count: number
  p50us: number
  p90us: number
  p99us: number
  maxus: number
  meanus: number
  /** [percentile, µs] at CHART_PERCENTILES, for the chart. */
  distribution: Array<[number, number]>
}

export function summarize (histogram: Histogram): LatencySummary | undefined {
  if (histogram.totalCount === 0) return undefined
  return {
    count: histogram.totalCount,
    p50us: histogram.getValueAtPercentile(50),
    p90us: histogram.getValueAtPercentile(90),
    p99us: histogram.getValueAtPercentile(99),
    maxus: histogram.maxValue,
    meanus: Math.round(histogram.mean),
    distribution: CHART_PERCENTILES.map(p => [p, p === 100 ? histogram.maxValue : p === 0 ? histogram.minNonZeroValue : histogram.getValueAtPercentile(p)])
  }
}
