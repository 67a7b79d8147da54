/**
 * The baselines, each in two processes on loopback:
 * (a) the limit, a raw node:tls ring (bench/workers/raw-tls.ts);
 * (b) the prototype, npm clacks-p2p@0.3.3 (bench/workers/prototype.ts).
 */
import { Worker } from '../lib/ipc.js'
import { int, num, size, us } from '../lib/format.js'
import { bestOf, circulatingCandidates, combine, emptyRow, fill, probeWindow, triedNote, windowTimeoutMs, type Context, type Row, type WorkerWindow } from './context.js'
import type { WindowOptions } from '../lib/window.js'

/** The prototype's fastest setting: setInterval(1000 / sendrate) runs at 1 ms at best. */
export const PROTOTYPE_SENDRATE = 1000
/** Messages queued at each prototype tower: enough that its queue never runs dry at 1 per ms. */
const PROTOTYPE_QUEUED = 200

/** A raw TLS ring: a listening and a connecting process, reused for every payload (one fresh connection each). */
export class RawTlsRing {
  private constructor (readonly server: Worker, readonly client: Worker, readonly port: number) {}

  static async start (ctx: Context): Promise<RawTlsRing> {
    const [server, client] = await Promise.all([
      Worker.spawn('raw-tls', { name: 'raw-tls server' }),
      Worker.spawn('raw-tls', { name: 'raw-tls client' })
    ])
    const port = await server.call<number>('listen', { key: ctx.key, cert: ctx.cert })
    return new RawTlsRing(server, client, port)
  }

  async #connect (mode: 'echo' | 'sink'): Promise<string> {
    await Promise.all([this.server.call('configure', { mode }), this.client.call('configure', { mode })])
    const protocol = await this.client.call<string>('connect', { port: this.port })
    // Let the server side see the connection before frames are put on it.
    await new Promise(resolve => setTimeout(resolve, 50))
    return protocol
  }

  async #stop (): Promise<void> {
    await Promise.all([this.client.call('stop'), this.server.call('stop')])
  }

  /** Echo ring at `frames` per side: frames received per second, both sides. */
  async throughput (payload: number, frames: number, window: WindowOptions): Promise<ReturnType<typeof combine> & { protocol: string }> {
    const protocol = await this.#connect('echo')
    try {
      await Promise.all([this.server.call('fill', { frames, payloadBytes: payload }), this.client.call('fill', { frames, payloadBytes: payload })])
      const windows = await Promise.all([this.server, this.client].map(w => w.call<WorkerWindow>('measure', window, windowTimeoutMs(window))))
      return { ...combine(windows), protocol }
    } finally {
      await this.#stop()
    }
  }

  /** Both sides send stamped frames at `rate` / 2 each: send-to-parsed latency. */
  async latency (payload: number, rate: number, window: WindowOptions): Promise<ReturnType<typeof combine>> {
    await this.#connect('sink')
    try {
      await Promise.all([this.server, this.client].map(w => w.call('pace', { rate: rate / 2, payloadBytes: payload })))
      const windows = await Promise.all([this.server, this.client].map(w => w.call<WorkerWindow>('measure', window, windowTimeoutMs(window))))
      return combine(windows)
    } finally {
      await this.#stop()
    }
  }

  async close (): Promise<void> {
    await Promise.all([this.server.close(), this.client.close()])
  }
}

/**
 * (a) Raw TLS echo ring at every payload: the ceiling. Each number of frames
 * per side in circulatingCandidates is tried briefly and the best is measured
 * again with the full window: the limit is the best the ring does.
 */
export async function runRawTls (ctx: Context, ring: RawTlsRing, payloads: number[]): Promise<void> {
  const w = ctx.settings.window
  for (const payload of payloads) {
    const row = emptyRow('baseline-raw-tls', 'raw-tls', payload, 2, 2)
    try {
      const { frames, tried } = await bestRingFrames(ctx, ring, payload)
      const c = await ring.throughput(payload, frames, w)
      fill(row, c)
      row.framesPerSide = frames
      row.note = `${c.protocol}; ${frames} frames circulating from each side, ${triedNote(tried)}`
      ctx.progress(`baseline raw TLS ring, ${size(payload)}: ${int(row.hopsPerSec)} hops/s, ${num(row.MBps)} MB/s with ${frames} frames per side (CPU ${row.cpuPct?.join(' + ')} %)`)
    } catch (error) {
      row.error = ctx.failed(`baseline raw TLS ${size(payload)}`, error)
    }
    ctx.rows.push(row)
  }
}

