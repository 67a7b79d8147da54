import t from 'tap'
import { startTower, waitFor, heldIds, settle } from '../helpers/towers.js'

t.test('a message enqueued at one tower reaches the other byte-identical', async t => {
  const a = await startTower()
  const b = await startTower()
  t.teardown(async () => { await a.close({ drain: false }); await b.close({ drain: false }) })
  const received: Buffer[] = []
  b.onMessageReceived(message => { received.push(Buffer.from(message.payload)) })
  a.expand('127.0.0.1', b.port)
  const payload = Buffer.from('héllo, wörld ✓ — 🐢', 'utf8')
  const id = a.enqueue(payload)
  await waitFor(() => received.length > 0, 5000, 'b to receive')
  t.ok(received[0]?.equals(payload), 'payload arrives byte-identical')
  t.equal(a.survey().find(p => p.port === b.port)?.status, 'alive', 'b is alive for a')
  await waitFor(() => a.stats().acked >= 1)
  await settle([a, b])
  t.same(heldIds([a, b]).filter(x => x === id).length, 1, 'the message is held exactly once')
})

t.test('with no listener and no filter, messages of every size circulate byte-identical', async t => {
  // No 'message' listener and no filter: the receiving tower copies each message from the
  // socket's bytes straight into its queue (the record path), never making an object of it.
  const a = await startTower()
  const b = await startTower()
  t.teardown(async () => { await a.close({ drain: false }); await b.close({ drain: false }) })
  const sizes = [0, 1, 64, 1024, 4095, 4096, 16 * 1024, 70_000]
  const sent = new Map<string, Buffer>()
  for (let i = 0; i < 400; i++) {
    const payload = Buffer.alloc(sizes[i % sizes.length] as number)
    for (let j = 0; j < payload.length; j++) payload[j] = (i * 31 + j * 7) & 0xff
    sent.set(a.enqueue(payload), payload)
  }
  a.expand('127.0.0.1', b.port)
  b.expand('127.0.0.1', a.port)
  // Every message crosses at least once, most of them many times.
  await waitFor(() => b.stats().received >= 2000 && a.stats().received >= 2000, 20_000, 'messages to circulate')
  await settle([a, b])
  const held = [...a.peek(), ...b.peek()]
  t.equal(held.length, sent.size, 'every message is held once')
  const intact = held.filter(message => sent.get(message.id)?.equals(message.payload) === true)
  t.equal(intact.length, sent.size, 'each with the bytes it was enqueued with')
  t.ok(held.filter(message => message.hops >= 2).length > held.length / 2, 'most of them back and forth at least once')
})
