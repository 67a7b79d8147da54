import t from 'tap'
import { encodeFrame, FrameBatch, FrameDecoder } from '../../src/wire/index.js'
import { recycleSegments, SEGMENT_BYTES } from '../../src/wire/encoder.js'
import { ackFrame, concatBytes, drain, messageFrame, sampleFrames } from './fixtures/frames.js'

const stream = concatBytes(sampleFrames.map(encodeFrame))

function decoderOf (bytes: Uint8Array): FrameDecoder {
  const decoder = new FrameDecoder()
  decoder.push(bytes)
  return decoder
}

t.test('each kind decodes when pushed one byte at a time', async t => {
  for (const frame of sampleFrames) {
    const bytes = encodeFrame(frame)
    const decoder = new FrameDecoder()
    for (let i = 0; i < bytes.length - 1; i++) {
      decoder.push(bytes.subarray(i, i + 1))
      t.equal(decoder.read(), undefined, `${frame.kind?.$case}: nothing after ${i + 1} of ${bytes.length} bytes`)
    }
    decoder.push(bytes.subarray(bytes.length - 1))
    t.same(decoder.read(), frame, `${frame.kind?.$case} decodes`)
    t.equal(decoder.bufferedBytes, 0)
  }
})

t.test('a stream of every kind decodes one byte at a time, in order', async t => {
  const decoder = new FrameDecoder()
  const decoded = []
  for (let i = 0; i < stream.length; i++) {
    decoder.push(stream.subarray(i, i + 1))
    decoded.push(...drain(decoder))
  }
  t.same(decoded, sampleFrames)
  t.equal(decoder.bufferedBytes, 0)
})

t.test('a stream split in two at every position decodes the same', async t => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const decoder = new FrameDecoder()
    decoder.push(stream.subarray(0, cut))
    const decoded = drain(decoder)
    decoder.push(stream.subarray(cut))
    decoded.push(...drain(decoder))
    t.same(decoded, sampleFrames, `cut at ${cut}`)
  }
})

t.test('a stream split in three at many positions decodes the same', async t => {
  for (let first = 0; first <= stream.length; first += 7) {
    for (let second = first; second <= stream.length; second += 5) {
      const decoder = new FrameDecoder()
      decoder.push(stream.subarray(0, first))
      decoder.push(stream.subarray(first, second))
      decoder.push(stream.subarray(second))
      t.same(drain(decoder), sampleFrames, `cuts at ${first} and ${second}`)
    }
  }
})

t.test('many frames in one chunk all come out, in order', async t => {
  const acks = Array.from({ length: 1000 }, (_, i) => ackFrame(i + 1))
  const decoder = new FrameDecoder()
  decoder.push(concatBytes(acks.map(encodeFrame)))
  t.same(drain(decoder), acks)
  t.equal(decoder.read(), undefined, 'then it asks for more bytes')
  t.equal(decoder.bufferedBytes, 0)
})

t.test('a chunk ending inside a frame keeps the rest for the next push', async t => {
  const bytes = concatBytes([encodeFrame(ackFrame(1)), encodeFrame(ackFrame(2))])
  const decoder = new FrameDecoder()
  decoder.push(bytes.subarray(0, bytes.length - 1))
  t.same(drain(decoder), [ackFrame(1)])
  t.equal(decoder.bufferedBytes, encodeFrame(ackFrame(2)).length - 1)
  decoder.push(bytes.subarray(bytes.length - 1))
  t.same(drain(decoder), [ackFrame(2)])
})

t.test('regression: an empty chunk pushed at a frame boundary changes nothing', async t => {
  // bl's get(0) read past an empty first buffer, so the prefix was misread and the decoder stalled.
  const decoder = new FrameDecoder()
  decoder.push(new Uint8Array(0))
  decoder.push(stream)
  decoder.push(new Uint8Array(0))
  t.same(drain(decoder), sampleFrames)
  decoder.push(new Uint8Array(0))
  t.equal(decoder.read(), undefined)
  t.equal(decoder.bufferedBytes, 0)
})

