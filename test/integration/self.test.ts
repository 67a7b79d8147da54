import t from 'tap'
import { startTower, waitFor } from '../helpers/towers.js'

t.test('a tower that reaches itself under another name stops sending to that name', async t => {
  const tower = await startTower({ bind: '127.0.0.1', hostname: '127.0.0.1', backoffInitial: 20, backoffMax: 50 })
  t.teardown(() => tower.close({ drain: false }))
  tower.expand('localhost', tower.port) // the same tower, by another name
  tower.enqueue('to nobody')
  await waitFor(() => tower.survey()[0]?.status === 'lost', 5000, 'the alias to be marked lost')
  t.equal(tower.stats().received, 0, 'it never took its own message')
  await waitFor(() => tower.stats().inFlight === 0, 5000, 'the message to come back')
  t.equal(tower.peek().length, 1, 'the message is still queued, not lost')
})
