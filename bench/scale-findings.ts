/**
 * `npm run scale-findings [-- --towers N] [-- --quick]`: the weakness scenarios
 * of docs/scale.md, run in the simulator with the spec's defaults (one message
 * per tower per second), results as JSON in bench/results/scale-findings-<towers>[-<only>].json.
 * Every run is checked by the conservation oracle.
 */
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { Simulation, type SimulationOptions, type SimulationSummary } from '../src/sim/index.js'

interface Finding { name: string, what: string, options: Partial<SimulationOptions>, summary?: Omit<SimulationSummary, 'series'> & { series?: unknown }, error?: string }

function scenarios (towers: number, quick: boolean): Finding[] {
  const scale = quick ? 0.1 : 1
  const minutes = (m: number): number => Math.max(10, Math.round(m * 60 * scale))
  const base: Partial<SimulationOptions> = { towers, messages: towers * 10, topology: 'random', latency: [5, 50], checkEvery: 10_000 }
  return [
    { name: 'baseline', what: 'no faults: how fast one message reaches every tower, how evenly holdings spread', options: { ...base, duration: minutes(20), trace: true } },
    { name: 'crash-30', what: '30 % of the towers crash at once after 1 minute', options: { ...base, duration: minutes(3), timeline: [{ at: minutes(1), fault: 'crash', fraction: 0.3 }] } },
    { name: 'partition-10min', what: 'the network split in two random halves for 10 minutes, then healed', options: { ...base, duration: minutes(13), timeline: [{ at: minutes(1), fault: 'partition', seconds: minutes(10) }] } },
    { name: 'churn-1pct', what: '1 % of the towers crash and as many join every minute, for an hour', options: { ...base, duration: minutes(60), faults: { crash: towers / 100, join: towers / 100 } } },
    { name: 'newcomer', what: 'one newcomer joins after 1 minute, announcing itself to 3 towers: when does half the network know it?', options: { ...base, duration: minutes(4), timeline: [{ at: minutes(1), fault: 'join' }] } }
  ]
}

async function main (): Promise<void> {
  const args = process.argv.slice(2)
  const quick = args.includes('--quick')
  const towersAt = args.indexOf('--towers')
  const towers = towersAt === -1 ? 1000 : Number(args[towersAt + 1])
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1]?.split(',') : undefined
  const findings = scenarios(towers, quick).filter(f => only === undefined || only.includes(f.name))
  const name = `scale-findings-${towers}${only === undefined ? '' : `-${only.join('+')}`}${quick ? '-quick' : ''}.json`
  const out = fileURLToPath(new URL(`./results/${name}`, import.meta.url))
  const write = (): void => writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), machine: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), loadavg: os.loadavg() }, towers, findings }, null, 1) + '\n')
  for (const finding of findings) {
    process.stderr.write(`${finding.name}: ${finding.what} (${towers} towers, ${finding.options.duration} s simulated)\n`)
    try {
      const { series, ...summary } = await new Simulation(finding.options).run()
      finding.summary = { ...summary, series: series.map(s => [s.t, s.towers, s.hops, s.queued, s.inFlight, s.held]) }
      process.stderr.write(`  ${JSON.stringify(summary)}\n`)
    } catch (error) {
      finding.error = (error as Error).message
      process.stderr.write(`  FAILED: ${finding.error}\n`)
    }
    // After each scenario: a long run stopped half-way keeps what it finished.
    write()
  }
  process.stderr.write(`written: ${out}\n`)
}

await main()
