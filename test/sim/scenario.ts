import type { SimulationOptions } from '../../src/sim/index.js'

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
