/** Small formatting shared by `start`'s status lines, `status` and the demo. */
import type { TowerStats } from '../index.js'

export interface Rates {
  /** Messages taken from peers per second. */
  in: number
  /** Messages peers acknowledged per second (custody passed on). */
  out: number
}

/**
 * Messages per second in and out, from the counters' change over the last
 * `windowMs` (so that frequent samples do not jitter).
 */
export class RateMeter {
  readonly #samples: Array<{ at: number, received: number, acked: number }> = []

  constructor (stats: Pick<TowerStats, 'received' | 'acked'>, now = Date.now(), readonly windowMs = 1000) {
    this.#samples.push({ at: now, received: stats.received, acked: stats.acked })
  }

  sample (stats: Pick<TowerStats, 'received' | 'acked'>, now = Date.now()): Rates {
    // Keep the newest sample at least windowMs old as the baseline.
    while (this.#samples.length > 1 && now - (this.#samples[1] as { at: number }).at >= this.windowMs) this.#samples.shift()
    const base = this.#samples[0] as { at: number, received: number, acked: number }
    this.#samples.push({ at: now, received: stats.received, acked: stats.acked })
    const seconds = Math.max((now - base.at) / 1000, 1e-3)
    return { in: (stats.received - base.received) / seconds, out: (stats.acked - base.acked) / seconds }
  }
}

export function formatRate (perSecond: number, unit: string): string {
  return Number.isFinite(perSecond) ? `${perSecond} ${unit}/s` : 'unlimited'
}

export function perSecond (value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1)
}

export function heldLine (stats: TowerStats, rates: Rates): string {
  const p = stats.peers
  return `held ${stats.queued + stats.inFlight} (queued ${stats.queued}, in flight ${stats.inFlight}) · ` +
    `peers alive ${p.alive}, new ${p.new}, lost ${p.lost}, dead ${p.dead} · in ${perSecond(rates.in)}/s, out ${perSecond(rates.out)}/s`
}

/** 1234 → "1.2 kB". */
export function bytes (n: number): string {
  if (n < 1000) return `${n} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let value = n
  let unit = 'B'
  for (const next of units) {
    if (value < 1000) break
    value /= 1000
    unit = next
  }
  return `${value.toFixed(value >= 100 ? 0 : 1)} ${unit}`
}

/** 3725 → "1h 2m 5s". */
export function duration (totalSeconds: number): string {
  const s = Math.floor(totalSeconds)
  const parts: string[] = []
  if (s >= 86400) parts.push(`${Math.floor(s / 86400)}d`)
  if (s >= 3600) parts.push(`${Math.floor(s / 3600) % 24}h`)
  if (s >= 60) parts.push(`${Math.floor(s / 60) % 60}m`)
  parts.push(`${s % 60}s`)
  return parts.join(' ')
}
