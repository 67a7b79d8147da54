import t from 'tap'
import { encodeFrame, FrameDecoder } from '../../src/wire/index.js'
import type { Frame } from '../../src/gen/clacks/v1/frame.js'

const ack: Frame = { kind: { $case: 'ack', value: { seq: 7 } } }

t.test('decodes a frame pushed one byte at a time', async t => {
  const bytes = encodeFrame(ack)
  const decoder = new FrameDecoder()
  for (let i = 0; i < bytes.length - 1; i++) {
    decoder.push(bytes.subarray(i, i + 1))
    t.equal(decoder.read(), undefined, `no frame after ${i + 1} bytes`)
  }
  decoder.push(bytes.subarray(bytes.length - 1))
  t.same(decoder.read(), ack)
  t.equal(decoder.bufferedBytes, 0)
})
