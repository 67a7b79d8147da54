/**
 * `npm run fuzz -- --frames N --seed S [--concurrency C]`: throws random and
 * mutated frames at a live tower over TLS, while a good tower beside it
 * keeps exchanging messages with it. Seeded: the same seed makes the same
 * connections, frames and cuts. Each connection opens with a Hello (mostly
 * valid), then Message frames with random fields, sometimes a poisoned frame
 * (flipped bits, a cut frame, a length of gigabytes, an over-long varint, a
 * frame a dialer never sends, a sequence gap, garbage), delivered in one
 * write, in random chunks or a byte at a time.
 *
 * Reports frames and connections, the tower's counters, its peak memory, the
 * good link's throughput before and during, and the good tower's messages
 * lost and duplicated (both must be zero). Exit code 1 when anything failed.
 */
import { connect, type TLSSocket } from 'node:tls'
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'
import type { Frame, Message } from '../../src/gen/clacks/v1/frame.js'
import type { TowerDescriptor } from '../../src/gen/clacks/v1/tower.js'
import { encodeFrame } from '../../src/wire/index.js'
import { killAllWorkers } from '../lib/ipc.js'
import { conservation, median, MiB, numberFlag, sample, sleep, startTowerProcess, type TowerProcess } from './towers.js'

const frameTarget = numberFlag('frames', 1_000_000)
const seed = numberFlag('seed', Date.now() % 2 ** 31)
const concurrency = numberFlag('concurrency', 8)
const GOOD = 'good:'
const GOOD_MESSAGES = 20_000

const generator = xoroshiro128plus(seed)
const random = (): number => uniformFloat64(generator)
const int = (n: number): number => Math.floor(random() * n)

/** Seeded noise: payloads, ids and garbage are slices of it. */
const NOISE = Buffer.alloc(1 << 20)
for (let i = 0; i < NOISE.length; i++) NOISE[i] = int(256)
const noise = (length: number): Buffer => {
  const start = int(NOISE.length - length)
  return NOISE.subarray(start, start + length)
}

function payloadBytes (): number {
  const draw = random()
  return draw < 0.8 ? int(65) : draw < 0.95 ? 64 + int(960) : 1024 + int(15_360)
}

function friend (): TowerDescriptor | undefined {
  const draw = random()
  if (draw < 0.6) return undefined
  if (draw < 0.95) return { hostname: `127.2.${int(256)}.${int(256)}`, port: 1 + int(65_535) }
  return { hostname: draw < 0.98 ? 'bad host\n' : '', port: int(70_000) }
}

function message (seq: number): Frame {
  const value: Message = { seq, id: noise(16), payload: noise(payloadBytes()), hops: int(1000), friend: friend() }
  return { kind: { $case: 'message', value } }
}

function hello (): Frame {
  return {
    kind: {
      $case: 'hello',
      value: {
        protocolVersion: random() < 0.97 ? 1 : int(5),
        tower: { hostname: `127.3.${int(256)}.${int(256)}`, port: 1 + int(65_535) },
        instanceId: noise(16),
        resumeInstanceId: random() < 0.9 ? Buffer.alloc(0) : noise(16),
        sessionId: noise(16)
      }
    }
  }
}

/** A frame that breaks a rule; most end the connection (the tower's answer is the point). */
function poison (seq: number): Uint8Array {
  switch (int(8)) {
    case 0: {
      const bytes = Buffer.from(encodeFrame(message(seq)))
      for (let flips = 1 + int(8); flips > 0; flips--) bytes[int(bytes.length)] ^= 1 << int(8)
      return bytes
    }
    case 1: {
      const bytes = encodeFrame(message(seq))
      return Buffer.concat([bytes.subarray(0, int(bytes.length)), encodeFrame(message(seq + 1))])
    }
    case 2: return Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, ...noise(32)])
    case 3: return Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
    case 4: return encodeFrame({ kind: { $case: 'ack', value: { seq } } })
    case 5: return encodeFrame(message(seq + 2 + int(100)))
    case 6: return encodeFrame(hello())
    default: return noise(1 + int(512))
  }
}

