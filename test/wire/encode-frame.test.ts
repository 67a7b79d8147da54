import t from 'tap'
import { BinaryWriter } from '@bufbuild/protobuf/wire'
import { Frame } from '../../src/gen/clacks/v1/frame.js'
import { encodeFrame } from '../../src/wire/index.js'

const announce = (port: number): Frame => ({ kind: { $case: 'announce', value: { tower: { hostname: 'a.example', port } } } })
const fresh = (frame: Frame): Uint8Array => Frame.encode(frame, new BinaryWriter().fork()).join().finish()

t.test('encodeFrame reuses its writer: frame after frame, and after one the encoder refused half-way, each comes out as a fresh writer makes it', async t => {
  const big: Frame = { kind: { $case: 'goodbye', value: { reason: 1, detail: 'x'.repeat(10_000) } } }
  for (const frame of [announce(1), big, announce(65535), announce(2)]) t.same(Buffer.from(encodeFrame(frame)), Buffer.from(fresh(frame)))
  t.throws(() => encodeFrame(announce(2 ** 33)), 'a port beyond uint32 stops the encoder')
  t.same(Buffer.from(encodeFrame(announce(7))), Buffer.from(fresh(announce(7))), 'nothing of the refused frame leaks into the next')
})
