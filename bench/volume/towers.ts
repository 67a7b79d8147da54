/**
 * Towers in processes of their own for the volume runs, and the checks
 * every run ends with: nothing lost, nothing held twice.
 */
import { generateCertificate } from '../../src/net/certs.js'
import type { TowerOptions, TowerStats } from '../../src/index.js'
import { Worker } from '../lib/ipc.js'

export interface TowerProcess {
  readonly worker: Worker
  readonly hostname: string
  readonly port: number
}

export interface Sample {
  stats: TowerStats
  rss: number
  heapUsed: number
  peakRss: number
  peakHeap: number
}

let certificate: Promise<{ key: string, cert: string }> | undefined

export async function startTowerProcess (name: string, options: Partial<TowerOptions>, keepPrefix?: string): Promise<TowerProcess> {
  certificate ??= generateCertificate({ hostname: 'localhost' })
  const { key, cert } = await certificate
  const worker = await Worker.spawn('volume-tower', { name })
  const address = await worker.call<{ hostname: string, port: number }>('start', { key, cert, options: { port: 0, ...options }, keepPrefix })
  return { worker, ...address }
}

export function sample (tower: TowerProcess): Promise<Sample> {
  return tower.worker.call<Sample>('stats')
}

export const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** Polls until `check` holds, at most `ms`; false when it never did. */
export async function until (check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return true
    await sleep(100)
  }
  return false
}

/**
 * Pauses every tower, waits for nothing to be in flight, then counts each
 * enqueued id among the messages held: lost (held nowhere) and duplicated
 * (held more than once).
 */
export async function conservation (towers: TowerProcess[], enqueued: string[], prefix: string): Promise<{ lost: number, duplicated: number, settled: boolean }> {
  for (const tower of towers) await tower.worker.call('pause')
  const settled = await until(async () => {
    const samples = await Promise.all(towers.map(sample))
    return samples.every(s => s.stats.inFlight === 0)
  }, 30_000)
  const copies = new Map<string, number>()
  for (const tower of towers) {
    for (const id of await tower.worker.call<string[]>('held', { prefix })) copies.set(id, (copies.get(id) ?? 0) + 1)
  }
  let lost = 0
  let duplicated = 0
  for (const id of enqueued) {
    const count = copies.get(id) ?? 0
    if (count === 0) lost++
    else if (count > 1) duplicated += count - 1
  }
  return { lost, duplicated, settled }
}

/** The median of some numbers (0 for none). */
export function median (values: number[]): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

export const MiB = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1) + ' MiB'

/** `--name value` from argv, as a number, or the default. */
export function numberFlag (name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`)
  if (index === -1) return fallback
  const value = Number(process.argv[index + 1])
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} needs a number, got ${String(process.argv[index + 1])}`)
  return value
}
