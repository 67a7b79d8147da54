import { deepStrictEqual } from 'node:assert/strict'
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import t from 'tap'
import type { HeldMessage } from '../../src/core/message.js'
import { BY_REFERENCE_BYTES, MessageQueue } from '../../src/tower/queue.js'
import { messageId, messagePayload, newMessageRecord, type MessageRecord } from '../../src/wire/message-fast-path.js'

let counter = 0
function msg (bytes: number, label = `m${counter++}`): HeldMessage & { label: string } {
  const id = Buffer.alloc(16)
  id.write(label.slice(0, 16))
  return { id, payload: Buffer.alloc(bytes, 0x61), hops: 0, label }
}
// The queue keeps copies (packed records), so messages are told apart by content: the label is in the id.
const labelOf = (m: HeldMessage): string => Buffer.from(m.id).toString().replace(/\0+$/, '')
const labels = (messages: readonly HeldMessage[]): string[] => messages.map(labelOf)
const EMPTY_PAYLOAD = Buffer.alloc(0)
const content = (m: HeldMessage | undefined): unknown => m === undefined ? undefined : { id: Buffer.from(m.id), payload: Buffer.from(m.payload), hops: m.hops }

t.test('first in, first out', async t => {
  const q = new MessageQueue(100, 1_000_000)
  t.equal(q.length, 0)
  t.equal(q.shift(), undefined, 'an empty queue shifts nothing')
  t.equal(q.peekHead(), undefined)
  const all = ['a', 'b', 'c', 'd'].map(label => msg(10, label))
  for (const m of all) t.ok(q.push(m))
  t.equal(q.length, 4)
  t.equal(q.bytes, 40)
  t.same(content(q.peekHead()), content(all[0]), 'peekHead shows the oldest')
  t.equal(q.length, 4, 'peekHead takes nothing')
  t.same(labels(q.snapshot()), ['a', 'b', 'c', 'd'], 'snapshot in order')
  t.same(content(q.shift()), content(all[0]))
  t.same(content(q.shift()), content(all[1]))
  q.push(msg(5, 'e'))
  t.same(labels(q.snapshot()), ['c', 'd', 'e'])
  t.equal(q.bytes, 25, 'bytes follow shifts and pushes')
  t.same(labels(q.takeAll()), ['c', 'd', 'e'], 'takeAll in order')
  t.equal(q.length, 0)
  t.equal(q.bytes, 0)
  t.equal(q.shift(), undefined)
})

t.test('FIFO holds across compaction of a long queue', async t => {
  const q = new MessageQueue(1_000_000, 1_000_000_000)
  const n = 10_000
  for (let i = 0; i < n; i++) q.push(msg(1, `x${i}`))
  let expected = 0
  let ok = true
  // Interleave shifts and pushes so the internal head moves past the compaction point many times.
  for (let round = 0; round < 3 * n; round++) {
    const m = q.shift()
    if (m === undefined || labels([m])[0] !== `x${expected}`) {
      ok = false
      t.fail(`shift ${round}: got ${m === undefined ? 'nothing' : labels([m])[0]}, expected x${expected}`)
      break
    }
    expected++
    if (round % 2 === 0) q.push(msg(1, `x${n + Math.floor(round / 2)}`))
    if (q.length === 0) break
  }
  t.ok(ok, `order kept over ${expected} shifts`)
  t.equal(q.bytes, q.length, 'byte count matches what is left')
})

t.test('the message limit', async t => {
  const q = new MessageQueue(3, 1_000_000)
  t.ok(q.push(msg(1)))
  t.ok(q.push(msg(1)))
  t.ok(q.fits(1))
  t.ok(q.push(msg(1)))
  t.notOk(q.fits(0), 'a full queue fits not even an empty message')
  const before = q.snapshot()
  t.notOk(q.push(msg(0, 'extra')), 'the fourth message is refused')
  t.equal(q.length, 3, 'nothing was added')
  t.same(q.snapshot(), before)
  q.shift()
  t.ok(q.push(msg(1)), 'room again after a shift')
})

t.test('the byte limit', async t => {
  const q = new MessageQueue(100, 100)
  t.ok(q.push(msg(60)))
  t.ok(q.fits(40), 'exactly up to the limit fits')
  t.notOk(q.fits(41))
  t.notOk(q.push(msg(41, 'big')), 'one byte over is refused')
  t.equal(q.bytes, 60, 'a refused message adds no bytes')
  t.ok(q.push(msg(40)))
  t.equal(q.bytes, 100)
  t.notOk(q.push(msg(1)), 'full in bytes')
  t.ok(q.push(msg(0)), 'an empty payload still fits when bytes are full but messages are not')
  t.equal(q.length, 3)
  const big = new MessageQueue(100, 100)
  t.notOk(big.push(msg(101)), 'a single message over the byte limit never fits, even in an empty queue')
  t.equal(big.length, 0)
})