type Delivery = 'coalesced' | 'chunked' | 'byte'

interface Plan {
  delivery: Delivery
  bytes: Buffer
  frames: number
  /** For 'chunked': the sizes of the writes, drawn with the plan so that a seed replays exactly. */
  chunks: number[]
}

/** One connection's bytes: a Hello, messages, perhaps a poisoned frame, a Goodbye. */
function plan (): Plan {
  const draw = random()
  const delivery: Delivery = draw < 0.7 ? 'coalesced' : draw < 0.96 ? 'chunked' : 'byte'
  const count = delivery === 'byte' ? 1 + int(6) : 1 + int(2000)
  const poisonAt = random() < 0.3 ? int(count) : -1
  const parts: Uint8Array[] = [random() < 0.95 ? encodeFrame(hello()) : poison(1)]
  let seq = 1
  for (let i = 0; i < count; i++) {
    if (i === poisonAt) parts.push(poison(seq))
    parts.push(encodeFrame(message(seq++)))
  }
  parts.push(encodeFrame({ kind: { $case: 'goodbye', value: { reason: 0, detail: '' } } }))
  const bytes = Buffer.concat(parts)
  const chunks: number[] = []
  for (let at = 0; delivery === 'chunked' && at < bytes.length;) {
    chunks.push(1 + int(4096))
    at += chunks.at(-1) as number
  }
  // Byte at a time costs a TLS record per byte: those connections stay small.
  return { delivery, bytes: delivery === 'byte' ? bytes.subarray(0, 4096) : bytes, frames: parts.length, chunks }
}

const counts = { connections: 0, frames: 0, bytes: 0, coalesced: 0, chunked: 0, byte: 0, failedToConnect: 0, hung: 0 }

async function write (socket: TLSSocket, chunk: Buffer): Promise<void> {
  if (socket.destroyed) return
  if (socket.write(chunk)) return
  await new Promise<void>(resolve => {
    const done = (): void => {
      socket.off('drain', done)
      socket.off('close', done)
      resolve()
    }
    socket.once('drain', done)
    socket.once('close', done)
  })
}

async function attack (target: TowerProcess, connection: Plan): Promise<void> {
  const socket = connect({ host: target.hostname, port: target.port, ALPNProtocols: ['clacks/1'], rejectUnauthorized: false, minVersion: 'TLSv1.3' })
  socket.on('data', () => {})
  const closed = new Promise<void>(resolve => socket.once('close', () => resolve()))
  socket.on('error', () => {})
  const up = await new Promise<boolean>(resolve => {
    socket.once('secureConnect', () => resolve(true))
    socket.once('close', () => resolve(false))
  })
  counts.connections++
  if (!up) {
    counts.failedToConnect++
    return
  }
  counts[connection.delivery]++
  counts.frames += connection.frames
  counts.bytes += connection.bytes.length
  const bytes = connection.bytes
  if (connection.delivery === 'coalesced') await write(socket, bytes)
  else if (connection.delivery === 'byte') for (let i = 0; i < bytes.length && !socket.destroyed; i++) await write(socket, bytes.subarray(i, i + 1))
  else {
    let at = 0
    for (const size of connection.chunks) {
      if (socket.destroyed) break
      await write(socket, bytes.subarray(at, at + size))
      at += size
    }
  }
  // A tower waiting for the rest of a cut frame keeps the connection (until its idle timeout): we do not.
  const timer = setTimeout(() => { counts.hung++; socket.destroy() }, 3000)
  await closed
  clearTimeout(timer)
}

async function goodLinkRate (good: TowerProcess, seconds: number, samples: number[], stop: () => boolean = () => false): Promise<void> {
  let last = (await sample(good)).stats.acked
  for (let i = 0; i < seconds && !stop(); i++) {
    await sleep(1000)
    const acked = (await sample(good)).stats.acked
    samples.push(acked - last)
    last = acked
  }
}

