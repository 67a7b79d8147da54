import t from 'tap'
import { Simulation, type SimulationOptions } from '../../src/sim/index.js'

/**
 * The small faulty scenario the seed sweep runs: 50 towers on a random
 * topology, crashes, graceful leaves, joins, connection resets,
 * partitions and ignores, all within six simulated seconds.
 */
export function faultyScenario (seed: number): Partial<SimulationOptions> {
  return {
    seed,
    towers: 50,
    messages: 200,
    duration: 6,
    topology: 'random',
    latency: [1, 20],
    faults: { crash: 20, leave: 10, join: 20, reset: 120, partition: 10, ignore: 20 },
    partitionSeconds: 2,
    towerOptions: { sendrate: 5, ackTimeout: 1000, handshakeTimeout: 1000, killtimeout: 10_000, backoffInitial: 50, backoffMax: 500, drainTimeout: 2000 }
  }
}

/** Runs `seeds` seeds from `first`, in order. */
export function seedRange (first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => first + i)
}

/**
 * Runs `count` seeds of the faulty scenario from `first`, each checked by
 * the conservation oracle: every message held exactly once, losses only with
 * crashed or departed towers. The sweep is split over several files so that
 * tap runs its parts in parallel.
 */
export function sweep (first: number, count: number): void {
  // The file's own bound, over tap's 120 s: a busy machine runs a seed in 0.3 to 1.5 s.
  t.setTimeout(600_000)
  t.test(`seeds ${first}-${first + count - 1}: every message held exactly once, losses only with crashed or departed towers`, { timeout: 600_000 }, async t => {
    const faults = { crashes: 0, leaves: 0, joins: 0, resets: 0, partitions: 0, ignores: 0, duplicatedAfterCrash: 0 }
    for (const seed of seedRange(first, count)) {
      try {
        const summary = await new Simulation(faultyScenario(seed)).run()
        for (const key of Object.keys(faults) as Array<keyof typeof faults>) faults[key] += summary[key]
        if (summary.conserved + summary.lostByCrash + summary.lostByLeave !== summary.injected) t.fail(`seed ${seed}: the ledger does not add up`)
      } catch (error) {
        t.fail(`seed ${seed}: ${(error as Error).message}`)
      }
    }
    t.pass(`${count} seeds conserved every message (${JSON.stringify(faults)})`)
    t.ok(faults.crashes > 0 && faults.leaves > 0 && faults.joins > 0 && faults.resets > 0 && faults.partitions > 0 && faults.ignores > 0, 'and every kind of fault happened')
  })
}
