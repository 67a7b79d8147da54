/** `clacks dynamics`: run a network, record how a message spreads and towers discover each other, and draw it (GIF, SVG, HTML). */
import { resolve } from 'node:path'
import { Command, InvalidArgumentError } from 'commander'
import { DYNAMICS_TOPOLOGIES, type DynamicsTopology } from '../dynamics/layout.js'
import { terminalSummary, writeReport, type Figure } from '../dynamics/report.js'
import { DEFAULT_DYNAMICS, runDynamics, type DynamicsOptions, type Engine } from '../dynamics/run.js'
import { capacityStudy, policyStudy, scaleStudy } from '../dynamics/studies.js'
import { PEER_POLICIES, type PeerPolicy } from '../tower/peer-table.js'
import { integer, rate } from './args.js'
import { usageError } from './exit.js'
import { addFlags, readFlags, value } from './flags.js'
import { latency } from './simulate.js'

const STUDIES = ['scale', 'capacity', 'policy'] as const
type StudyName = typeof STUDIES[number]

function oneOf<T extends string> (names: readonly T[]) {
  return (raw: string): T => {
    if (!(names as readonly string[]).includes(raw)) throw new InvalidArgumentError(`must be one of ${names.join(', ')}`)
    return raw as T
  }
}

function numbers (raw: string): number[] {
  const values = raw.split(',').map(Number)
  if (values.some(v => !Number.isFinite(v) || v < 0)) throw new InvalidArgumentError('must be a comma-separated list of numbers, e.g. 25,100,400')
  return values
}

function studies (raw: string): StudyName[] {
  return raw.split(',').map(oneOf(STUDIES))
}

const FLAGS = {
  width: value('--width <n>', 'grid columns (default: 20)', integer(1, 1000)),
  height: value('--height <n>', 'grid rows (default: 20)', integer(1, 1000)),
  topology: value('--topology <name>', `who starts knowing whom: ${DYNAMICS_TOPOLOGIES.join(', ')} (default: grid, 8 neighbours)`, oneOf<DynamicsTopology>(DYNAMICS_TOPOLOGIES)),
  messages: value('--messages <n>', 'messages injected at the start (default: 1)', integer(0, 10_000_000)),
  inject: value('--inject <where>', 'corner (all at the source, default) or spread (one per tower in turn)', oneOf(['corner', 'spread'] as const)),
  duration: value('--duration <s>', 'seconds recorded (default: 30)', integer(1, 3600)),
  latency: value('--latency <ms>', 'one-way link latency in ms: the simulator\'s (a range such as 1-20 too; default: 5), or added to every real link (default: 0)', latency),
  sendrate: value('--sendrate <n>', 'each tower\'s messages per second (default: 100)', rate),
  payload: value('--payload <bytes>', 'payload size (default: 64)', integer(1, 1024 * 1024)),
  engine: value('--engine <name>', 'real (TLS towers on 127.0.x.y in this process) or sim (the simulator; default)', oneOf<Engine>(['real', 'sim'])),
  handshakeTimeout: value('--handshake-timeout <ms>', 'each tower\'s handshakeTimeout (default: 10000); short ones make start-up dials fail, as under load', integer(1, 3_600_000)),
  policy: value('--policy <name>', `peer policy for alive peers: ${PEER_POLICIES.join(', ')} (default: spec)`, oneOf<PeerPolicy>(PEER_POLICIES)),
  seed: value('--seed <n>', 'seed for the simulator and the random topology (default: 1)', integer(0, 2 ** 31 - 1)),
  study: value('--study <list>', `extra studies: ${STUDIES.join(', ')} (comma-separated)`, studies),
  sizes: value('--sizes <list>', 'tower counts for the scale study (default: 25,100,400,1024,10000)', numbers),
  realMax: value('--real-max <n>', 'largest network the scale study runs with real towers (default: 400)', integer(0, 100_000)),
  latencies: value('--latencies <list>', 'link latencies in ms for the capacity study (default: 5,20,50,100,200,500,1000,2000; with --engine real: 5,20,50,100,200,500,1000)', numbers),
  out: value('--out <dir>', 'folder for index.html, heatmap.gif, the SVG charts and run.json (default: dynamics-report)', (raw: string) => raw)
}

export function dynamicsCommand (): Command {
  const command = new Command('dynamics')
    .summary('watch a network: heat maps, discovery and propagation curves, bytes held')
    .description('Runs a network (real towers over TLS on loopback, or the simulator) with messages injected at a corner, records visits and\n' +
      'peers known per tower each second, and writes an animated heat map, SVG charts and one self-contained index.html.')
  addFlags(command, FLAGS)
  return command.action(async () => {
    const flags = readFlags(command, FLAGS)
    if (flags.engine === 'real' && Array.isArray(flags.latency)) throw usageError('a latency range needs --engine sim: real links take one fixed delay')
    const options: DynamicsOptions = {
      ...DEFAULT_DYNAMICS,
      ...defined({
        engine: flags.engine, topology: flags.topology, width: flags.width, height: flags.height, messages: flags.messages, inject: flags.inject,
        duration: flags.duration, latency: flags.latency, sendrate: flags.sendrate, payloadBytes: flags.payload, seed: flags.seed,
        realLatency: flags.engine === 'real' && typeof flags.latency === 'number' ? flags.latency : undefined
      }),
      towerOptions: defined({ peerPolicy: flags.policy, handshakeTimeout: flags.handshakeTimeout })
    }
    const commandLine = `clacks ${process.argv.slice(2).join(' ')}`
    const progress = (line: string): void => { process.stderr.write(`${line}\n`) }
    const run = await runDynamics({
      ...options,
      onFrame: frame => { if (process.stderr.isTTY) process.stderr.write(`\r${frame.t} / ${options.duration} s, ${frame.hops} hops/s, ${(100 * frame.discovered).toFixed(1)} % pairs known `) }
    })
    if (process.stderr.isTTY) process.stderr.write('\n')
    const figures: Figure[] = []
    const lines: string[] = []
    for (const study of flags.study ?? []) {
      const result = study === 'scale'
        ? await scaleStudy(options, flags.sizes ?? [25, 100, 400, 1024, 10_000], flags.realMax ?? 400, progress)
        : study === 'policy'
          ? await policyStudy(options, PEER_POLICIES, progress)
          : options.engine === 'real'
            // Real towers beside the simulator on the same 25-tower network: 20 s of wall time per point.
            ? await capacityStudy({ ...options, topology: 'random', width: 5, height: 5, messages: 500, inject: 'spread', sendrate: 10, duration: 20 }, flags.latencies ?? [5, 20, 50, 100, 200, 500, 1000], ['sim', 'real'], progress)
            : await capacityStudy({ ...options, topology: 'random', width: 10, height: 10, messages: 2000, inject: 'spread', sendrate: 10, duration: 20 }, flags.latencies ?? [5, 20, 50, 100, 200, 500, 1000, 2000], ['sim'], progress)
      figures.push(...result.figures)
      lines.push(...result.lines)
    }
    const out = resolve(flags.out ?? 'dynamics-report')
    const files = writeReport(out, run, commandLine, figures)
    console.log(terminalSummary(run, commandLine))
    for (const line of lines) console.log(line)
    console.log(`report: ${out}/index.html (${files.length} files)`)
  })
}

function defined<T extends object> (values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>
}
