/**
 * After close() has drained (or was told not to), what is still in flight
 * comes back to the queue only to be counted as left: the closing tower
 * sends nothing more and dials no one while its listener closes. Before,
 * the send loop ran on while the listener waited for its last connections,
 * dialled a tower it knew and handed it messages another tower already
 * held.
 */
import t from 'tap'
import type { ClacksMessage } from '../../src/index.js'
import { connectPlain, RawAcceptor, welcomeFrame } from '../helpers/raw-peer.js'
import { sleep, testCertificate, towerOn, waitFor } from '../helpers/towers.js'

t.test('a closing tower hands nothing on once its drain is over, while its listener is still closing', async t => {
  const handshakeTimeout = 2000
  const tower = await towerOn(t, '127.0.0.2', { handshakeTimeout, backoffInitial: 20, backoffMax: 50 })
  const good = await towerOn(t, '127.0.0.3')
  good.pause()
  const atGood: ClacksMessage[] = []
  good.onMessageReceived(message => { atGood.push(message) })
  const { key, cert } = await testCertificate()
  const acceptor = await RawAcceptor.listen(key, cert, '127.0.0.5')
  t.teardown(() => acceptor.close())

  // Two messages reach a peer that takes them and never acknowledges: the tower holds them in flight.
  tower.pause()
  tower.expand('127.0.0.5', acceptor.port)
  const ids = ['one', 'two'].map(payload => tower.enqueue(payload))
  tower.resume()
  const connection = await acceptor.accept()
  await connection.next()
  connection.send(welcomeFrame())
  await waitFor(() => connection.frames.filter(frame => frame.kind?.$case === 'message').length === 2, 5000, 'both messages sent')
  tower.expand('127.0.0.3', good.port)

  // A connection that never finishes its TLS handshake keeps the listener from closing for handshakeTimeout.
  const stalled = await connectPlain(tower.port, '127.0.0.2')
  t.teardown(() => stalled.destroy())
  const closing = tower.close({ drain: false })
  await sleep(handshakeTimeout / 2)
  t.same(atGood.filter(message => ids.includes(message.id)), [], 'neither in-flight message went to the good tower')
  t.equal(good.stats().connections.inbound, 0, 'the closing tower did not dial the good one')
  const { left } = await closing
  t.equal(left, 2, 'both are reported as left')
})