t.test('a large frame arriving in small chunks waits for its last byte', async t => {
  // 200 KiB needs a three-byte length prefix, itself split across chunks.
  const frame = messageFrame(7, Buffer.alloc(200 * 1024, 0x5a))
  const bytes = encodeFrame(frame)
  const decoder = new FrameDecoder()
  const chunkSize = 1000
  for (let at = 0; at < bytes.length; at += chunkSize) {
    t.equal(decoder.read(), undefined)
    decoder.push(bytes.subarray(at, at + chunkSize))
  }
  t.same(decoder.read(), frame)
  t.equal(decoder.bufferedBytes, 0)
})

t.test('chunks that are views into a larger buffer are read at their offset', async t => {
  const bytes = encodeFrame(sampleFrames[2])
  const backing = new Uint8Array(bytes.length + 20).fill(0xff)
  backing.set(bytes, 10)
  const decoder = new FrameDecoder()
  decoder.push(backing.subarray(10, 10 + bytes.length))
  t.same(decoder.read(), sampleFrames[2])
})

t.test('FrameBatch', async t => {
  t.test('puts several frames in one buffer that decodes back in order', async t => {
    const batch = new FrameBatch()
    for (const frame of sampleFrames) batch.add(frame)
    t.equal(batch.count, sampleFrames.length)
    const bytes = batch.finish()
    t.same(Buffer.from(bytes), Buffer.from(stream), 'same bytes as one encodeFrame per frame')
    const decoder = new FrameDecoder()
    decoder.push(bytes)
    t.same(drain(decoder), sampleFrames)
  })

  t.test('starts empty again after finish()', async t => {
    const batch = new FrameBatch()
    batch.add(ackFrame(1)).add(ackFrame(2))
    batch.finish()
    t.equal(batch.count, 0)
    t.equal(batch.finish().length, 0, 'an empty batch is no bytes')
    batch.add(ackFrame(3))
    t.same(Buffer.from(batch.finish()), Buffer.from(encodeFrame(ackFrame(3))))
  })

  t.test('a finished buffer is not changed by later use of the batch', async t => {
    const batch = new FrameBatch()
    const first = batch.add(messageFrame(1, Buffer.alloc(300, 1))).finish()
    const copy = Buffer.from(first)
    batch.add(messageFrame(2, Buffer.alloc(300, 2))).finish()
    t.same(Buffer.from(first), copy)
  })

  t.test('holds frames of every size, each with its own length prefix', async t => {
    const frames = [0, 1, 127, 128, 16383, 16384, 70000].map((size, i) => messageFrame(i + 1, Buffer.alloc(size, i)))
    const batch = new FrameBatch()
    for (const frame of frames) batch.add(frame)
    const decoder = new FrameDecoder()
    decoder.push(batch.finish())
    t.same(drain(decoder), frames)
  })
})

