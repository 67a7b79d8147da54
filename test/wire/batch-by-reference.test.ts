import { randomBytes } from 'node:crypto'
import t from 'tap'
import type { Frame } from '../../src/gen/clacks/v1/frame.js'
import { BY_REFERENCE_BYTES } from '../../src/wire/encoder.js'
import { encodeFrame, FrameBatch, FrameDecoder } from '../../src/wire/index.js'

const message = (seq: number, payloadBytes: number, friend = true): Frame => ({
  kind: {
    $case: 'message',
    value: { seq, id: randomBytes(16), payload: randomBytes(payloadBytes), hops: seq % 3, friend: friend ? { hostname: `tower-${seq}.example`, port: 4000 + seq } : undefined }
  }
})
const ack = (seq: number): Frame => ({ kind: { $case: 'ack', value: { seq } } })

t.test('large payloads go by reference, and the bytes are exactly the generated encoder\'s', async t => {
  const frames = [
    ack(1), message(1, 10), message(2, BY_REFERENCE_BYTES), message(3, 70_000, false), ack(2),
    message(4, 3), message(5, BY_REFERENCE_BYTES + 1), message(6, 0), message(7, 200_000)
  ]
  const batch = new FrameBatch()
  for (const frame of frames) batch.add(frame)
  const expected = Buffer.concat(frames.map(encodeFrame))
  t.equal(batch.length, expected.length, 'length counts every byte, referenced ones included')
  const chunks = batch.finishChunks()
  const payloads = frames.flatMap(f => f.kind?.$case === 'message' && f.kind.value.payload.length >= BY_REFERENCE_BYTES ? [f.kind.value.payload] : [])
  t.equal(payloads.length, 4)
  for (const payload of payloads) t.ok(chunks.includes(payload), `a ${payload.length}-byte payload is a chunk of its own, not a copy`)
  t.ok(Buffer.concat(chunks).equals(expected), 'the chunks, in order, are the generated encoder\'s bytes')

  const decoder = new FrameDecoder({ maxFrameBytes: 300_000 })
  for (const chunk of chunks) decoder.push(chunk)
  const decoded: Frame[] = []
  for (let frame = decoder.read(); frame !== undefined; frame = decoder.read()) decoded.push(frame)
  t.same(decoded, frames, 'and decode to the same frames')
  t.equal(batch.count, 0, 'the batch starts empty again')
  t.equal(new FrameBatch().finish().length, 0, 'an empty batch finishes empty')
})

t.test('a batch that grows past its buffer keeps every byte after a referenced payload', async t => {
  const batch = new FrameBatch()
  const frames: Frame[] = [message(1, BY_REFERENCE_BYTES)]
  for (let i = 2; i < 400; i++) frames.push(message(i, 100))
  for (const frame of frames) batch.add(frame)
  t.ok(Buffer.from(batch.finish()).equals(Buffer.concat(frames.map(encodeFrame))))
})