t.test('returnToFront puts returned messages first, in their order', async t => {
  const q = new MessageQueue(100, 10_000)
  for (const label of ['a', 'b', 'c', 'd', 'e']) q.push(msg(10, label))
  const sent = [q.shift(), q.shift(), q.shift()] as HeldMessage[]
  t.same(labels(sent), ['a', 'b', 'c'])
  q.push(msg(10, 'f'))
  // b and c come back (say a was acknowledged): they were queued before d, e, f.
  q.returnToFront([sent[1] as HeldMessage, sent[2] as HeldMessage])
  t.same(labels(q.snapshot()), ['b', 'c', 'd', 'e', 'f'], 'returned first, in their order, then the rest')
  t.equal(q.bytes, 50, 'their bytes are counted again')
  q.returnToFront([])
  t.same(labels(q.snapshot()), ['b', 'c', 'd', 'e', 'f'], 'returning nothing changes nothing')
  t.same(labels([q.shift() as HeldMessage, q.shift() as HeldMessage]), ['b', 'c'])
})

t.test('returnToFront ignores the limits: returned messages are never dropped', async t => {
  const q = new MessageQueue(2, 20)
  q.push(msg(10, 'a'))
  q.push(msg(10, 'b'))
  const a = q.shift() as HeldMessage
  q.push(msg(10, 'c'))
  t.notOk(q.fits(0), 'full again')
  q.returnToFront([a])
  t.equal(q.length, 3, 'the returned message is back although the queue was full')
  t.equal(q.bytes, 30)
  t.same(labels(q.snapshot()), ['a', 'b', 'c'])
  t.notOk(q.push(msg(0, 'd')), 'and new messages are refused while over the limit')
  q.shift()
  t.notOk(q.fits(0), 'still at the limit after one shift')
  q.shift()
  t.ok(q.fits(10), 'below the limit again')
})

t.test('returnToFront after many shifts keeps everything', async t => {
  const q = new MessageQueue(100_000, 100_000_000)
  for (let i = 0; i < 3000; i++) q.push(msg(1, `y${i}`))
  const taken: HeldMessage[] = []
  for (let i = 0; i < 2000; i++) taken.push(q.shift() as HeldMessage)
  q.returnToFront(taken.slice(1500))
  const all = labels(q.snapshot())
  t.equal(all.length, 1500)
  t.equal(all[0], 'y1500')
  t.equal(all[499], 'y1999')
  t.equal(all[500], 'y2000')
  t.equal(all[1499], 'y2999')
  t.equal(q.bytes, 1500)
})

t.test('packed records: across slabs, larger than a slab, and never overwritten while viewed', async t => {
  // Digests, not the bytes: deep-comparing megabyte buffers is slow.
  const digest = (m: HeldMessage): string => `${labelOf(m)}/${m.hops}/${m.payload.length}/${createHash('sha1').update(m.payload).digest('hex')}`
  const q = new MessageQueue(1_000_000, 1_000_000_000)
  const sizes = [0, 1, 100_000, 200_000, 300_000, 5, 1_000_000, 70_000, 0, 250_000]
  const sent = sizes.map((bytes, i) => ({ id: Buffer.alloc(16, 0x41 + i), payload: Buffer.alloc(bytes, i + 1), hops: i * 1000 }))
  for (const m of sent) t.ok(q.push(m))
  t.equal(q.bytes, sizes.reduce((a, b) => a + b, 0))
  t.same(q.snapshot().map(digest), sent.map(digest), 'snapshot reads every record, across slabs, in order')
  const taken = q.takeAll()
  t.same(taken.map(digest), sent.map(digest), 'they come out in order, bytes intact')
  t.equal(q.length, 0)
  t.equal(q.bytes, 0)
  // Pushing and taking a lot more must never write over bytes a taken message still views.
  for (let round = 0; round < 50; round++) {
    q.push({ id: Buffer.alloc(16, 0x7a), payload: Buffer.alloc(60_000, 0xee), hops: 1 })
    q.shift()
  }
  t.same(taken.map(digest), sent.map(digest), 'messages taken out keep their bytes')
})

t.test('small payloads are copied into the queue; large ones are held as they are', async t => {
  const q = new MessageQueue(10, 1_000_000)
  const small = msg(BY_REFERENCE_BYTES - 1, 'small')
  const large = msg(BY_REFERENCE_BYTES, 'large')
  q.push(small)
  q.push(large)
  small.payload.fill(0x62)
  t.equal(q.shift()?.payload[0], 0x61, 'a small payload changed by its owner after push is unchanged in the queue')
  t.equal(q.shift()?.payload, large.payload, 'a large payload comes out as the very buffer pushed')
})

