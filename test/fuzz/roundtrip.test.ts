import { deepStrictEqual } from 'node:assert/strict'
import fc from 'fast-check'
import t from 'tap'
import type { Frame } from '../../src/gen/clacks/v1/frame.js'
import { encodeFrame, FrameBatch, FrameDecoder, messageId, messagePayload, newMessageRecord } from '../../src/wire/index.js'
import { cutsArb, frameArb, splitAt } from './fixtures/arbitraries.js'

function encodeAll (frames: Frame[], batched: boolean): Uint8Array {
  if (!batched) return Buffer.concat(frames.map(encodeFrame))
  const batch = new FrameBatch()
  for (const frame of frames) batch.add(frame)
  return batch.finish()
}

t.test('any sequence of valid frames, split anywhere, decodes to the same frames', async t => {
  fc.assert(
    fc.property(fc.array(frameArb, { minLength: 1, maxLength: 12 }), cutsArb, fc.boolean(), (frames, cuts, batched) => {
      const decoder = new FrameDecoder()
      const decoded: Frame[] = []
      for (const chunk of splitAt(encodeAll(frames, batched), cuts)) {
        decoder.push(chunk)
        for (let frame = decoder.read(); frame !== undefined; frame = decoder.read()) decoded.push(frame)
      }
      deepStrictEqual(decoded, frames)
      deepStrictEqual(decoder.bufferedBytes, 0)
    }),
    { numRuns: 400 }
  )
  t.pass('400 runs')
})

t.test('readRecord gives the same frames as read(), Message frames as records of the same fields', async t => {
  fc.assert(
    fc.property(fc.array(frameArb, { minLength: 1, maxLength: 12 }), cutsArb, (frames, cuts) => {
      const decoder = new FrameDecoder()
      const record = newMessageRecord()
      const decoded: Frame[] = []
      for (const chunk of splitAt(encodeAll(frames, true), cuts)) {
        decoder.push(chunk)
        for (let next = decoder.readRecord(record); next !== undefined; next = decoder.readRecord(record)) {
          // A record points into the decoder's bytes until the next push: make the Message at once.
          decoded.push(next === record
            ? { kind: { $case: 'message', value: { seq: record.seq, id: messageId(record), payload: messagePayload(record), hops: record.hops, friend: record.friend } } }
            : next as Frame)
        }
      }
      deepStrictEqual(decoded, frames)
    }),
    { numRuns: 400 }
  )
  t.pass('400 runs')
})

t.test('encoding is deterministic and FrameBatch matches encodeFrame byte for byte', async t => {
  fc.assert(
    fc.property(fc.array(frameArb, { maxLength: 8 }), frames => {
      deepStrictEqual(Buffer.from(encodeAll(frames, true)), Buffer.from(encodeAll(frames, false)))
    }),
    { numRuns: 300 }
  )
  t.pass('300 runs')
})
