import t from 'tap'
import { generateCertificate } from '../../src/net/certs.js'
import { startTower, testCertificate, waitFor } from '../helpers/towers.js'

// With the `ca` option a tower checks the certificate of every tower it dials (one TLS context serves all dials).

t.test('a tower that pins the certificate as its CA hands messages to towers showing it', async t => {
  const { cert } = await testCertificate()
  const receiver = await startTower()
  const sender = await startTower({ ca: cert })
  t.teardown(async () => { await Promise.all([sender.close({ drain: false }), receiver.close({ drain: false })]) })
  // The receiver keeps what it gets: otherwise the message would go straight back and forth.
  receiver.pause()
  sender.expand('127.0.0.1', receiver.port)
  const id = sender.enqueue('verified')
  await waitFor(() => receiver.peek().some(m => m.id === id), 5000, 'the message to arrive')
  t.equal(sender.survey()[0]?.status, 'alive')
})

t.test('a tower that trusts another CA does not hand anything over, and keeps its message', async t => {
  const stranger = await generateCertificate({ hostname: 'localhost' })
  const receiver = await startTower()
  const sender = await startTower({ ca: stranger.cert })
  t.teardown(async () => { await Promise.all([sender.close({ drain: false }), receiver.close({ drain: false })]) })
  sender.expand('127.0.0.1', receiver.port)
  const id = sender.enqueue('unverified')
  await waitFor(() => sender.survey()[0]?.status === 'lost', 5000, 'the receiver to be lost')
  t.same(sender.peek().map(m => m.id), [id], 'the message stayed with the sender')
  t.equal(receiver.stats().received, 0)
})
