// Codec micro-benchmark: the wire codec alone, no sockets. Message frames of
// several payload sizes through encodeFrame, FrameBatch, and FrameDecoder fed
// ~64 KiB chunks the way a socket delivers them.
// Run: npx tsx bench/codec.ts [--quick]
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import type { Frame } from '../src/gen/clacks/v1/frame.js'
import { TowerDescriptor } from '../src/gen/clacks/v1/tower.js'
import { encodeFrame, FrameBatch, FrameDecoder, newMessageRecord } from '../src/wire/index.js'
import { recycleSegments } from '../src/wire/encoder.js'
import { decodeFloor, encodeFloor, type FloorFields, type FloorMessage } from './lib/codec-floor.js'

export type CodecOperation = 'encodeFrame' | 'FrameBatch x64' | 'decode (read)' | 'decode (readRecord)' | 'split only (readBody)' | 'floor (encode + decode)'

export interface CodecResult {
  operation: CodecOperation
  payloadBytes: number
  /** One frame on the wire, length prefix included. */
  frameBytes: number
  /** Median over the rounds. */
  framesPerSecond: number
  /** Wire bytes per second, in MB (10^6 bytes). */
  megabytesPerSecond: number
  rounds: number
  /** (slowest - fastest round) / median, in percent: how much to trust the median. */
  spreadPercent: number
}

export const PAYLOAD_SIZES = [64, 1024, 16 * 1024, 64 * 1024]
const BATCH_SIZE = 64
const SOCKET_CHUNK_BYTES = 64 * 1024
/** Bytes of frames in one decode pass (quick mode: a quarter): many frames per pass even at 64 KiB. */
const DECODE_STREAM_BYTES = 4 * 1024 * 1024

/** Keeps results alive so the engine cannot drop the work that made them. */
let sink = 0

function messageFrame (seq: number, payloadBytes: number): Frame {
  const payload = Buffer.alloc(payloadBytes)
  for (let i = 0; i < payloadBytes; i++) payload[i] = (i * 31 + seq) & 0xff
  return {
    kind: {
      $case: 'message',
      value: { seq, id: Buffer.alloc(16, seq & 0xff), payload, hops: 1, friend: { hostname: 'tower-b.example', port: 7447 } }
    }
  }
}

/** The frame's fields as the floor takes them; checked to encode to the very bytes encodeFrame writes. */
function floorMessage (frame: Frame): FloorMessage {
  if (frame.kind?.$case !== 'message' || frame.kind.value.friend === undefined) throw new Error('the floor takes a Message frame with a friend')
  const { seq, id, payload, hops, friend } = frame.kind.value
  const descriptor = TowerDescriptor.encode(friend).finish()
  const message = { seq, id, payload, hops, friendField: Buffer.concat([Buffer.from([0x2a, descriptor.length]), descriptor]) }
  const expected = encodeFrame(frame)
  const written = Buffer.alloc(expected.length)
  if (encodeFloor(written, 0, message) !== expected.length || !written.equals(expected)) throw new Error('the floor does not write the frame encodeFrame does')
  const read: FloorFields = { seq: 0, hops: 0, idStart: 0, payloadStart: 0, payloadLength: 0, friendStart: 0 }
  if (decodeFloor(written, written.length, read) !== 1 || read.seq !== seq || read.hops !== hops || read.payloadLength !== payload.length ||
    !written.subarray(read.payloadStart, read.payloadStart + payload.length).equals(payload)) throw new Error('the floor does not read back what it wrote')
  return message
}

interface SocketStream { chunks: Uint8Array[], frames: number }

/** A stream of delimited frames with distinct seqs and ids, cut into socket-sized chunks. */
function socketStream (payloadBytes: number, streamBytes: number): SocketStream {
  const batch = new FrameBatch()
  const frameBytes = encodeFrame(messageFrame(1_000_000, payloadBytes)).length
  const frames = Math.max(BATCH_SIZE, Math.ceil(streamBytes / frameBytes))
  for (let i = 0; i < frames; i++) batch.add(messageFrame(1_000_000 + i, payloadBytes))
  const stream = batch.finish()
  const chunks: Uint8Array[] = []
  for (let at = 0; at < stream.length; at += SOCKET_CHUNK_BYTES) chunks.push(stream.subarray(at, at + SOCKET_CHUNK_BYTES))
  return { chunks, frames }
}