async function main (): Promise<void> {
  console.log(`fuzz: seed ${seed}, ${frameTarget} frames, ${concurrency} connections at a time`)
  const target = await startTowerProcess('target tower', { hostname: '127.0.0.81', sendrate: Infinity }, GOOD)
  const good = await startTowerProcess('good tower', { hostname: '127.0.0.82', sendrate: Infinity })
  await good.worker.call('expand', { hostname: target.hostname, port: target.port })
  await target.worker.call('expand', { hostname: good.hostname, port: good.port })
  // A fixed population circulating between the two: topping a queue up instead grew it until both
  // queues were full and the link's rate swung between 0 and twice its mean with the refusals.
  await good.worker.call('enqueueMany', { prefix: GOOD, count: GOOD_MESSAGES })

  const before: number[] = []
  await goodLinkRate(good, 3, before)

  const during: number[] = []
  let attacking = true
  // Until the last frame is written: the wait for connections the tower keeps open is not the attack.
  const measuring = goodLinkRate(good, Infinity, during, () => !attacking || counts.frames >= frameTarget)
  const started = Date.now()
  let lastReport = started
  const lanes = Array.from({ length: concurrency }, async () => {
    while (counts.frames < frameTarget) {
      await attack(target, plan())
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now()
        console.log(`  ${counts.frames} frames, ${counts.connections} connections, ${((Date.now() - started) / 1000).toFixed(0)} s`)
      }
    }
  })
  await Promise.all(lanes)
  attacking = false
  await measuring
  const seconds = (Date.now() - started) / 1000

  const t = await sample(target)
  const enqueued = await good.worker.call<string[]>('enqueuedIds')
  const check = await conservation([target, good], enqueued, GOOD)
  const s = t.stats
  console.log(`frames: ${counts.frames} in ${counts.connections} connections (coalesced ${counts.coalesced}, chunked ${counts.chunked}, byte at a time ${counts.byte}; ` +
    `${counts.failedToConnect} not connected, ${counts.hung} left open by the tower: a cut frame it waits the rest of, until its idle timeout), ${MiB(counts.bytes)}, ${seconds.toFixed(1)} s, ${(counts.frames / seconds).toFixed(0)} frames/s`)
  console.log(`target: received ${s.received}, refused ${s.refusedInbound}, protocol errors ${s.protocolErrors}, TLS failures ${s.tlsFailures}, ` +
    `dials made ${s.dialsMade} / failed ${s.dialsFailed} / refused by bounds ${s.dialsRefused}, hints refused ${s.hintsRefused}, peers ${Object.values(s.peers).reduce((a, b) => a + b, 0)}, sessions ${s.sessions}`)
  console.log(`target memory: peak RSS ${MiB(t.peakRss)}, peak heap ${MiB(t.peakHeap)}, now RSS ${MiB(t.rss)}`)
  console.log(`good link (messages/s the good tower handed over): before ${median(before)} (median), during ${median(during)} (median), lowest ${Math.min(...during)}`)
  console.log(`good link each second during, thousands: ${during.map(rate => (rate / 1000).toFixed(0)).join(' ')}`)
  console.log(`good messages: ${enqueued.length} enqueued, ${check.lost} lost, ${check.duplicated} duplicated${check.settled ? '' : ' (in flight did not settle)'}`)
  console.log(`replay: npm run fuzz -- --frames ${frameTarget} --seed ${seed} --concurrency ${concurrency}`)
  await Promise.all([target.worker.call('close', { drain: false }), good.worker.call('close', { drain: false })])
  const failed = check.lost > 0 || check.duplicated > 0 || !check.settled || median(during) === 0 || !target.worker.alive
  killAllWorkers()
  process.exitCode = failed ? 1 : 0
}

main().catch(error => {
  console.error(error)
  killAllWorkers()
  process.exitCode = 1
})
