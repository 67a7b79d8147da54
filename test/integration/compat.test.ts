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
  const errors: Error[] = []
  bad.on('error', error => errors.push(error))
  await t.rejects(bad.ready, { code: 'CLACKS_ERR_CERTIFICATE' })
  t.match(errors, [{ code: 'CLACKS_ERR_CERTIFICATE' }], 'and as an error event')
})

t.test('calls made before the start run each on its own: a failing one is reported, the others still run', async t => {
  const { key, cert } = await testCertificate()
  const receiver = new Clacks(key, cert, { hostname: '127.0.0.1', port: 0, sendrate: Infinity })
  await receiver.ready
  const received: string[] = []
  receiver.onMessageRecieved(payload => received.push(payload.message))
  const sender = new Clacks(key, cert, { hostname: '127.0.0.1', port: '0', sendrate: Infinity })
  t.teardown(async () => { await sender.close({ drain: false }); await receiver.close({ drain: false }) })
  const errors: Error[] = []
  sender.on('error', error => errors.push(error))
  sender.addPeer('127.0.0.1', 'not a port')                 // fails once started
  sender.addPeer('127.0.0.1', String(receiver.getOptions().port)) // a numeric string, as the prototype took it
  sender.enqueue('after the failure')
  await t.rejects(sender.ready, { code: 'CLACKS_ERR_INVALID_ADDRESS' }, 'ready rejects with the failed call\'s error')
  t.equal(errors.length, 1, 'the failure was an error event')
  t.match(errors[0]?.message, /port "not a port"/)
  await waitFor(() => received.includes('after the failure'), 5000, 'the message enqueued after the failed call')
  t.pass('the calls after the failed one ran')
})

t.test('a failure nobody listens for is a process warning, not silence', async t => {
  const { key, cert } = await testCertificate()
  const warnings: Error[] = []
  const onWarning = (warning: Error): void => { warnings.push(warning) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  const host = new Clacks(key, cert, { hostname: '127.0.0.1', port: 0 })
  t.teardown(() => host.close({ drain: false }))
  host.ignore('bad host name!', 1)
  await t.rejects(host.ready, { code: 'CLACKS_ERR_INVALID_ADDRESS' })
  await waitFor(() => warnings.length > 0, 5000, 'the warning')
  t.match(warnings[0], { code: 'CLACKS_ERR_INVALID_ADDRESS' })
})

t.test('the prototype\'s options: numeric strings are numbers; unknown names are refused on ready', async t => {
  const { key, cert } = await testCertificate()
  const host = new Clacks(key, cert, { hostname: '127.0.0.1', port: '0', sendrate: '5', killtimeout: '60000' })
  t.teardown(() => host.close({ drain: false }))
  t.same(host.getOptions(), { hostname: '127.0.0.1', port: 0, sendrate: 5, killtimeout: 60000 }, 'before the start, the options given')
  await host.ready
  t.equal(host.getOptions().sendrate, 5)
  t.ok(host.getOptions().port > 0, 'port 0 picked a free port')
  const unknown = new Clacks(key, cert, { port: 0, colour: 'red' } as never)
  unknown.on('error', () => {})
  await t.rejects(unknown.ready, { code: 'CLACKS_ERR_INVALID_OPTION', message: /colour/ })
})

t.test('enqueue of nothing is refused at the call, not dropped', async t => {
  const { key, cert } = await testCertificate()
  const host = new Clacks(key, cert, { hostname: '127.0.0.1', port: 0 })
  t.teardown(() => host.close({ drain: false }))
  t.throws(() => host.enqueue(undefined), { code: 'CLACKS_ERR_INVALID_PAYLOAD' })
  await host.ready
})
