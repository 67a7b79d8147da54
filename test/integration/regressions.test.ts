/**
 * Regressions: each test is named after a defect of the JavaScript prototype
 * (npm clacks-p2p 0.3.3) that this rebuild must not repeat.
 */
import { randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import type { ClacksMessage, PeerStatus, Tower, TowerOptions } from '../../src/index.js'
import { freePort, heldIds, settle, sleep, towerOn, waitFor } from '../helpers/towers.js'

const H1 = '127.0.0.2'
const H2 = '127.0.0.3'
const H3 = '127.0.0.4'

const tower = towerOn

function receipts (at: Tower): ClacksMessage[] {
  const got: ClacksMessage[] = []
  at.onMessageReceived(message => { got.push(message) })
  return got
}

const statusOf = (at: Tower, host: string, port: number): PeerStatus | undefined =>
  at.survey().find(p => p.hostname === host && p.port === port)?.status


/** Sends each payload from a fresh tower 1 to a paused tower 2 and returns what tower 2 got, by id. */
async function deliver (t: Test, payloads: Array<Uint8Array | string>, options: Partial<TowerOptions> = {}): Promise<Map<string, Buffer>> {
  const t1 = await tower(t, H1, options)
  const t2 = await tower(t, H2, options)
  t2.pause()
  const got = receipts(t2)
  t1.expand(H2, t2.port)
  const ids = payloads.map(payload => t1.enqueue(payload))
  await waitFor(() => got.length >= payloads.length, 10_000, `${payloads.length} messages to arrive`)
  t.same(got.map(m => m.id).sort(), [...ids].sort(), 'every message arrived once')
  return new Map(got.map(m => [m.id, Buffer.from(m.payload)]))
}

t.test('prototype: a large payload was mangled (JSON.parse of an array of chunks); 100 KB arrives byte-identical', async t => {
  const big = randomBytes(100 * 1024)
  const text = 'x'.repeat(100 * 1024 - 1) + 'é' // a 100 KB string that is one multi-byte character longer in UTF-8
  const got = await deliver(t, [big, text])
  const values = [...got.values()]
  t.ok(values.some(v => v.equals(big)), '100 KiB of random bytes arrive unchanged')
  t.ok(values.some(v => v.equals(Buffer.from(text, 'utf8'))), 'a 100 K-character string arrives unchanged')
})

t.test('the largest payload allowed (1 MiB) arrives; one byte more is refused at enqueue', async t => {
  const max = randomBytes(1024 * 1024)
  const got = await deliver(t, [max])
  t.ok([...got.values()][0]?.equals(max), '1 MiB arrives byte-identical')
  const t3 = await tower(t, H3)
  t.throws(() => t3.enqueue(Buffer.alloc(1024 * 1024 + 1)), { code: 'CLACKS_ERR_INVALID_PAYLOAD' })
  t.equal(t3.peek().length, 0)
})

t.test('prototype: Content-Length was the string length, so non-ASCII payloads broke; they arrive byte-identical', async t => {
  const texts = [
    'héllo, wörld ✓ — 🐢',
    '日本語のテキスト、中文文本、한국어',
    'e\u0301 (combining) and \u200d zero-width joiner 👩‍👩‍👧',
    'a NUL \u0000 inside, and \r\n line ends',
    'עברית ومرحبا',
    '🚀'.repeat(1000)
  ]
  const bytes = [
    Buffer.from([0x00, 0xff, 0xfe, 0x80, 0xc0, 0x0a, 0x0d, 0x7f]), // not UTF-8 at all
    new Uint8Array(0) // empty: the prototype dropped falsy messages at enqueue
  ]
  const got = await deliver(t, [...texts, ...bytes])
  const arrived = [...got.values()]
  for (const text of texts) {
    const expected = Buffer.from(text, 'utf8')
    t.ok(arrived.some(v => v.equals(expected)), `${JSON.stringify(text.slice(0, 20))} arrives byte-identical (${expected.length} bytes)`)
  }
  t.ok(arrived.some(v => v.equals(bytes[0] as Buffer)), 'arbitrary non-UTF-8 bytes arrive unchanged')
  t.ok(arrived.some(v => v.length === 0), 'an empty payload is a message too')
})

t.test('non-ASCII payloads stay byte-identical over several hops', async t => {
  const t1 = await tower(t, H1, { sendrate: 50 })
  const t2 = await tower(t, H2, { sendrate: 50 })
  const t3 = await tower(t, H3, { sendrate: 50 })
  t1.expand(H2, t2.port)
  t2.expand(H3, t3.port)
  t3.expand(H1, t1.port)
  const payload = Buffer.from('ça circule → ✉️ 🐢 ∞', 'utf8')
  const id = t1.enqueue(payload)
  const seen: ClacksMessage[] = []
  for (const at of [t1, t2, t3]) at.onMessageReceived(m => { seen.push(m) })
  await waitFor(() => seen.length >= 6, 10_000, 'six hops')
  t.ok(seen.every(m => m.id === id && Buffer.from(m.payload).equals(payload)), 'unchanged at every hop')
  t.same(seen.slice(0, 6).map(m => m.hops), [1, 2, 3, 4, 5, 6], 'the hop count grows by one per hand-off')
  await settle([t1, t2, t3])
  t.same(heldIds([t1, t2, t3]), [id])
})

t.test('prototype: with no peer at all a message was dequeued and lost; it stays queued', async t => {
  const t1 = await tower(t, H1, { drainTimeout: 300 })
  const id = t1.enqueue('nobody to give it to')
  await sleep(500)
  t.same(t1.peek().map(m => m.id), [id], 'still queued after half a second')
  t.equal(t1.stats().sent, 0, 'nothing was sent')
  const summary = await t1.close()
  t.same(summary, { left: 1 }, 'close() reports the message it could not hand over')
})

t.test('prototype: a failed send lost the message when the peer was unreachable; it stays with the sender', async t => {
  const nobody = await freePort(H2)
  const t1 = await tower(t, H1, { backoffInitial: 20, backoffMax: 50 })
  t1.expand(H2, nobody)
  const ids = [t1.enqueue('a'), t1.enqueue('b')]
  await waitFor(() => statusOf(t1, H2, nobody) === 'lost', 8000, 'the failed dial')
  await new Promise(resolve => setTimeout(resolve, 300)) // several more backoff intervals of redials
  t.equal(statusOf(t1, H2, nobody), 'lost', 'the unreachable tower is lost')
  t.equal(t1.stats().sent, 0, 'no message was ever handed to a tower that did not answer')
  t.same(t1.peek({ inFlight: true }).map(m => m.id).sort(), [...ids].sort(), 'both messages are still held')
  t.equal(t1.stats().acked, 0)
  // When a real tower turns up, they go to it.
  const t3 = await tower(t, H3)
  t3.pause()
  t1.expand(H3, t3.port)
  await waitFor(() => t3.peek().length === 2, 5000, 'the messages to reach the reachable tower')
  t.same(t3.peek().map(m => m.id).sort(), [...ids].sort())
  // The sender keeps custody until the acknowledgement arrives, a moment after the receiver queued them.
  await waitFor(() => t1.peek({ inFlight: true }).length === 0, 5000, 'the acknowledgement')
  t.equal(t1.peek({ inFlight: true }).length, 0, 'and the sender holds them no more')
})

t.test('a full peer refuses (QUEUE_FULL) and the message stays with the sender', async t => {
  const t1 = await tower(t, H1, { backoffInitial: 20, backoffMax: 50 })
  const t2 = await tower(t, H2, { maxQueueMessages: 1 })
  t2.pause()
  t2.enqueue('fills the queue')
  t1.expand(H2, t2.port)
  const id = t1.enqueue('no room for me')
  await waitFor(() => t1.stats().refused >= 1, 5000, 'a refusal')
  t.equal(t2.stats().queueFull >= 1, true, 'tower 2 counted its full queue')
  t.same(t1.peek({ inFlight: true }).map(m => m.id), [id], 'the refused message is still tower 1\'s')
  t.equal(t2.peek().length, 1, 'tower 2 took nothing')
})

t.test('prototype: lost became dead only on a failed send; a lost tower nobody sends to still dies after killtimeout', async t => {
  const killtimeout = 400
  const nobody = await freePort(H2)
  const t1 = await tower(t, H1, { killtimeout, backoffInitial: 5000, backoffMax: 10_000 })
  t1.expand(H2, nobody)
  t1.enqueue('probe')
  await waitFor(() => statusOf(t1, H2, nobody) === 'lost', 5000, 'the unreachable tower to be lost')
  // Give the message somewhere else to go: afterwards nothing is sent to the lost tower (long backoff, empty queue).
  const t3 = await tower(t, H3)
  t3.pause()
  t1.expand(H3, t3.port)
  await waitFor(() => t1.peek({ inFlight: true }).length === 0, 5000, 'the message to move on')
  const sentBefore = t1.stats().sent
  await waitFor(() => statusOf(t1, H2, nobody) === 'dead', killtimeout + 3000, 'the lost tower to die by the clock alone')
  t.equal(t1.stats().sent, sentBefore, 'with no send attempt in between')
})

t.test('prototype: init() ignored killtimeout and falsy overrides; every option given is the option used', async t => {
  const t1 = await tower(t, H1, { killtimeout: 1234, sendrate: 0.5 })
  t.equal(t1.options.killtimeout, 1234)
  t.equal(t1.options.sendrate, 0.5)
  t.ok(t1.port > 0, 'port 0 means "any free port", not "the default 8080"')
  t.not(t1.port, 8080)
})

t.test('a message no peer can take does not hold up the messages behind it', async t => {
  const t1 = await tower(t, H1)
  const t2 = await tower(t, H2, { maxPayloadBytes: 1000 }) // reads frames of at most 1000 + 1024 bytes
  t2.pause()
  t1.expand(H2, t2.port)
  t1.enqueue('first')
  await waitFor(() => t2.peek().length === 1, 5000, 'a first message to connect the two')
  const big = t1.enqueue(Buffer.alloc(5000)) // over tower 2's frame limit: it must wait for another tower
  const small = t1.enqueue('behind the big one')
  await sleep(500)
  t.ok(t1.peek().some(m => m.id === big), 'the big message waits at tower 1 (never sent to a tower that cannot read it)')
  t.ok(t2.peek().some(m => m.id === small), 'the small message behind it was delivered')
})

t.test('a TOO_LARGE refusal does not make the sender retry the same tower in a busy loop', async t => {
  const t1 = await tower(t, H1)
  const t2 = await tower(t, H2, { maxPayloadBytes: 1000 })
  t2.pause()
  t1.expand(H2, t2.port)
  // 1500 bytes fit tower 2's frame limit (1000 + 1024) but not its payload limit: refused TOO_LARGE.
  const id = t1.enqueue(Buffer.alloc(1500))
  await waitFor(() => t1.stats().refused >= 1, 5000, 'a refusal')
  await sleep(500)
  t.ok(t1.peek({ inFlight: true }).some(m => m.id === id), 'the message stays with tower 1')
  t.ok(t1.stats().sent <= 20, `sent ${t1.stats().sent} times in half a second`)
})
