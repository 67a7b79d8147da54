/**
 * The simulator against reality: the same small scenario (25 towers on a
 * ring, the same rate and load) on real TLS towers on loopback and in the
 * simulator. Hops per tower-second and the time until every tower knows
 * every other must agree within 20 % (medians of three runs each).
 */
import t from 'tap'
import type { Tower } from '../../src/index.js'
import { Simulation } from '../../src/sim/index.js'
import { startTower, waitFor } from '../helpers/towers.js'

const TOWERS = 25
const SENDRATE = 20
const MESSAGES = 10 * TOWERS
const RUN_MS = 5000
const LOOK_EVERY_MS = 50

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

async function realRun (): Promise<{ hopsPerTowerSecond: number, fullDiscoveryMs: number }> {
  const towers: Tower[] = []
  try {
    for (let i = 0; i < TOWERS; i++) towers.push(await startTower({ hostname: `127.0.0.${10 + i}`, sendrate: SENDRATE }))
    towers.forEach((tower, i) => {
      const next = towers[(i + 1) % TOWERS] as Tower
      tower.expand(next.hostname, next.port)
    })
    const started = Date.now()
    for (let i = 0; i < MESSAGES; i++) (towers[i % TOWERS] as Tower).enqueue(`message ${i}`)
    await waitFor(() => towers.every(tower => tower.survey().length >= TOWERS - 1), RUN_MS * 4, 'full discovery on real towers')
    const fullDiscoveryMs = Date.now() - started
    const ackedAt = (): number => towers.reduce((sum, tower) => sum + tower.stats().acked, 0)
    const from = ackedAt()
    const fromTime = Date.now()
    await new Promise(resolve => setTimeout(resolve, 2000))
    const hopsPerTowerSecond = (ackedAt() - from) / TOWERS / ((Date.now() - fromTime) / 1000)
    return { hopsPerTowerSecond, fullDiscoveryMs }
  } finally {
    await Promise.all(towers.map(tower => tower.close({ drain: false })))
  }
}

async function simulatedRun (seed: number): Promise<{ hopsPerTowerSecond: number, fullDiscoveryMs: number }> {
  const summary = await new Simulation({
    towers: TOWERS, messages: MESSAGES, duration: RUN_MS / 1000 + 3, seed, topology: 'ring', latency: 0.1, discoveryEvery: LOOK_EVERY_MS, towerOptions: { sendrate: SENDRATE }
  }).run()
  if (summary.fullDiscoveryMs === undefined) throw new Error(`seed ${seed}: discovery never completed`)
  // The same window as the real run's: from 1 s on, after the start-up.
  const steady = summary.series.slice(Math.ceil(summary.fullDiscoveryMs / 1000), -1)
  const hops = steady.reduce((sum, sample) => sum + sample.hops, 0)
  return { hopsPerTowerSecond: hops / TOWERS / Math.max(1, steady.length), fullDiscoveryMs: summary.fullDiscoveryMs }
}

t.test('25 towers on a ring: the simulator and real TLS towers agree within 20 %', { timeout: 120_000 }, async t => {
  const real = []
  for (let i = 0; i < 3; i++) real.push(await realRun())
  const sim = []
  for (const seed of [1, 2, 3]) sim.push(await simulatedRun(seed))
  const realHops = median(real.map(r => r.hopsPerTowerSecond))
  const simHops = median(sim.map(r => r.hopsPerTowerSecond))
  const realDiscovery = median(real.map(r => r.fullDiscoveryMs))
  const simDiscovery = median(sim.map(r => r.fullDiscoveryMs))
  t.ok(Math.abs(simHops - realHops) <= 0.2 * realHops, `hops per tower-second: real ${realHops.toFixed(1)}, simulated ${simHops.toFixed(1)}`)
  t.ok(Math.abs(simDiscovery - realDiscovery) <= 0.2 * realDiscovery, `time to full discovery: real ${realDiscovery} ms (${real.map(r => r.fullDiscoveryMs).join(', ')}), simulated ${simDiscovery} ms (${sim.map(r => r.fullDiscoveryMs).join(', ')})`)
})
