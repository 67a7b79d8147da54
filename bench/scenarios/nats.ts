/**
 * (c) A peer baseline users would pick instead for high-throughput messaging:
 * a NATS server (the Debian package `nats-server`) relaying the same ring over
 * TLS between two Node clients (npm `nats`) in two processes. The server
 * listens on 127.0.0.1, on a port found free at run time, with a certificate
 * generated for this run (for "localhost", which covers 127.0.0.1 too: the
 * nats client checks the name "localhost" for a server on 127.0.0.1). Without
 * the binary the rows say so and the rest of the suite runs on.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect as tcpConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadClacks } from '../lib/clacks.js'
import { int, num, size } from '../lib/format.js'
import { freePort } from '../lib/free-port.js'
import { Worker } from '../lib/ipc.js'
import { sleep } from '../lib/clock.js'
import { bestOf, circulatingCandidates, combine, emptyRow, fill, probeWindow, triedNote, windowTimeoutMs, type Context, type WorkerWindow } from './context.js'

const BINARY = 'nats-server'
/** How long the server gets to start listening. */
const START_TIMEOUT_MS = 10_000

/** The nats-server version line, or undefined when it is not installed. */
export function natsServerVersion (): string | undefined {
  const r = spawnSync(BINARY, ['--version'], { encoding: 'utf8', timeout: 5_000 })
  return r.status === 0 ? r.stdout.trim() : undefined
}

async function listening (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const s = tcpConnect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}

class NatsServer {
  private constructor (readonly child: ChildProcess, readonly port: number, readonly dir: string, readonly cert: string) {}

  static async start (): Promise<NatsServer> {
    const { key, cert } = await (await loadClacks()).generateCertificate({ hostname: 'localhost' })
    const dir = mkdtempSync(join(tmpdir(), 'clacks-bench-nats-'))
    writeFileSync(join(dir, 'cert.pem'), cert)
    writeFileSync(join(dir, 'key.pem'), key, { mode: 0o600 })
    const port = await freePort()
    // max_pending: the ring keeps up to 128 MiB circulating per side (see circulatingCandidates); the default 64 MB would cut a client off as slow.
    writeFileSync(join(dir, 'nats.conf'), [
      'host: 127.0.0.1',
      `port: ${port}`,
      'max_pending: 268435456',
      `tls { cert_file: "${join(dir, 'cert.pem')}", key_file: "${join(dir, 'key.pem')}" }`
    ].join('\n') + '\n')
    const child = spawn(BINARY, ['-c', join(dir, 'nats.conf')], { stdio: 'ignore' })
    const kill = (): void => { if (child.exitCode === null) child.kill('SIGKILL') }
    process.once('exit', kill)
    const started = performance.now()
    while (!await listening(port)) {
      if (child.exitCode !== null || performance.now() - started > START_TIMEOUT_MS) {
        kill()
        rmSync(dir, { recursive: true, force: true })
        throw new Error(`${BINARY} did not listen on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms`)
      }
      await sleep(50)
    }
    return new NatsServer(child, port, dir, cert)
  }

  async close (): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise<void>(resolve => this.child.once('exit', () => resolve()))
      this.child.kill('SIGTERM')
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 2_000)
      await exited
      clearTimeout(timer)
    }
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** One run: two fresh client processes, `frames` messages put into circulation from each side. */
async function natsRun (ctx: Context, server: NatsServer, payload: number, frames: number, window = ctx.settings.window): Promise<ReturnType<typeof combine>> {
  const workers = await Promise.all(['nats client A', 'nats client B'].map(name => Worker.spawn('nats', { name })))
  try {
    const [a, b] = workers as [Worker, Worker]
    await a.call('connect', { port: server.port, ca: server.cert, inbox: 'ring.a', outbox: 'ring.b' })
    await b.call('connect', { port: server.port, ca: server.cert, inbox: 'ring.b', outbox: 'ring.a' })
    await Promise.all(workers.map(w => w.call('fill', { frames, payloadBytes: payload })))
    const windows = await Promise.all(workers.map(w => w.call<WorkerWindow>('measure', window, windowTimeoutMs(window))))
    await Promise.all(workers.map(w => w.call('stop')))
    return combine(windows)
  } finally {
    await Promise.all(workers.map(w => w.close()))
  }
}

/** The NATS ring at every payload, with the messages circulating per side it did best with. */
export async function runNats (ctx: Context, allPayloads: number[]): Promise<void> {
  // --quick checks that the baseline runs, with one payload.
  const payloads = ctx.settings.quick ? allPayloads.slice(1, 2) : allPayloads
  const version = natsServerVersion()
  if (version === undefined) {
    for (const payload of payloads) {
      const row = emptyRow('baseline-nats', 'nats', payload, 2, 3)
      row.note = `skipped: ${BINARY} is not installed (apt-get install nats-server; .ci/run installs it)`
      ctx.rows.push(row)
    }
    ctx.progress(`baseline NATS: skipped, no ${BINARY} on the PATH`)
    return
  }
  let server: NatsServer | undefined
  try {
    server = await NatsServer.start()
    const s = server
    for (const payload of payloads) {
      const row = emptyRow('baseline-nats', 'nats', payload, 2, 3)
      try {
        const { best, tried } = await bestOf(circulatingCandidates(ctx.settings, payload), async frames => (await natsRun(ctx, s, payload, frames, probeWindow(ctx.settings))).hopsPerSec)
        fill(row, await natsRun(ctx, s, payload, best))
        row.framesPerSide = best
        row.note = `${version}, TLS, two npm nats clients; ${best} messages circulating from each side, ${triedNote(tried)}`
        ctx.progress(`baseline NATS, ${size(payload)}: ${int(row.hopsPerSec)} hops/s, ${num(row.MBps)} MB/s with ${best} per side (CPU clients ${row.cpuPct?.join(' + ')} %)`)
      } catch (error) {
        row.error = ctx.failed(`baseline NATS ${size(payload)}`, error)
      }
      ctx.rows.push(row)
    }
  } catch (error) {
    ctx.failed('baseline NATS', error)
  } finally {
    await server?.close()
  }
}
