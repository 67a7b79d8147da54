/**
 * Dialling peers that cannot be reached, over real sockets: a tower keeps no
 * connection state for them beyond their backoff, and that backoff holds
 * across every failed dial.
 */
import { createServer } from 'node:net'
import t from 'tap'
import { sleep, towerOn, waitFor } from '../helpers/towers.js'

const H1 = '127.0.0.2'
const H2 = '127.0.0.3'

t.test('a peer that drops every connection is dialled no more often than its backoff allows', async t => {
  // Accepts each TCP connection and closes it at once: every dial fails before TLS, as an unreachable tower's would.
  let dials = 0
  const dropper = createServer(socket => {
    dials++
    socket.destroy()
  })
  await new Promise<void>(resolve => dropper.listen(0, H2, resolve))
  t.teardown(() => new Promise<void>(resolve => dropper.close(() => resolve())))
  const port = (dropper.address() as { port: number }).port
  // A short handshake timeout makes the upkeep (and so the send loop) run every 50 ms: plenty of chances to redial.
  const tower = await towerOn(t, H1, { backoffInitial: 200, backoffMax: 400, handshakeTimeout: 200 })
  tower.expand(H2, port)
  tower.enqueue('for a tower that never answers')
  await waitFor(() => dials >= 1, 5000, 'the first dial')
  const first = dials
  await sleep(2000)
  const redials = dials - first
  // Delays of 100-200 ms, then 200-400 ms each: about 5-9 redials in 2 s. Without the backoff, one per upkeep run: ~40.
  t.ok(redials >= 3, `it keeps trying (${redials} redials in 2 s)`)
  t.ok(redials <= 12, `within its backoff (${redials} redials in 2 s)`)
  t.equal(tower.survey().find(p => p.port === port)?.status, 'lost', 'the peer is lost')
  t.equal(tower.peek().length, 1, 'the message is still held')
})