/** Tries the ring briefly with each number of frames per side in circulatingCandidates; the best, and what each did. */
export async function bestRingFrames (ctx: Context, ring: RawTlsRing, payload: number): Promise<{ frames: number, tried: Array<[frames: number, hopsPerSec: number]> }> {
  const { best, tried } = await bestOf(circulatingCandidates(ctx.settings, payload), async frames => (await ring.throughput(payload, frames, probeWindow(ctx.settings))).hopsPerSec)
  return { frames: best, tried }
}

/**
 * (b) The prototype: two towers in two processes at its maximum sendrate,
 * one pair for every payload (each payload a new generation of messages).
 */
export async function runPrototype (ctx: Context, payloads: number[]): Promise<void> {
  const workers: Worker[] = []
  try {
    const env = { NODE_TLS_REJECT_UNAUTHORIZED: '0', NODE_NO_WARNINGS: '1' }
    workers.push(...await Promise.all(['prototype A', 'prototype B'].map(name => Worker.spawn('prototype', { name, env, countStdout: true }))))
    const [a, b] = workers as [Worker, Worker]
    const [addrA, addrB] = await Promise.all([a, b].map(w => w.call<{ hostname: string, port: number }>('start', { key: ctx.key, cert: ctx.cert, sendrate: PROTOTYPE_SENDRATE })))
    await a.call('addPeer', addrB)
    await b.call('addPeer', addrA)
    for (const [generation, payload] of payloads.entries()) {
      const row = emptyRow('baseline-prototype', 'prototype', payload, 2, 2)
      try {
        const logged = a.stdoutLines + b.stdoutLines
        await Promise.all([a, b].map(w => w.call('fill', { count: PROTOTYPE_QUEUED, payloadBytes: payload, generation: generation + 1 })))
        const windows = await Promise.all([a, b].map(w => w.call<WorkerWindow>('measure', ctx.settings.window, windowTimeoutMs(ctx.settings.window))))
        fill(row, combine(windows))
        const errors = a.stdoutLines + b.stdoutLines - logged
        const corrupted = row.totals?.corrupted ?? 0
        row.note = `sendrate ${PROTOTYPE_SENDRATE} (1 ms interval, its maximum)` +
          (errors > 0 ? `; it logged ${errors} error lines (failed posts are re-queued)` : '') +
          (corrupted > 0 ? `; ${corrupted} messages arrived altered (its server joins a body's chunks with commas)` : '')
        ctx.progress(`baseline prototype, ${size(payload)}: ${int(row.hopsPerSec)} hops/s, ${num(row.MBps)} MB/s, p50 ${us(row.p50us)}` +
          (errors > 0 ? `, ${errors} error lines logged` : '') + (corrupted > 0 ? `, ${corrupted} payloads altered` : ''))
      } catch (error) {
        row.error = ctx.failed(`baseline prototype ${size(payload)}`, error)
      }
      ctx.rows.push(row)
    }
  } catch (error) {
    ctx.failed('baseline prototype', error)
  } finally {
    await Promise.all(workers.map(w => w.close(500)))
  }
}

/** The raw ring's latency at a given rate, for a Clacks latency row. */
export async function rawTlsLatency (ctx: Context, ring: RawTlsRing, payload: number, rate: number, load: number): Promise<Row> {
  const row = emptyRow('baseline-raw-tls-latency', 'raw-tls', payload, 2, 2)
  row.load = load
  row.targetHopsPerSec = Math.round(rate)
  try {
    fill(row, await ring.latency(payload, rate, ctx.settings.latencyWindow))
    ctx.progress(`baseline raw TLS latency, ${size(payload)} at ${int(rate)} hops/s: p50 ${us(row.p50us)}, p99 ${us(row.p99us)} (achieved ${int(row.hopsPerSec)} hops/s)`)
  } catch (error) {
    row.error = ctx.failed(`baseline raw TLS latency ${size(payload)} at ${int(rate)}/s`, error)
  }
  ctx.rows.push(row)
  return row
}

