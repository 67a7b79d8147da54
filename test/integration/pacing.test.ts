import t from 'tap'
import { startTower, waitFor } from '../helpers/towers.js'

t.test('two real towers at a modest rate move the number of messages the rate allows', async t => {
  const sendrate = 40
  const sender = await startTower({ hostname: '127.0.0.2', sendrate, sendburst: 1 })
  const receiver = await startTower({ hostname: '127.0.0.3' })
  t.teardown(async () => { await sender.close({ drain: false }); await receiver.close({ drain: false }) })
  receiver.pause() // it keeps what it gets, so only the sender's rate is measured
  for (let i = 0; i < 500; i++) sender.enqueue(`message ${i}`)
  sender.expand('127.0.0.3', receiver.port)
  await waitFor(() => receiver.stats().received > 0, 5000, 'the first message')
  const start = performance.now()
  const before = receiver.stats().received
  await new Promise(resolve => setTimeout(resolve, 3000))
  const seconds = (performance.now() - start) / 1000
  const rate = (receiver.stats().received - before) / seconds
  // Generous bounds: CI machines are shared and noisy. The benchmark measures accuracy.
  t.ok(rate > sendrate * 0.6 && rate < sendrate * 1.25, `received ${rate.toFixed(1)} messages/s at sendrate ${sendrate}`)

  sender.setRate({ sendrate: 200 })
  const faster = receiver.stats().received
  await new Promise(resolve => setTimeout(resolve, 1000))
  t.ok(receiver.stats().received - faster > sendrate * 2, 'setRate takes effect at once, without a restart')
})

t.test('an unlimited tower is limited by nothing but its links', async t => {
  const sender = await startTower({ hostname: '127.0.0.2' })
  const receiver = await startTower({ hostname: '127.0.0.3' })
  t.teardown(async () => { await sender.close({ drain: false }); await receiver.close({ drain: false }) })
  receiver.pause()
  for (let i = 0; i < 2000; i++) sender.enqueue(`message ${i}`)
  sender.expand('127.0.0.3', receiver.port)
  await waitFor(() => receiver.stats().received === 2000, 20000, 'all 2000 to arrive')
  t.equal(receiver.stats().received, 2000)
})

t.test('a closing tower drains at full speed, whatever its send rate', async t => {
  const slow = await startTower({ hostname: '127.0.0.2', sendrate: 1, drainTimeout: 5000 })
  const other = await startTower({ hostname: '127.0.0.3' })
  t.teardown(async () => { await other.close({ drain: false }) })
  other.pause()
  for (let i = 0; i < 200; i++) slow.enqueue(`message ${i}`)
  slow.expand('127.0.0.3', other.port)
  const { left } = await slow.close()
  t.equal(left, 0, 'all 200 handed on, though the rate allows one a second')
  t.equal(other.peek().length, 200)
})
