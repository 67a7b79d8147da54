import t, { type Test } from 'tap'
import { BinaryWriter } from '@bufbuild/protobuf/wire'
import { ClacksError } from '../../src/errors.js'
import { decodeFrameBody, DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameDecoder } from '../../src/wire/index.js'
import { ackFrame, concatBytes, messageFrame, varint } from './fixtures/frames.js'

/** The error the decoder raises on its next read(), or undefined when it raises none. */
function readError (decoder: FrameDecoder): unknown {
  try {
    decoder.read()
  } catch (error) {
    return error
  }
  return undefined
}

/** A length prefix followed by a body. */
function delimited (body: Uint8Array): Uint8Array {
  return concatBytes([varint(body.length), body])
}

/** Asserts the error is final: reads and readBody() raise the same error, and new bytes are dropped. */
function assertFinal (t: Test, decoder: FrameDecoder, error: unknown): void {
  t.equal(readError(decoder), error, 'read() raises the same error again')
  t.throws(() => decoder.readBody(), error as Error, 'readBody() raises it too')
  decoder.push(encodeFrame(ackFrame(1)))
  t.equal(readError(decoder), error, 'a valid frame pushed after it does not revive the stream')
  t.equal(decoder.bufferedBytes, 0, 'nothing is kept once failed')
}

t.test('a length prefix longer than five bytes', async t => {
  t.test('raises CLACKS_ERR_VARINT_TOO_LONG at the fifth continuation byte', async t => {
    const decoder = new FrameDecoder()
    for (let i = 0; i < 4; i++) {
      decoder.push(Uint8Array.of(0x80))
      t.equal(decoder.read(), undefined, `${i + 1} continuation bytes: still waiting`)
    }
    decoder.push(Uint8Array.of(0x80))
    const error = readError(decoder)
    t.type(error, ClacksError)
    t.equal((error as ClacksError).code, 'CLACKS_ERR_VARINT_TOO_LONG')
    assertFinal(t, decoder, error)
  })

  t.test('raises it even when more bytes follow in the same chunk', async t => {
    const decoder = new FrameDecoder()
    decoder.push(Uint8Array.of(0x81, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01, 0x02))
    t.equal((readError(decoder) as ClacksError).code, 'CLACKS_ERR_VARINT_TOO_LONG')
  })

  t.test('a five-byte prefix that ends is accepted, even if not minimal', async t => {
    const body = encodeFrame(ackFrame(9)).subarray(1)
    const decoder = new FrameDecoder()
    decoder.push(concatBytes([Uint8Array.of(0x80 | body.length, 0x80, 0x80, 0x80, 0x00), body]))
    t.same(decoder.read(), ackFrame(9))
  })
})

t.test('a declared length over maxFrameBytes', async t => {
  t.test('raises CLACKS_ERR_FRAME_TOO_LARGE as soon as the prefix is complete, before any body', async t => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1000 })
    const prefix = varint(1001)
    decoder.push(prefix.subarray(0, 1))
    t.equal(decoder.read(), undefined, 'half a prefix: waiting')
    t.equal(decoder.bufferedBytes, 1)
    decoder.push(prefix.subarray(1))
    const error = readError(decoder)
    t.type(error, ClacksError)
    t.equal((error as ClacksError).code, 'CLACKS_ERR_FRAME_TOO_LARGE')
    t.match(error, { length: 1001, limit: 1000 })
    t.equal(decoder.bufferedBytes, 0)
    assertFinal(t, decoder, error)
  })

  t.test('the default limit refuses one byte more than DEFAULT_MAX_FRAME_BYTES with no body sent', async t => {
    const decoder = new FrameDecoder()
    t.equal(decoder.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES)
    decoder.push(varint(DEFAULT_MAX_FRAME_BYTES + 1))
    t.equal((readError(decoder) as ClacksError).code, 'CLACKS_ERR_FRAME_TOO_LARGE')
  })

  t.test('a length of exactly the limit waits for its body, buffering only the prefix', async t => {
    const decoder = new FrameDecoder()
    const prefix = varint(DEFAULT_MAX_FRAME_BYTES)
    decoder.push(prefix)
    t.equal(decoder.read(), undefined)
    t.equal(decoder.bufferedBytes, prefix.length)
  })

  t.test('the largest five-byte length is too large, not too long', async t => {
    const decoder = new FrameDecoder()
    decoder.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x7f))
    const error = readError(decoder)
    t.equal((error as ClacksError).code, 'CLACKS_ERR_FRAME_TOO_LARGE')
    t.match(error, { length: 2 ** 35 - 1 })
  })

  t.test('raises it when the oversized frame follows good ones in the same chunk', async t => {
    const decoder = new FrameDecoder({ maxFrameBytes: 100 })
    decoder.push(concatBytes([encodeFrame(ackFrame(1)), varint(101), new Uint8Array(101)]))
    t.same(decoder.read(), ackFrame(1))
    t.equal((readError(decoder) as ClacksError).code, 'CLACKS_ERR_FRAME_TOO_LARGE')
  })

  t.test('a frame of exactly maxFrameBytes is read', async t => {
    const frame = messageFrame(1, Buffer.alloc(200, 1))
    const body = encodeFrame(frame).subarray(2)
    const decoder = new FrameDecoder({ maxFrameBytes: body.length })
    decoder.push(encodeFrame(frame))
    t.same(decoder.read(), frame)
  })
})

