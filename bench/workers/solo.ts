/**
 * One Clacks tower in a process of its own, for profilers (bench/profile.ts):
 * it starts, announces itself to the peer tower given in the arguments, keeps
 * `--queued` messages of `--payload` bytes circulating with it for `--seconds`,
 * prints what it measured as one JSON line, and exits (profilers write their
 * report when the process ends).
 *
 *   node --import tsx bench/workers/solo.ts --peer 127.0.0.1:PORT [--payload 1024] [--seconds 10] [--queued 1024]
 *
 * The key and certificate come from CLACKS_BENCH_KEY / CLACKS_BENCH_CERT, or are generated.
 */
import { loadClacks } from '../lib/clacks.js'

function arg (name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`)
  const value = i >= 0 ? process.argv[i + 1] : fallback
  if (value === undefined) throw new Error(`--${name} is required`)
  return value
}

async function main (): Promise<void> {
  const [peerHost, peerPort] = arg('peer').split(':') as [string, string]
  const payloadBytes = Number(arg('payload', '1024'))
  const seconds = Math.min(600, Number(arg('seconds', '10')))
  const queued = Math.min(100_000, Number(arg('queued', '1024')))
  const { createTower } = await loadClacks()
  const tower = await createTower().init(process.env.CLACKS_BENCH_KEY, process.env.CLACKS_BENCH_CERT, { hostname: '127.0.0.1', port: 0, sendrate: Infinity })
  const watchdog = setTimeout(() => process.exit(2), (seconds + 30) * 1000)
  await tower.announce(peerHost, Number(peerPort))
  const payload = Buffer.alloc(payloadBytes, 0x2a)
  for (let i = 0; i < queued; i++) tower.enqueue(payload)
  const start = performance.now()
  await new Promise(resolve => setTimeout(resolve, seconds * 1000))
  const s = tower.stats()
  const elapsed = (performance.now() - start) / 1000
  await tower.close({ drain: false })
  clearTimeout(watchdog)
  process.stdout.write(JSON.stringify({ seconds: elapsed, received: s.received, sent: s.sent, hopsPerSecThisTower: s.received / elapsed }) + '\n')
  // Exit now: after close() the link's socket to the peer stays open until the
  // peer (still running) closes its side, which would keep this process, and
  // the profiler waiting for it, alive for up to a minute.
  process.exit(0)
}

main().catch((error: unknown) => {
  process.stderr.write(`solo tower failed: ${String(error)}\n`)
  process.exitCode = 1
})
