/**
 * One Clacks tower in a process of its own, for profilers (bench/profile.ts):
 * it starts, announces itself to the peer tower given in the arguments, keeps
 * `--queued` messages of `--payload` bytes circulating with it, warms up for a
 * second, measures for `--seconds`, prints what it measured as one JSON line,
 * and exits (profilers write their report when the process ends).
 *
 *   node --import tsx bench/workers/solo.ts --peer 127.0.0.1:PORT [--payload 1024] [--seconds 10] [--queued 1024] [--cpu-profile FILE]
 *
 * With --cpu-profile the V8 profiler runs over the measured seconds only (not
 * over start-up and module loading, as `node --cpu-prof` would) and the
 * profile is written to FILE. The key and certificate come from
 * CLACKS_BENCH_KEY / CLACKS_BENCH_CERT, or are generated.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { loadClacks } from '../lib/clacks.js'

const WARMUP_MS = 1000

function arg (name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : fallback
}

async function main (): Promise<void> {
  const [peerHost, peerPort] = (arg('peer') ?? '').split(':') as [string, string | undefined]
  if (peerPort === undefined) throw new Error('--peer HOST:PORT is required')
  const payloadBytes = Number(arg('payload', '1024'))
  const seconds = Math.min(600, Number(arg('seconds', '10')))
  const queued = Math.min(100_000, Number(arg('queued', '1024')))
  const profileFile = arg('cpu-profile')
  const watchdog = setTimeout(() => process.exit(2), (seconds + 60) * 1000)

  const { createTower } = await loadClacks()
  const tower = await createTower().init(process.env.CLACKS_BENCH_KEY, process.env.CLACKS_BENCH_CERT, { hostname: '127.0.0.1', port: 0, sendrate: Infinity })
  await tower.announce(peerHost, Number(peerPort))
  const payload = Buffer.alloc(payloadBytes, 0x2a)
  for (let i = 0; i < queued; i++) tower.enqueue(payload)
  await new Promise(resolve => setTimeout(resolve, WARMUP_MS))

  let session: Session | undefined
  if (profileFile !== undefined) {
    session = new Session()
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.start')
  }
  const before = tower.stats()
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  await new Promise(resolve => setTimeout(resolve, seconds * 1000))
  const after = tower.stats()
  const elapsed = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpu0)
  if (session !== undefined && profileFile !== undefined) {
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(profileFile, JSON.stringify(profile))
    session.disconnect()
  }
  await tower.close({ drain: false })
  clearTimeout(watchdog)
  const received = after.received - before.received
  process.stdout.write(JSON.stringify({
    seconds: Math.round(elapsed * 100) / 100,
    received,
    hopsPerSecThisTower: Math.round(received / elapsed),
    cpuPct: Math.round((cpu.user + cpu.system) / 1e4 / elapsed)
  }) + '\n')
  // Exit now: after close() the link's socket to the peer stays open until the
  // peer (still running) closes its side, which would keep this process, and
  // the profiler waiting for it, alive for up to a minute.
  process.exit(0)
}

main().catch((error: unknown) => {
  process.stderr.write(`solo tower failed: ${String(error)}\n`)
  process.exit(1)
})
