/**
 * Scenario 6, the simulator: how fast clacks/sim runs real towers in
 * virtual time, and what a simulated tower costs in memory. Each size runs
 * `clacks simulate` in a fresh process (the CLI the user runs), without
 * faults, at the spec's default rate of one message per tower per second.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { int, num } from '../lib/format.js'
import type { Context } from './context.js'

export interface SimulationRow {
  towers: number
  messages: number
  simulatedS: number
  wallS: number
  events: number
  hops: number
  /** Simulated hand-offs per second of wall time. */
  hopsPerWallS: number
  /** Tower-seconds simulated per second of wall time. */
  towerSecondsPerWallS: number
  heapKiBPerTower: number
  peakRssMB: number
  error?: string
}

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

export async function runSimulation (ctx: Context, sizes: ReadonlyArray<{ towers: number, seconds: number }>): Promise<SimulationRow[]> {
  const rows: SimulationRow[] = []
  for (const { towers, seconds } of sizes) {
    const messages = towers * 10
    const dir = mkdtempSync(join(tmpdir(), 'clacks-sim-bench-'))
    try {
      const out = join(dir, 'summary.json')
      const started = performance.now()
      await simulate(['--towers', String(towers), '--messages', String(messages), '--duration', String(seconds), '--seed', '1', '--check-every', String(seconds * 1000), '--out', out])
      const wallS = (performance.now() - started) / 1000
      const { summary } = JSON.parse(readFileSync(out, 'utf8')) as { summary: { events: number, hops: number, heapBytesPerTower: number, peakRssMB: number, wallMs: number } }
      const peakRssMB = summary.peakRssMB
      const runS = summary.wallMs / 1000
      const row: SimulationRow = {
        towers, messages, simulatedS: seconds, wallS: Math.round(wallS * 10) / 10, events: summary.events, hops: summary.hops,
        hopsPerWallS: Math.round(summary.hops / runS), towerSecondsPerWallS: Math.round(towers * seconds / runS),
        heapKiBPerTower: Math.round(summary.heapBytesPerTower / 1024), peakRssMB
      }
      rows.push(row)
      ctx.progress(`simulation: ${int(towers)} towers × ${seconds} s simulated in ${num(wallS)} s: ${int(row.hopsPerWallS)} simulated hops per wall second, ` +
        `${int(row.towerSecondsPerWallS)} tower-seconds per wall second, ${int(row.heapKiBPerTower)} KiB heap per tower, peak RSS ${int(peakRssMB)} MB`)
    } catch (error) {
      rows.push({ towers, messages, simulatedS: seconds, wallS: 0, events: 0, hops: 0, hopsPerWallS: 0, towerSecondsPerWallS: 0, heapKiBPerTower: 0, peakRssMB: 0, error: ctx.failed(`simulation ${towers} towers`, error) })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return rows
}

/** Runs `clacks simulate` with these arguments in a fresh process. */
function simulate (args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--max-old-space-size=16384', CLI, 'simulate', ...args], { maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error !== null) reject(new Error(`clacks simulate failed: ${stderr.trim() || error.message}`))
      else resolve()
    })
  })
}
