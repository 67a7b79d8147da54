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
