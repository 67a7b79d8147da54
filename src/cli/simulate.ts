/** `clacks simulate`: a network of real towers in the deterministic simulator (clacks/sim), with faults and the conservation oracle. */
import { writeFileSync } from 'node:fs'
import { Command, InvalidArgumentError } from 'commander'
import { ConservationViolation, Simulation, type FaultRates, type SimulationOptions, type SimulationSummary, type Topology } from '../sim/index.js'
import { integer, rate } from './args.js'
import { runtimeError } from './exit.js'
import { addFlags, readFlags, value } from './flags.js'

const TOPOLOGIES: readonly Topology[] = ['full', 'ring', 'grid', 'random']
const FAULTS: ReadonlyArray<keyof FaultRates> = ['crash', 'leave', 'join', 'reset', 'partition', 'ignore']

function topology (raw: string): Topology {
  if (!(TOPOLOGIES as readonly string[]).includes(raw)) throw new InvalidArgumentError(`must be one of ${TOPOLOGIES.join(', ')}`)
  return raw as Topology
}

/** "5" (fixed ms) or "1-20" (drawn uniformly per packet). */
export function latency (raw: string): number | [number, number] {
  const [low, high] = raw.split('-').map(Number)
  if (low === undefined || !Number.isFinite(low) || low < 0 || (high !== undefined && !(Number.isFinite(high) && high >= low))) {
    throw new InvalidArgumentError('must be milliseconds, or a range such as 1-20')
  }
  return high === undefined ? low : [low, high]
}

/** "crash=2,reset=30": events per simulated minute, network-wide. */
function faults (raw: string): Partial<FaultRates> {
  const rates: Partial<FaultRates> = {}
  for (const part of raw.split(',').filter(p => p !== '')) {
    const [name, count] = part.split('=')
    const perMinute = Number(count)
    if (!(FAULTS as readonly string[]).includes(name ?? '') || !Number.isFinite(perMinute) || perMinute < 0) {
      throw new InvalidArgumentError(`must be name=rate pairs, names from ${FAULTS.join(', ')}, rates per simulated minute`)
    }
    rates[name as keyof FaultRates] = perMinute
  }
  return rates
}

const FLAGS = {
  towers: value('--towers <n>', 'towers at the start (default: 50)', integer(2, 1_000_000)),
  messages: value('--messages <n>', 'messages injected during the first simulated second (default: 500)', integer(0, 100_000_000)),
  duration: value('--duration <s>', 'simulated seconds (default: 30)', integer(1, 1_000_000)),
  seed: value('--seed <n>', 'the seed: the same seed gives the same run (default: 1)', integer(0, 2 ** 31 - 1)),
  topology: value('--topology <name>', `who starts knowing whom: ${TOPOLOGIES.join(', ')} (default: random, 4 each)`, topology),
  latency: value('--latency <ms>', 'one-way latency in ms, or a range such as 1-20 (default: 5)', latency),
  faults: value('--faults <list>', `fault rates per simulated minute, e.g. crash=2,reset=30 (${FAULTS.join(', ')})`, faults),
  sendrate: value('--sendrate <n>', 'each tower\'s messages per second (default: 1, as the spec)', rate),
  checkEvery: value('--check-every <ms>', 'simulated ms between oracle checks (default: 1000)', integer(1, 3_600_000)),
  out: value('--out <file>', 'write the summary and the time series as JSON', (raw: string) => raw)
}

export function simulateCommand (): Command {
  const command = new Command('simulate')
    .summary('run a simulated network of real towers, with faults')
    .description('Runs real Tower code on a virtual clock and an in-memory network (clacks/sim): the same seed gives the same run.\n' +
      'An oracle checks after every simulated second and every fault that each message is held exactly once.')
  addFlags(command, FLAGS)
  return command.action(async () => {
    const flags = readFlags(command, FLAGS)
    const options: Partial<SimulationOptions> = {
      towers: flags.towers, messages: flags.messages, duration: flags.duration, seed: flags.seed, topology: flags.topology,
      latency: flags.latency, faults: flags.faults, checkEvery: flags.checkEvery,
      towerOptions: flags.sendrate === undefined ? {} : { sendrate: flags.sendrate }
    }
    for (const key of Object.keys(options) as Array<keyof typeof options>) if (options[key] === undefined) delete options[key]
    const simulation = new Simulation({
      ...options,
      onSample: sample => {
        if (process.stderr.isTTY) process.stderr.write(`\r${progressBar(sample.t / simulation.options.duration)} ${sample.t}/${simulation.options.duration} s, ${sample.towers} towers, ${sample.hops} hops/s `)
      }
    })
    let summary: SimulationSummary
    try {
      summary = await simulation.run()
    } catch (error) {
      if (error instanceof ConservationViolation) throw runtimeError(`conservation violated: ${error.message}`)
      throw error
    } finally {
      if (process.stderr.isTTY) process.stderr.write('\n')
    }
    if (flags.out !== undefined) writeFileSync(flags.out, JSON.stringify({ options: simulation.options, summary }, null, 2))
    console.log(formatSummary(summary, simulation.replayCommand))
  })
}

function progressBar (fraction: number): string {
  const width = 30
  const done = Math.round(Math.min(1, fraction) * width)
  return `[${'#'.repeat(done)}${'.'.repeat(width - done)}]`
}

export function formatSummary (s: SimulationSummary, replay: string): string {
  const perTower = s.heapBytesPerTower / 1024
  return [
    `seed ${s.seed}: ${s.events.toLocaleString('en')} events, trace ${s.digest}`,
    `hops ${s.hops.toLocaleString('en')} (${s.hopsPerTowerSecond.toFixed(2)} per tower-second), connections opened ${s.connections.toLocaleString('en')} (${(s.connections / Math.max(1, s.hops)).toFixed(2)} per hop)`,
    `messages ${s.injected}: conserved ${s.conserved}, lost with crashed towers ${s.lostByCrash}, left by departing towers ${s.lostByLeave}, held twice after a crash ${s.duplicatedAfterCrash}`,
    `faults: ${s.crashes} crashes, ${s.leaves} leaves, ${s.joins} joins, ${s.resets} resets, ${s.partitions} partitions, ${s.ignores} ignores`,
    `a newcomer known by half the network after ${s.halfKnownMs === undefined ? '—' : `${(s.halfKnownMs / 1000).toFixed(1)} s`}`,
    `holdings per tower: max ${s.holdingsMax}, Gini ${s.holdingsGini.toFixed(2)}; ${s.towersAtEnd} towers at the end`,
    `wall ${(s.wallMs / 1000).toFixed(1)} s, heap ${perTower.toFixed(0)} KiB per tower`,
    `replay: ${replay}`
  ].join('\n')
}
