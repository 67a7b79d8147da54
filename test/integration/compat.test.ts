import t from 'tap'
import { Clacks } from '../../src/compat.js'
import { testCertificate, waitFor } from '../helpers/towers.js'

t.test('the prototype names work over real towers: a user switches by one import', async t => {
  const { key, cert } = await testCertificate()
  const one = new Clacks(key, cert, { hostname: '127.0.0.1', port: 0, sendrate: Infinity })
  const two = new Clacks(key, cert, { hostname: '127.0.0.1', port: 0, sendrate: Infinity })
  t.teardown(async () => { await one.close({ drain: false }); await two.close({ drain: false }) })
  const discovered: string[] = []
  one.onPeerDiscovered(peer => discovered.push(`${peer.hostname}:${peer.port}`))
  const received: string[] = []
  two.onMessageRecieved(payload => received.push(payload.message))
  one.enqueue({ hello: 'wörld' }) // called before the tower has started: deferred, not lost
  await Promise.all([one.ready, two.ready])
  one.addPeer('127.0.0.1', two.getOptions().port)
  await waitFor(() => received.length > 0, 5000, 'two to receive')
  t.same(JSON.parse(received[0] as string), { hello: 'wörld' }, 'a JSON message arrives intact')
  t.same(discovered, [`127.0.0.1:${two.getOptions().port}`], 'onPeerDiscovered reported the added peer')
  const alive = Object.values(one.getPeers().alive)
  t.equal(alive.length, 1, 'getPeers lists the peer under alive')
  t.match(alive[0]?.identifier, /^[0-9a-f]{64}$/, 'identifier is the prototype\'s sha256 hex')
  t.same(Object.keys(one.getOptions()).sort(), ['hostname', 'killtimeout', 'port', 'sendrate'])
})

t.test('a failed start is reported on ready, not thrown at the constructor', async t => {
  const bad = new Clacks('not a key', 'not a cert', { port: 0 })
  await t.rejects(bad.ready, { code: 'CLACKS_ERR_CERTIFICATE' })
})
