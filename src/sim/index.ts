/**
 * clacks/sim: real Towers in a deterministic discrete-event simulation — a
 * virtual clock, an in-memory network with latency, bandwidth, resets,
 * partitions and crashes, and a conservation oracle.
 */
export { Simulation, type FaultRates, type Sample, type SimulationOptions, type SimulationSummary, type TimelineEvent, type Topology } from './simulation.js'
export { SimNetwork, type Latency, type NetworkOptions } from './network.js'
export { ProcessClock } from './process-clock.js'
export { ConservationViolation, Ledger, gini } from './oracle.js'
export { seededRandom } from './random.js'
export { FakeClock } from '../tower/clock.js'