t.test('bytes that are not a valid Frame raise CLACKS_ERR_MALFORMED_FRAME', async t => {
  const cases: Array<[string, number[]]> = [
    ['a submessage longer than the body', [0x1a, 0x05, 0x08, 0x01]],
    ['a truncated varint', [0x22, 0x02, 0x08, 0x80]],
    ['wire type 6, which does not exist', [0x0e]],
    ['wire type 7, which does not exist', [0x0f, 0x00]],
    ['an unterminated group', [0x0b]],
    ['a bytes field longer than the body', [0x1a, 0x03, 0x12, 0x7f, 0x00]]
  ]
  for (const [name, body] of cases) {
    const decoder = new FrameDecoder()
    decoder.push(delimited(Uint8Array.from(body)))
    const error = readError(decoder)
    t.type(error, ClacksError, name)
    t.equal((error as ClacksError).code, 'CLACKS_ERR_MALFORMED_FRAME', name)
    assertFinal(t, decoder, error)
  }
})

t.test('a sequence number above 2^53 - 1 is malformed', async t => {
  // The generated decoder cannot hold it in a number; the schema forbids it.
  const body = new BinaryWriter()
  body.uint32(34).fork().uint32(8).uint64(2n ** 53n).join()
  const decoder = new FrameDecoder()
  decoder.push(delimited(body.finish()))
  const error = readError(decoder)
  t.equal((error as ClacksError).code, 'CLACKS_ERR_MALFORMED_FRAME')
  t.ok((error as Error).cause, 'the codec error is kept as the cause')
})

t.test('a frame with no kind set is malformed', async t => {
  const cases: Array<[string, number[]]> = [
    ['an empty body', []],
    ['only an unknown field number (99, varint)', [0x98, 0x06, 0x01]],
    ['only the next kind number (8), unknown to this version', [0x42, 0x00]]
  ]
  for (const [name, body] of cases) {
    const decoder = new FrameDecoder()
    decoder.push(concatBytes([delimited(Uint8Array.from(body)), encodeFrame(ackFrame(1))]))
    const error = readError(decoder)
    t.equal((error as ClacksError).code, 'CLACKS_ERR_MALFORMED_FRAME', name)
    assertFinal(t, decoder, error)
  }
})

t.test('an unknown field beside a known kind is skipped', async t => {
  // Forward compatibility: a newer tower may add fields.
  const body = concatBytes([encodeFrame(ackFrame(5)).subarray(1), Uint8Array.of(0x98, 0x06, 0x01)])
  const decoder = new FrameDecoder()
  decoder.push(delimited(body))
  t.same(decoder.read(), ackFrame(5))
})

t.test('decodeFrameBody raises the same typed errors on a bare body', async t => {
  t.throws(() => decodeFrameBody(new Uint8Array(0)), { code: 'CLACKS_ERR_MALFORMED_FRAME' })
  t.throws(() => decodeFrameBody(Uint8Array.of(0x1a, 0x05)), { code: 'CLACKS_ERR_MALFORMED_FRAME' })
  t.same(decodeFrameBody(encodeFrame(ackFrame(3)).subarray(1)), ackFrame(3))
})

t.test('an error stops the frames after it, even those already buffered', async t => {
  const decoder = new FrameDecoder()
  decoder.push(concatBytes([encodeFrame(ackFrame(1)), delimited(Uint8Array.of(0x0e)), encodeFrame(ackFrame(2))]))
  t.same(decoder.read(), ackFrame(1))
  const error = readError(decoder)
  t.equal((error as ClacksError).code, 'CLACKS_ERR_MALFORMED_FRAME')
  t.equal(readError(decoder), error, 'the ack behind it is never returned')
})

t.test('a zero tag or a stray end-group tag ending a Frame early is malformed', async t => {
  const ackBody = encodeFrame(ackFrame(7)).subarray(1)
  const cases: Array<[string, Uint8Array]> = [
    ['tag 0 after a whole Frame, then junk', concatBytes([ackBody, Uint8Array.of(0x00, 0xff, 0xff, 0xff)])],
    ['end-group tag (field 1, wire type 4) after a whole Frame', concatBytes([ackBody, Uint8Array.of(0x0c, 0xff)])]
  ]
  for (const [name, body] of cases) {
    t.throws(() => decodeFrameBody(body), { code: 'CLACKS_ERR_MALFORMED_FRAME' }, name)
  }
})

t.test('a zero tag, a group or a stray end-group tag inside a nested message is malformed', async t => {
  const cases: Array<[string, number[]]> = [
    // Frame.message { seq: 1, <tag 0> }: the zero tag ends the nested message exactly at its end.
    ['a zero tag last in a Message', [0x1a, 0x03, 0x08, 0x01, 0x00]],
    // Frame.hello { tower: { port: 1, <tag 0> } }
    ['a zero tag in a Hello\'s TowerDescriptor', [0x0a, 0x05, 0x12, 0x03, 0x10, 0x01, 0x00]],
    // Frame.goodbye { <start group, field 9> <end group, field 9> }
    ['a group in a Goodbye', [0x3a, 0x02, 0x4b, 0x4c]],
    // Frame.ack { <end group, field 1> }
    ['an end-group tag in an Ack', [0x22, 0x01, 0x0c]],
    // Frame.refusal { field 3 with wire type 7 }
    ['wire type 7 in a Refusal', [0x2a, 0x01, 0x1f]],
    // Frame.announce { tower: { hostname: length 5 but 1 byte left } }
    ['a length past its message in an Announce\'s TowerDescriptor', [0x32, 0x04, 0x0a, 0x02, 0x0a, 0x05]]
  ]
  for (const [name, bytes] of cases) {
    t.throws(() => decodeFrameBody(Uint8Array.from(bytes)), { code: 'CLACKS_ERR_MALFORMED_FRAME' }, name)
  }
  // An unknown field in a nested message is still skipped, as protobuf requires: field 15, varint.
  t.same(decodeFrameBody(Uint8Array.of(0x22, 0x04, 0x08, 0x07, 0x78, 0x01)), { kind: { $case: 'ack', value: { seq: 7 } } })
})