/** One unit of work for each operation; returns how many frames it handled. */
function workFor (operation: CodecOperation, payloadBytes: number, stream: () => SocketStream): () => number {
  const frame = messageFrame(123_456_789, payloadBytes)
  switch (operation) {
    case 'encodeFrame':
      return () => {
        for (let i = 0; i < BATCH_SIZE; i++) sink += encodeFrame(frame).length
        return BATCH_SIZE
      }
    case 'FrameBatch x64': {
      const batch = new FrameBatch()
      return () => {
        for (let i = 0; i < BATCH_SIZE; i++) batch.add(frame)
        // As a link's socket does once its write is done: the segments are written again by the next batch.
        const { chunks, segments } = batch.finishSegments()
        for (const chunk of chunks) sink += chunk.length
        recycleSegments(segments)
        return BATCH_SIZE
      }
    }
    case 'floor (encode + decode)': {
      const message = floorMessage(frame)
      const buffer = Buffer.allocUnsafeSlow(BATCH_SIZE * encodeFrame(frame).length)
      const fields: FloorFields = { seq: 0, hops: 0, idStart: 0, payloadStart: 0, payloadLength: 0, friendStart: 0 }
      return () => {
        let end = 0
        for (let i = 0; i < BATCH_SIZE; i++) end = encodeFloor(buffer, end, message)
        sink += decodeFloor(buffer, end, fields) + fields.payloadLength
        return BATCH_SIZE
      }
    }
    case 'decode (read)':
    case 'decode (readRecord)':
    case 'split only (readBody)': {
      const { chunks, frames } = stream()
      const record = newMessageRecord()
      return () => {
        const decoder = new FrameDecoder()
        for (const chunk of chunks) {
          decoder.push(chunk)
          if (operation === 'decode (read)') for (let f = decoder.read(); f !== undefined; f = decoder.read()) sink++
          // What a tower's receive path runs: every field decoded, the id and payload left where they lie.
          else if (operation === 'decode (readRecord)') for (let r = decoder.readRecord(record); r !== undefined; r = decoder.readRecord(record)) sink += record.payloadLength
          else for (let b = decoder.readBody(); b !== undefined; b = decoder.readBody()) sink += b.length
        }
        return frames
      }
    }
  }
}

/** Frames per second of each round, each round running the work for roundMs. */
function timeRounds (work: () => number, rounds: number, roundMs: number): number[] {
  const rates: number[] = []
  for (let round = 0; round < rounds; round++) {
    let frames = 0
    const start = performance.now()
    let elapsed = 0
    do {
      frames += work()
      elapsed = performance.now() - start
    } while (elapsed < roundMs)
    rates.push(frames / (elapsed / 1000))
  }
  return rates
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/**
 * Measures every operation at every payload size: about 1 s each (five
 * rounds of 200 ms after a warm-up round), or about 0.1 s in quick mode.
 */
export async function runCodecBench (opts: { quick: boolean }): Promise<CodecResult[]> {
  const rounds = opts.quick ? 3 : 5
  const roundMs = opts.quick ? 30 : 200
  const operations: CodecOperation[] = ['encodeFrame', 'FrameBatch x64', 'decode (read)', 'decode (readRecord)', 'split only (readBody)', 'floor (encode + decode)']
  const results: CodecResult[] = []
  for (const payloadBytes of PAYLOAD_SIZES) {
    const frameBytes = encodeFrame(messageFrame(123_456_789, payloadBytes)).length
    let built: SocketStream | undefined // shared by both decode operations, built on first use
    const stream = (): SocketStream => (built ??= socketStream(payloadBytes, DECODE_STREAM_BYTES / (opts.quick ? 4 : 1)))
    for (const operation of operations) {
      const work = workFor(operation, payloadBytes, stream)
      timeRounds(work, 1, roundMs) // warm-up: let the JIT settle before timing
      const rates = timeRounds(work, rounds, roundMs)
      const framesPerSecond = median(rates)
      results.push({
        operation,
        payloadBytes,
        frameBytes,
        framesPerSecond,
        megabytesPerSecond: framesPerSecond * frameBytes / 1e6,
        rounds,
        spreadPercent: 100 * (Math.max(...rates) - Math.min(...rates)) / framesPerSecond
      })
      // Yield between measurements so a caller's timers and I/O are not starved.
      await new Promise(resolve => setImmediate(resolve))
    }
  }
  if (sink === -1) console.log('unreachable') // reads sink so the work is observable
  return results
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 })

function sizeLabel (bytes: number): string {
  return bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`
}

/** The results as a Markdown table. */
export function codecTable (results: CodecResult[]): string {
  const lines = [
    '| operation | payload | frame bytes | frames/s | MB/s | spread |',
    '| --- | ---: | ---: | ---: | ---: | ---: |'
  ]
  for (const r of results) {
    lines.push(`| ${r.operation} | ${sizeLabel(r.payloadBytes)} | ${r.frameBytes} | ${integer.format(r.framesPerSecond)} | ${oneDecimal.format(r.megabytesPerSecond)} | ${integer.format(r.spreadPercent)} % |`)
  }
  return lines.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick')
  const results = await runCodecBench({ quick })
  console.log(`Codec, Node ${process.version}${quick ? ', quick mode' : ''}; median of ${results[0].rounds} rounds; MB = 10^6 bytes on the wire\n`)
  console.log(codecTable(results))
}
