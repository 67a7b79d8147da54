import { deepStrictEqual } from 'node:assert/strict'
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import t from 'tap'
import { Frame } from '../../src/gen/clacks/v1/frame.js'
import { FrameBatch } from '../../src/wire/encoder.js'
import { decodeAckFrame, decodeMessageFrame } from '../../src/wire/message-fast-path.js'
import { frameArb } from './fixtures/arbitraries.js'

/** What the generated decoder makes of a body, or 'error' when it refuses it. */
function generated (body: Uint8Array): Frame | 'error' {
  try {
    return Frame.decode(body)
  } catch {
    return 'error'
  }
}

const messageArb = frameArb.filter(frame => frame.kind?.$case === 'message')
const ackArb = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 127 }), fc.maxSafeNat()).map(seq => ({ kind: { $case: 'ack' as const, value: { seq } } }))

// Damage a valid body: flip, insert or delete bytes, or truncate it.
const mutationArb = fc.array(fc.tuple(fc.constantFrom('flip', 'insert', 'delete', 'truncate'), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })

function mutate (body: Uint8Array, mutations: Array<[string, number, number]>): Uint8Array {
  let bytes = Array.from(body)
  for (const [how, at, value] of mutations) {
    const i = bytes.length === 0 ? 0 : at % bytes.length
    if (how === 'flip') bytes[i] = value
    else if (how === 'insert') bytes.splice(i, 0, value)
    else if (how === 'delete') bytes.splice(i, 1)
    else bytes = bytes.slice(0, i)
  }
  return Uint8Array.from(bytes)
}

t.test('the fast Message decoder takes every Message frame our encoder writes', async t => {
  fc.assert(fc.property(messageArb, frame => {
    deepStrictEqual(decodeMessageFrame(Frame.encode(frame).finish()), frame)
  }), { numRuns: 300 })
  t.pass('300 runs')
})

/** Damaged bodies of `frames`: wherever `decode` takes one, it must read what the generated decoder reads. Returns how many it took. */
function agreesOnDamage (frames: fc.Arbitrary<Frame>, decode: (body: Uint8Array) => Frame | undefined): number {
  let accepted = 0
  fc.assert(fc.property(frames, mutationArb, (frame, mutations) => {
    const body = mutate(Frame.encode(frame).finish(), mutations)
    const fast = decode(body)
    if (fast === undefined) return
    accepted++
    deepStrictEqual(fast, generated(body))
  }), { numRuns: 3000 })
  return accepted
}

t.test('wherever the fast decoder accepts damaged bytes, it agrees with the generated decoder', async t => {
  const accepted = agreesOnDamage(messageArb, decodeMessageFrame)
  t.ok(accepted > 20, `the fast path took ${accepted} damaged bodies and agreed on each`)
})

t.test('the fast Ack encoder writes the bytes the generated encoder does, and the fast decoder reads them back', async t => {
  fc.assert(fc.property(ackArb, frame => {
    const reference = Frame.encode(frame).finish()
    const written = new FrameBatch().add(frame).finish()
    deepStrictEqual(Buffer.from(written.subarray(1)), Buffer.from(reference))
    t.equal(written[0], reference.length)
    deepStrictEqual(decodeAckFrame(reference), frame)
  }), { numRuns: 300 })
})

t.test('wherever the fast Ack decoder accepts damaged bytes, it agrees with the generated decoder', async t => {
  const accepted = agreesOnDamage(ackArb, decodeAckFrame)
  t.ok(accepted > 20, `the fast path took ${accepted} damaged bodies and agreed on each`)
})

t.test('friends: the same bytes give the same frozen descriptor; hundreds of different ones each decode as they are', async t => {
  const frameNaming = (hostname: string, port: number, seq = 1): Uint8Array => Frame.encode({
    kind: { $case: 'message', value: { seq, id: Buffer.alloc(16, 1), payload: Buffer.from('x'), hops: 0, friend: { hostname, port } } }
  }).finish()
  const friendOf = (body: Uint8Array): unknown => {
    const frame = decodeMessageFrame(body)
    return frame?.kind?.$case === 'message' ? frame.kind.value.friend : undefined
  }
  const first = friendOf(frameNaming('tower-a.example', 7447))
  const again = friendOf(frameNaming('tower-a.example', 7447, 2))
  t.equal(again, first, 'one descriptor object for the same tower')
  t.ok(Object.isFrozen(first), 'and nobody can change it under the others')
  t.same(friendOf(frameNaming('tower-b.example', 7447)), { hostname: 'tower-b.example', port: 7447 }, 'same length, other bytes')
  t.same(friendOf(frameNaming('tower-a.example', 7448)), { hostname: 'tower-a.example', port: 7448 }, 'same hostname, other port')
  // More towers than the cache has slots, twice round: evictions and collisions never mix them up.
  const towers = Array.from({ length: 1000 }, (_, i) => ({ hostname: `t${i}.example`, port: 1000 + (i % 7) }))
  let wrong = 0
  for (let round = 0; round < 2; round++) {
    for (const tower of towers) if (!isDeepStrictEqual(friendOf(frameNaming(tower.hostname, tower.port)), tower)) wrong++
  }
  t.equal(wrong, 0, '2,000 decodes of 1,000 towers, each its own')
})
