import { ok, strictEqual } from 'node:assert/strict'
import fc from 'fast-check'
import t from 'tap'
import { ClacksError, type ClacksErrorCode } from '../../src/errors.js'
import { DEFAULT_MAX_FRAME_BYTES, FrameBatch, FrameDecoder, MAX_LENGTH_PREFIX_BYTES } from '../../src/wire/index.js'
import { cutsArb, frameArb, splitAt } from './fixtures/arbitraries.js'
import { mutate, mutationArb } from './fixtures/mutations.js'

const DECODER_CODES = new Set<ClacksErrorCode>([
  'CLACKS_ERR_VARINT_TOO_LONG',
  'CLACKS_ERR_FRAME_TOO_LARGE',
  'CLACKS_ERR_MALFORMED_FRAME'
])

// Small limits reach FrameTooLargeError often; the default keeps the real bound honest.
const maxFrameBytesArb = fc.oneof(fc.constant(DEFAULT_MAX_FRAME_BYTES), fc.integer({ min: 0, max: 600 }))

/**
 * Feeds chunks to a decoder, reading everything after each push, and checks
 * the decoder's promises: only typed decoder errors, the same error forever
 * after the first, and never more buffered than one frame, one prefix and
 * the chunk just pushed. Returns the error code met, if any.
 */
function decodeHostile (chunks: Uint8Array[], maxFrameBytes: number): ClacksErrorCode | undefined {
  const decoder = new FrameDecoder({ maxFrameBytes })
  let failure: unknown
  for (const chunk of chunks) {
    decoder.push(chunk)
    const bound = maxFrameBytes + MAX_LENGTH_PREFIX_BYTES + chunk.length
    ok(decoder.bufferedBytes <= bound, `buffered ${decoder.bufferedBytes} after a push, over ${bound}`)
    try {
      while (decoder.read() !== undefined);
      strictEqual(failure, undefined, 'a failed decoder returned instead of raising')
    } catch (error) {
      ok(error instanceof ClacksError, `not a ClacksError: ${String(error)}`)
      ok(DECODER_CODES.has(error.code), `unexpected code ${error.code}`)
      if (failure !== undefined) strictEqual(error, failure, 'a later read raised a different error')
      failure = error
    }
    ok(decoder.bufferedBytes <= bound, `buffered ${decoder.bufferedBytes} after reading, over ${bound}`)
  }
  return (failure as ClacksError | undefined)?.code
}

function encodeAll (frames: Parameters<FrameBatch['add']>[0][]): Uint8Array {
  const batch = new FrameBatch()
  for (const frame of frames) batch.add(frame)
  return batch.finish()
}

t.test('random bytes raise only typed decoder errors and stay within the buffer bound', async t => {
  const seen = new Set<string>()
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), cutsArb, maxFrameBytesArb, (bytes, cuts, maxFrameBytes) => {
      seen.add(decodeHostile(splitAt(bytes, cuts), maxFrameBytes) ?? 'none')
    }),
    { numRuns: 400 }
  )
  t.ok(seen.has('CLACKS_ERR_FRAME_TOO_LARGE'), `outcomes seen: ${[...seen].join(', ')}`)
})

t.test('valid streams with flipped, inserted and deleted bytes raise only typed decoder errors', async t => {
  const seen = new Set<string>()
  fc.assert(
    fc.property(
      fc.array(frameArb, { minLength: 1, maxLength: 6 }),
      fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
      cutsArb,
      maxFrameBytesArb,
      (frames, mutations, cuts, maxFrameBytes) => {
        const bytes = mutate(encodeAll(frames), mutations)
        seen.add(decodeHostile(splitAt(bytes, cuts), maxFrameBytes) ?? 'none')
      }
    ),
    { numRuns: 400 }
  )
  // Each kind of failure must be reached, or the property proves less than it claims.
  for (const code of DECODER_CODES) t.ok(seen.has(code), `reached ${code}`)
  t.ok(seen.has('none'), 'some damaged streams still decode (damage inside a payload)')
})

t.test('a decoder fed one byte at a time obeys the same rules', async t => {
  fc.assert(
    fc.property(fc.array(frameArb, { minLength: 1, maxLength: 3 }), fc.array(mutationArb, { maxLength: 3 }), (frames, mutations) => {
      const bytes = mutate(encodeAll(frames), mutations)
      const chunks = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1))
      decodeHostile(chunks, DEFAULT_MAX_FRAME_BYTES)
    }),
    { numRuns: 150 }
  )
  t.pass('150 runs')
})