t.test('pushRecord copies a message out of the bytes it lies in, as push() holds it', async t => {
  // A message as a frame would have it: id and payload at offsets in a larger buffer (a socket chunk).
  const lay = (m: HeldMessage): MessageRecord => {
    const chunk = Buffer.alloc(40 + m.payload.length, 0xee)
    m.id.copy(chunk, 7)
    m.payload.copy(chunk, 30)
    return { ...newMessageRecord(), seq: 1, hops: m.hops, idBytes: chunk, idStart: 7, idLength: 16, payloadBytes: chunk, payloadStart: 30, payloadLength: m.payload.length }
  }
  for (const bytes of [0, 1, 100, BY_REFERENCE_BYTES - 1, BY_REFERENCE_BYTES, 70_000]) {
    const pushed = new MessageQueue(10, 1_000_000)
    const recorded = new MessageQueue(10, 1_000_000)
    const m = msg(bytes)
    m.payload.forEach((_, i) => { m.payload[i] = i & 0xff })
    pushed.push({ ...m, hops: 3 })
    const record = lay(m)
    t.ok(recorded.pushRecord(record, 3), `${bytes} B: taken`)
    ;(record.idBytes as Buffer).fill(0)
    t.same(content(recorded.shift()), content(pushed.shift()), `${bytes} B: the same message comes out, unchanged by later writes to its source`)
    t.equal(recorded.bytes, 0)
  }
  const full = new MessageQueue(1, 1_000_000)
  t.ok(full.pushRecord(lay(msg(10)), 0))
  t.notOk(full.pushRecord(lay(msg(10)), 0), 'false when full, as push()')
  t.equal(full.length, 1)
})

t.test('shiftRecord takes the head out as places in memory that stay unchanged, in the order shift() would', async t => {
  const viaShift = new MessageQueue(100, 10_000_000)
  const viaRecord = new MessageQueue(1000, 10_000_000)
  const sizes = [0, 5, 100, BY_REFERENCE_BYTES - 1, BY_REFERENCE_BYTES, 70_000]
  for (const [i, bytes] of sizes.entries()) {
    const m = msg(bytes)
    m.hops = i
    viaShift.push(m)
    viaRecord.push(m)
  }
  const returned = [msg(7, 'returned')]
  viaShift.returnToFront(returned)
  viaRecord.returnToFront(returned)
  const record = newMessageRecord()
  const taken: unknown[] = []
  for (let i = 0; i < sizes.length + returned.length; i++) {
    const length = viaRecord.headLength()
    t.ok(viaRecord.shiftRecord(record))
    t.equal(record.payloadLength, length, 'headLength() is the length of what shiftRecord() takes')
    taken.push({ id: Buffer.from(messageId(record)), payload: Buffer.from(messagePayload(record)), hops: record.hops })
    // Later pushes must not write over what a record points at (it may be in flight).
    for (let j = 0; j < 50; j++) viaRecord.push(msg(100, 'later'))
    t.same(content({ id: messageId(record), payload: messagePayload(record), hops: record.hops }), taken.at(-1), 'its bytes stay as they were')
  }
  t.equal(viaRecord.length, 50 * (sizes.length + returned.length), 'only the later ones are left')
  while (viaRecord.shiftRecord(record)) t.equal(labelOf({ id: messageId(record), payload: EMPTY_PAYLOAD, hops: 0 }), 'later')
  const expected: unknown[] = []
  for (let m = viaShift.shift(); m !== undefined; m = viaShift.shift()) expected.push(content(m))
  t.same(taken, expected, 'the same messages in the same order as shift()')
  t.notOk(viaRecord.shiftRecord(record), 'false once empty')
  t.equal(viaRecord.bytes, 0)
  t.equal(viaRecord.headLength(), -1)
})

t.test('any mix of sizes, pushes, shifts and returns keeps the queue in order (model check)', async t => {
  const size = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: BY_REFERENCE_BYTES - 2, max: BY_REFERENCE_BYTES + 2 }), fc.integer({ min: 60_000, max: 300_000 }))
  const step = fc.oneof(size.map(bytes => ({ op: 'push' as const, bytes })), fc.constant({ op: 'shift' as const }), fc.nat(4).map(n => ({ op: 'return' as const, n })))
  fc.assert(fc.property(fc.array(step, { maxLength: 120 }), steps => {
    const q = new MessageQueue(1_000_000, 1_000_000_000)
    let model: string[] = []
    const out: HeldMessage[] = []
    const expectPayload = (m: HeldMessage): void => {
      const label = labelOf(m)
      const fill = Number(label.slice(1)) % 251
      if (m.payload.length > 0 && (m.payload[0] !== fill || m.payload[m.payload.length - 1] !== fill)) throw new Error(`${label} has the wrong bytes`)
    }
    steps.forEach((s, i) => {
      if (s.op === 'push') {
        q.push({ id: Buffer.from(`p${i}`.padEnd(16, '\0')), payload: Buffer.alloc(s.bytes, i % 251), hops: i })
        model.push(`p${i}`)
      } else if (s.op === 'shift') {
        const m = q.shift()
        if (labels(m === undefined ? [] : [m])[0] !== model.shift()) throw new Error(`step ${i}: out of order`)
        if (m !== undefined) { expectPayload(m); out.push(m) }
      } else {
        const back = out.splice(Math.max(0, out.length - s.n))
        q.returnToFront(back)
        model = [...labels(back), ...model]
      }
      deepStrictEqual(labels(q.snapshot()), model)
      q.snapshot().forEach(expectPayload)
    })
  }), { numRuns: 300 })
  t.pass('300 runs')
})
