/**
 * `npm run profile [-- --payload 1024] [-- --seconds 10] [-- --tool cpu,flame,doctor] [-- --quick]`
 *
 * The two-tower throughput scenario with one tower under a profiler: a peer
 * tower runs in a bench worker, the profiled tower in a process of its own
 * (bench/workers/solo.ts), messages circulating between them at unlimited rate.
 *
 * - cpu: the V8 profiler over the measured seconds (after start-up and a warm-up),
 *   summarised here as text (top functions and files by self time);
 * - flame: `clinic flame` (a flame graph, HTML);
 * - doctor: `clinic doctor` (event-loop delay, CPU, memory, handles, HTML).
 *
 * Everything goes to bench/results/profile/<date>-<host>/ (not committed); the
 * paths are printed at the end.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadClacks } from './lib/clacks.js'
import { WORKER_ENV, workerCommand } from './lib/workers.js'
import { profileMarkdown, summarizeProfile } from './lib/cpuprofile.js'
import { killAllWorkers, Worker } from './lib/ipc.js'

const TOOLS = ['cpu', 'flame', 'doctor'] as const
type Tool = typeof TOOLS[number]

const here = fileURLToPath(new URL('.', import.meta.url))
const repo = fileURLToPath(new URL('..', import.meta.url))

function option (name: string, fallback: string): string {
  const i = process.argv.findIndex(a => a === `--${name}` || a.startsWith(`--${name}=`))
  if (i < 0) return fallback
  const a = process.argv[i] as string
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : process.argv[i + 1] ?? fallback
}

function log (line: string): void {
  process.stderr.write(`[profile] ${line}\n`)
}

/** Runs a command to its end (killed after `timeoutMs`); resolves with its output. */
function run (command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null, output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const collect = (chunk: Buffer): void => {
      output += chunk.toString()
      process.stderr.write(chunk)
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', code => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

async function main (): Promise<number> {
  const quick = process.argv.includes('--quick')
  const payload = Number(option('payload', '1024'))
  const seconds = Number(option('seconds', quick ? '3' : '10'))
  const tools = option('tool', TOOLS.join(',')).split(',').map(t => t.trim()) as Tool[]
  for (const t of tools) if (!TOOLS.includes(t)) throw new Error(`unknown tool '${t}' (known: ${TOOLS.join(', ')})`)
  const d = new Date()
  const date = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
  const dest = join(here, 'results', 'profile', `${date}-${os.hostname().replace(/[^A-Za-z0-9.-]/g, '_')}`)
  mkdirSync(dest, { recursive: true })

  const { generateCertificate } = await loadClacks()
  const { key, cert } = await generateCertificate({ hostname: '127.0.0.1' })
  const queued = 2048
  const peer = await Worker.spawn('clacks', { name: 'peer tower' })
  const reports: string[] = []
  let failures = 0
  try {
    for (const tool of tools) {
      const [address] = await peer.call<Array<{ hostname: string, port: number }>>('start', { count: 1, key, cert })
      if (address === undefined) throw new Error('the peer tower did not start')
      await peer.call('fill', { perTower: queued, payloadBytes: payload })
      const { file, execArgv } = workerCommand('solo')
      const solo = [...execArgv, file, '--peer', `${address.hostname}:${address.port}`,
        '--payload', String(payload), '--seconds', String(seconds), '--queued', String(queued)]
      const env = { ...process.env, ...WORKER_ENV, CLACKS_BENCH_KEY: key, CLACKS_BENCH_CERT: cert, NO_INSIGHT: '1' }
      log(`${tool}: two towers, ${payload} B payloads, ${seconds} s, profiling one of them`)
      try {
        if (tool === 'cpu') {
          const file = join(dest, `cpu-${payload}B.cpuprofile`)
          const r = await run(process.execPath, [...solo, '--cpu-profile', file], env, (seconds + 60) * 1000)
          if (r.code !== 0 || !existsSync(file)) throw new Error(`the profiled tower exited with ${r.code}`)
          const summary = profileMarkdown(summarizeProfile(JSON.parse(readFileSync(file, 'utf8'))))
          const summaryFile = join(dest, `cpu-${payload}B-summary.md`)
          writeFileSync(summaryFile, summary)
          process.stdout.write(`\n## Where the time goes (V8 CPU profile of the steady state, ${payload} B payloads)\n\n${summary}\n`)
          reports.push(`cpu: ${file} (open in Chrome DevTools → Performance, or VS Code); summary ${summaryFile}`)
        } else {
          const clinic = join(repo, 'node_modules', '.bin', 'clinic')
          const r = await run(clinic, [tool, '--open=false', `--dest=${dest}`, '--', process.execPath, ...solo], env, (seconds + 600) * 1000)
          const html = /Generated HTML file is (\S+)/.exec(r.output)?.[1]
          if (r.code !== 0 || html === undefined) throw new Error(`clinic ${tool} exited with ${r.code} and no report`)
          reports.push(`${tool}: ${html}`)
        }
      } catch (error) {
        failures++
        log(`${tool} failed: ${error instanceof Error ? error.message : String(error)}`)
      } finally {
        await peer.call('stop')
      }
    }
  } finally {
    await peer.close()
    killAllWorkers()
  }
  process.stdout.write(`\nReports (in ${dest}):\n${reports.map(r => `  ${r}`).join('\n')}\n`)
  return failures > 0 ? 1 : 0
}

main().then(code => { process.exitCode = code }, (error: unknown) => {
  killAllWorkers()
  process.stderr.write(`profile failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exitCode = 1
})