t.test('FrameBatch segments', async t => {
  t.test('a small batch comes as a copy of its own, with no segment to give back', async t => {
    const batch = new FrameBatch()
    batch.add(ackFrame(7)).add(messageFrame(1, Buffer.alloc(100, 1)))
    const { chunks, segments } = batch.finishSegments()
    t.equal(segments.length, 0)
    t.equal(chunks.length, 1)
    const only = chunks[0] as Uint8Array
    t.equal(only.buffer.byteLength === SEGMENT_BYTES, false, 'not a view into a segment')
    t.same(drain(decoderOf(only)), [ackFrame(7), messageFrame(1, Buffer.alloc(100, 1))])
  })

  t.test('a batch of a few dozen KB leaves as a copy too: a quiet link never pins a whole segment in its socket', async t => {
    const frames = Array.from({ length: 30 }, (_, i) => messageFrame(i + 1, Buffer.alloc(1000, i)))
    const batch = new FrameBatch()
    for (const frame of frames) batch.add(frame)
    const { chunks, segments } = batch.finishSegments()
    t.equal(segments.length, 0)
    t.equal(chunks.length, 1)
    t.ok((chunks[0] as Uint8Array).buffer.byteLength < SEGMENT_BYTES, 'a buffer the size of the frames')
    t.same(drain(decoderOf(chunks[0] as Uint8Array)), frames)
  })

  t.test('a batch bigger than a segment spans several, in order, and decodes back', async t => {
    // About two and a half segments of ~4 KB frames.
    const frames = Array.from({ length: Math.ceil(2.5 * SEGMENT_BYTES / 4000) }, (_, i) => messageFrame(i + 1, Buffer.alloc(4000 + i % 100, i % 256)))
    const batch = new FrameBatch()
    for (const frame of frames) batch.add(frame)
    const { chunks, segments } = batch.finishSegments()
    t.ok(segments.length >= 3, `${segments.length} segments for ~2.5 segments of frames`)
    for (const chunk of chunks) t.ok(segments.some(segment => segment.buffer === chunk.buffer), 'every chunk is cut from a segment')
    t.same(drain(decoderOf(Buffer.concat(chunks))), frames)
  })

  t.test('segments are reused only once given back', async t => {
    // ~80 KB: more than a batch that leaves as a copy (64 KiB).
    const big = (): void => { for (let i = 0; i < 80; i++) batch.add(messageFrame(i + 1, Buffer.alloc(1000, i))) }
    const batch = new FrameBatch()
    big()
    const first = batch.finishSegments()
    const firstBytes = Buffer.concat(first.chunks)
    big()
    const second = batch.finishSegments()
    t.notOk(second.segments.some(segment => first.segments.includes(segment)), 'a segment handed out is not written again')
    t.same(Buffer.concat(first.chunks), firstBytes, 'the first batch is unchanged by the second')
    recycleSegments(first.segments)
    big()
    const third = batch.finishSegments()
    t.ok(third.segments.some(segment => first.segments.includes(segment)), 'a segment given back is written again')
    recycleSegments([...second.segments, ...third.segments])
  })
})

t.test('readBody', async t => {
  t.test('returns the body without its length prefix, undecoded', async t => {
    const frame = sampleFrames[1]
    const bytes = encodeFrame(frame)
    const decoder = new FrameDecoder()
    decoder.push(bytes)
    const body = decoder.readBody()
    t.ok(body)
    t.same(Buffer.from(body as Uint8Array), Buffer.from(bytes.subarray(1)), 'one-byte prefix dropped')
    t.equal(decoder.readBody(), undefined)
    t.equal(decoder.bufferedBytes, 0)
  })

  t.test('returns undefined until the whole body is here', async t => {
    const bytes = encodeFrame(messageFrame(1, Buffer.alloc(500, 9)))
    const decoder = new FrameDecoder()
    decoder.push(bytes.subarray(0, 2))
    t.equal(decoder.readBody(), undefined, 'prefix only')
    decoder.push(bytes.subarray(2, 100))
    t.equal(decoder.readBody(), undefined, 'part of the body')
    decoder.push(bytes.subarray(100))
    t.equal(decoder.readBody()?.length, bytes.length - 2, 'two-byte prefix dropped')
  })

  t.test('does not decode, so a body that is not a Frame is still returned', async t => {
    const decoder = new FrameDecoder()
    decoder.push(Uint8Array.of(3, 0xff, 0xff, 0xff))
    t.same(Buffer.from(decoder.readBody() as Uint8Array), Buffer.from([0xff, 0xff, 0xff]))
  })

  t.test('an empty body is an empty array, not "need more bytes"', async t => {
    const decoder = new FrameDecoder()
    decoder.push(Uint8Array.of(0))
    t.equal(decoder.readBody()?.length, 0)
  })

  t.test('mixes with read() on the same stream', async t => {
    const decoder = new FrameDecoder()
    decoder.push(stream)
    t.same(decoder.read(), sampleFrames[0])
    t.same(Buffer.from(decoder.readBody() as Uint8Array), Buffer.from(encodeFrame(sampleFrames[1]).subarray(1)))
    t.same(drain(decoder), sampleFrames.slice(2))
  })
})
