/**
 * Memory a queue holds, in a test file of its own: tap runs each file in a
 * process of its own, so nothing else's buffers come and go between the
 * two measurements.
 */
import t from 'tap'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { HeldMessage } from '../../src/core/message.js'
import { MessageQueue } from '../../src/tower/queue.js'

const message = (i: number, bytes: number): HeldMessage => ({ id: Buffer.alloc(16, i), payload: Buffer.alloc(bytes, i), hops: 0 })

t.test('a queue holding a few short messages holds a small slab, and a busy one grows its slabs', async t => {
  // Memory outside the heap, counted after a full collection so that only what is still held counts.
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const messages = Array.from({ length: 10 }, (_, i) => message(i, 20))
  gc()
  const before = process.memoryUsage().arrayBuffers
  const queues = Array.from({ length: 5000 }, () => {
    const q = new MessageQueue(100, 1_000_000)
    for (const m of messages) q.push(m)
    return q
  })
  gc()
  const perQueue = (process.memoryUsage().arrayBuffers - before) / queues.length
  t.ok(perQueue > 2048 && perQueue < 16 * 1024, `${Math.round(perQueue)} bytes of slab per queue of ten 20-byte messages (a 256 KiB slab each before)`)
  const busy = new MessageQueue(1_000_000, 1_000_000_000)
  for (let i = 0; i < 20_000; i++) busy.push(message(i, 100))
  let whole = 0
  for (let i = 0; i < 20_000; i++) if (busy.shift()?.payload.length === 100) whole++
  t.equal(whole, 20_000, 'a busy queue, across its growing slabs, gives every message back whole')
  t.equal(busy.length, 0)
})
