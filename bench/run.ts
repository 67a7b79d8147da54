/**
 * `npm run bench [-- --quick] [-- --only throughput,latency] [-- --out DIR]`
 *
 * The Clacks benchmark suite: real towers in real processes over real TLS on
 * loopback, beside two baselines measured in the same run (a raw node:tls
 * ring, the limit; and the npm prototype clacks-p2p@0.3.3). Progress goes to
 * stderr, a line per measurement; the results go to
 * bench/results/<date>-<host>.json (<date>-<host>-quick.json with --quick)
 * with a Markdown summary (also printed) and two SVG charts beside it. See bench/README.md for how to read them.
 *
 * Scenarios, in the order run: baselines (raw TLS, prototype), throughput,
 * paired (two towers and the ring interleaved, for the ratio), latency, cost (CPU per hop at a fixed rate), pacer, scale, tuning (the in-flight window sweep), codec,
 * simulation (clacks/sim's speed and memory per simulated tower). `--only` takes any of those names; the
 * ratios need the baselines, and latency needs the two-tower throughput
 * (measured here if throughput was not selected).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadClacks, librarySource, staleBuildWarning } from './lib/clacks.js'
import { killAllWorkers } from './lib/ipc.js'
import { computeRatios, latencyChart, markdown, throughputChart, type Results } from './lib/report.js'
import { RawTlsRing, rawTlsLatency, runPrototype, runRawTls } from './scenarios/baselines.js'
import { runLatency, runPacerEndToEnd, runScalePeers, runThroughput, runWindowSweep } from './scenarios/clacks.js'
import { Context, LOADS, PAYLOADS, settings, TOWER_COUNTS, TUNING_PAYLOADS, WINDOWS } from './scenarios/context.js'
import { runCost } from './scenarios/cost.js'
import { runExternal } from './scenarios/external.js'
import { runNats } from './scenarios/nats.js'
import { runPaired } from './scenarios/paired.js'
import { runQueueMemory, runStartup } from './scenarios/scale.js'
import { runSimulation } from './scenarios/simulation.js'

const SCENARIOS = ['baselines', 'throughput', 'paired', 'latency', 'cost', 'pacer', 'scale', 'tuning', 'codec', 'simulation'] as const
type Name = typeof SCENARIOS[number]

function parseArgs (argv: string[]): { quick: boolean, only: Set<Name>, out: string } {
  let quick = false
  let only = new Set<Name>(SCENARIOS)
  let out = fileURLToPath(new URL('./results/', import.meta.url))
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--quick') quick = true
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg.includes('=') ? arg.slice(7) : argv[++i] ?? ''
      const names = value.split(',').map(v => v.trim()).filter(v => v !== '')
      for (const name of names) if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`unknown scenario '${name}' (known: ${SCENARIOS.join(', ')})`)
      only = new Set(names as Name[])
    } else if (arg === '--out' || arg.startsWith('--out=')) {
      out = arg.includes('=') ? arg.slice(6) : argv[++i] ?? out
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write('npm run bench -- [--quick] [--only baselines,throughput,paired,latency,cost,pacer,scale,tuning,codec,simulation] [--out DIR]\n')
      process.exit(0)
    } else throw new Error(`unknown argument '${arg}' (try --help)`)
  }
  return { quick, only, out }
}

function localDate (d = new Date()): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

async function main (): Promise<number> {
  const args = parseArgs(process.argv.slice(2))
  const started = performance.now()
  const s = settings(args.quick)
  const host = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_')
  const results: Results = {
    version: 1,
    date: localDate(),
    mode: args.quick ? 'quick' : 'full',
    machine: {
      host,
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      cores: os.availableParallelism(),
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      totalMemoryGB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
      loadavgStart: os.loadavg().map(v => Math.round(v * 100) / 100),
      loadavgEnd: []
    },
    library: { source: librarySource() },
    settings: s,
    elapsedS: 0,
    rows: [],
    scale: {},
    errors: []
  }
  const warning = staleBuildWarning()
  if (warning !== undefined) results.library.warning = warning

  const clacks = await loadClacks()
  const { key, cert } = await clacks.generateCertificate({ hostname: '127.0.0.1' })
  const ctx = new Context(s, key, cert)
  ctx.progress(`Clacks bench (${results.mode}) on ${results.machine.cpuModel} × ${results.machine.cores}, Node ${process.version}, ` +
    `load average ${results.machine.loadavgStart.join(' ')}; library from ${results.library.source}/; scenarios: ${[...args.only].join(', ')}`)
  if (warning !== undefined) ctx.progress(`WARNING: ${warning}`)

  const want = (name: Name): boolean => args.only.has(name)
  let ring: RawTlsRing | undefined
  try {
    if (want('baselines') || want('latency') || want('paired') || want('cost')) ring = await RawTlsRing.start(ctx)
    if (want('baselines') && ring !== undefined) {
      ctx.progress('scenario 5a: the limit, a raw TLS ring')
      await runRawTls(ctx, ring, PAYLOADS)
      ctx.progress('scenario 5b: the prototype, clacks-p2p@0.3.3')
      await runPrototype(ctx, PAYLOADS)
      ctx.progress('scenario 5c: NATS (nats-server) relaying the ring over TLS')
      await runNats(ctx, PAYLOADS)
    }
    if (want('throughput')) {
      ctx.progress('scenario 1: throughput')
      await runThroughput(ctx, PAYLOADS, TOWER_COUNTS)
    }
    if (want('paired') && ring !== undefined) {
      ctx.progress('scenario 1b: two towers against the raw TLS ring, interleaved')
      await runPaired(ctx, ring, PAYLOADS)
    }
    if (want('latency') && ring !== undefined) {
      ctx.progress('scenario 2: hop latency')
      for (const payload of PAYLOADS) {
        const two = (): number | null | undefined => ctx.rows.find(r => r.scenario === 'throughput' && r.towers === 2 && r.payload === payload && r.error === undefined)?.hopsPerSec
        if (two() == null) await runThroughput(ctx, [payload], [2])
        const capacity = two()
        if (capacity == null || capacity <= 0) {
          ctx.failed(`latency ${payload} B`, new Error('no two-tower throughput to take the loads from'))
          continue
        }
        for (const load of LOADS) {
          await runLatency(ctx, payload, load, capacity)
          await rawTlsLatency(ctx, ring, payload, capacity * load, load)
        }
      }
    }
    if (want('cost')) {
      ctx.progress('cost: CPU per hop at a fixed rate')
      await runCost(ctx, ring)
    }
    if (want('pacer')) {
      ctx.progress('scenario 3: pacer accuracy')
      await runPacerEndToEnd(ctx)
      results.pacer = await runExternal(ctx, 'pacer')
    }
    if (want('scale')) {
      ctx.progress('scenario 4: scale')
      await runScalePeers(ctx, [10, 1_000, 10_000])
      results.scale.memory = await runQueueMemory(ctx)
      results.scale.startup = await runStartup(ctx)
    }
    if (want('tuning')) {
      ctx.progress('tuning: the in-flight window')
      await runWindowSweep(ctx, TUNING_PAYLOADS, WINDOWS)
    }
    if (want('codec')) results.codec = await runExternal(ctx, 'codec')
    if (want('simulation')) {
      ctx.progress('scenario 6: the simulator')
      results.simulation = await runSimulation(ctx, args.quick ? [{ towers: 200, seconds: 5 }] : [{ towers: 1_000, seconds: 30 }, { towers: 10_000, seconds: 10 }])
    }
  } catch (error) {
    ctx.failed('bench', error)
  } finally {
    await ring?.close().catch(() => undefined)
    await ctx.closeWorkers().catch(() => undefined)
    killAllWorkers()
  }

  results.rows = ctx.rows
  results.errors = ctx.errors
  results.machine.loadavgEnd = os.loadavg().map(v => Math.round(v * 100) / 100)
  results.elapsedS = Math.round((performance.now() - started) / 100) / 10
  computeRatios(results.rows)

  mkdirSync(args.out, { recursive: true })
  // Quick runs get their own name, so that one never overwrites the day's full run.
  const base = join(args.out, `${results.date}-${host}${args.quick ? '-quick' : ''}`)
  const summary = markdown(results)
  writeFileSync(`${base}.json`, JSON.stringify(results, null, 2) + '\n')
  writeFileSync(`${base}.md`, summary)
  writeFileSync(`${base}-throughput.svg`, throughputChart(results))
  writeFileSync(`${base}-latency.svg`, latencyChart(results))
  ctx.progress(`done in ${results.elapsedS} s: ${base}.json, .md, -throughput.svg, -latency.svg`)
  process.stdout.write('\n' + summary)
  return ctx.errors.length > 0 ? 1 : 0
}

main().then(code => { process.exitCode = code }, (error: unknown) => {
  killAllWorkers()
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exitCode = 1
})
