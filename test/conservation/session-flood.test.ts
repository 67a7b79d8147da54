/**
 * Sessions strangers cannot push out. Measured before the fix: a dialer's
 * 100 messages in doubt, then a stranger's 4,200 Hellos, and the acceptor
 * had forgotten the session: the dialer sent all 100 again (100 duplicates).
 * Here the same at the scale of a smaller table (maxConnections 32: 128
 * sessions, so 4,200 x 32/1,024 = 132 Hellos), and the wire signal for a
 * session that is truly forgotten.
 */
import { randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import type { Tower, TowerOptions } from '../../src/index.js'
import { SessionTable } from '../../src/net/sessions.js'
import { RawAcceptor, RawPeer, welcomeFrame } from '../helpers/raw-peer.js'
import { heldIds, startTower, testCertificate, waitFor } from '../helpers/towers.js'
import { FaultProxy } from './fixtures/proxy.js'

const FAST: Partial<TowerOptions> = { ackTimeout: 500, handshakeTimeout: 1000, backoffInitial: 50, backoffMax: 200, killtimeout: 60_000 }
const STRANGER_FROM = '127.0.9.1'

function checkHeldOnce (t: Test, towers: Tower[], ids: string[]): void {
  const copies = new Map<string, number>()
  for (const id of heldIds(towers)) copies.set(id, (copies.get(id) ?? 0) + 1)
  t.same(ids.filter(id => copies.get(id) === undefined), [], 'no message lost')
  t.same(ids.filter(id => (copies.get(id) ?? 0) > 1), [], 'no message held twice')
}

t.test('a Hello flood after a break does not make the acceptor forget the session: no duplicates', async t => {
  const maxConnections = 32
  const acceptor = await startTower({ ...FAST, maxConnections, bind: '127.0.0.41', hostname: '127.0.1.41' })
  const relay = new FaultProxy('127.0.1.41', '127.0.0.41')
  await relay.listen(acceptor.port)
  const sender = await startTower({ ...FAST, bind: '127.0.0.42', hostname: '127.0.0.42' })
  t.teardown(async () => {
    await relay.close()
    await Promise.all([acceptor.close({ drain: false }), sender.close({ drain: false })])
  })
  acceptor.pause() // it keeps what it takes
  const ids = [sender.enqueue('warm-up')]
  sender.expand(acceptor.hostname, acceptor.port)
  await waitFor(() => sender.stats().acked === 1, 5000, 'the first hand-off')

  t.ok(relay.inject('blackhole', 0, 1500), 'acknowledgements are lost, then both ends reset')
  relay.refuseNew = true // the dialer cannot come back until the flood is over
  for (let i = 0; i < 100; i++) ids.push(sender.enqueue(`message ${i}`))
  await waitFor(() => acceptor.stats().received === 101, 5000, 'the acceptor to take all 100')
  sender.pause()
  await waitFor(() => sender.stats().inDoubt === 100, 5000, 'the ack timeout: 100 in doubt')
  await waitFor(() => acceptor.stats().connections.inbound === 0, 5000, 'the acceptor to see the break')

  const hellos = Math.ceil(4200 * maxConnections / 1024)
  for (let i = 0; i < hellos; i++) {
    const stranger = await RawPeer.connect(acceptor.port, '127.0.0.41', undefined, undefined, STRANGER_FROM)
    await stranger.handshake({ tower: { hostname: STRANGER_FROM, port: 1 } })
    stranger.destroy()
    await stranger.waitClosed()
  }
  await waitFor(() => acceptor.stats().connections.inbound === 0, 5000, 'the strangers to be gone')
  t.ok(acceptor.stats().sessions <= maxConnections * 4, `the session table stayed bounded (${acceptor.stats().sessions})`)

  relay.refuseNew = false
  await waitFor(() => sender.stats().inFlight === 0, 15_000, 'the resume to settle the doubt')
  t.equal(sender.stats().acked, 101, 'the resume found all 100 held by the acceptor')
  checkHeldOnce(t, [sender, acceptor], ids)
})

t.test('asked to resume a session it forgot, the acceptor says so', async t => {
  const acceptor = await startTower({ ...FAST, hostname: '127.0.0.43' })
  t.teardown(() => acceptor.close({ drain: false }))
  const ours = Buffer.from(acceptor.instanceId, 'hex')
  const welcomeTo = async (resumeInstanceId: Buffer, sessionId: Buffer): Promise<boolean> => {
    const raw = await RawPeer.connect(acceptor.port, '127.0.0.43')
    const welcome = await raw.handshake({ resumeInstanceId, sessionId, tower: { hostname: '127.0.0.44', port: 1 } })
    raw.destroy()
    await raw.waitClosed()
    return welcome.sessionUnknown
  }
  const session = randomBytes(16)
  t.equal(await welcomeTo(Buffer.alloc(0), session), false, 'a new session: nothing to say')
  t.equal(await welcomeTo(ours, session), false, 'a session it knows')
  t.equal(await welcomeTo(ours, randomBytes(16)), true, 'a session of this instance it does not know')
  t.equal(await welcomeTo(randomBytes(16), randomBytes(16)), false, 'a session of another instance: a restart, not a forgetting')
})

t.test('told its session was forgotten, the dialer keeps the messages in doubt until killtimeout', async t => {
  const { key, cert } = await testCertificate()
  const raw = await RawAcceptor.listen(key, cert, '127.0.0.45')
  const killtimeout = 1500
  const sender = await startTower({ ...FAST, killtimeout, hostname: '127.0.0.46' })
  t.teardown(async () => {
    await sender.close({ drain: false })
    raw.server.close()
  })
  const instanceId = randomBytes(16)
  sender.expand('127.0.0.45', raw.port)
  const ids = [sender.enqueue('one'), sender.enqueue('two'), sender.enqueue('three')]
  const first = await raw.accept()
  await first.next() // hello
  first.send(welcomeFrame({ instanceId }))
  await waitFor(() => first.frames.filter(frame => frame.kind?.$case === 'message').length === 3, 5000, 'three messages')
  sender.pause()
  first.destroy() // before any Ack: all three in doubt

  const second = await raw.accept()
  const hello = await second.next()
  t.equal(hello.kind?.$case === 'hello' && Buffer.from(hello.kind.value.resumeInstanceId).equals(instanceId), true, 'the dialer asks to resume')
  second.send(welcomeFrame({ instanceId, settledThrough: 0, sessionUnknown: true }))
  await waitFor(() => sender.survey().some(peer => peer.port === raw.port && peer.status === 'alive'), 5000, 'the link to open')
  sender.resume()
  await new Promise(resolve => setTimeout(resolve, 300))
  t.equal(second.frames.filter(frame => frame.kind?.$case === 'message').length, 0, 'none of them is sent again')
  t.equal(sender.stats().inDoubt, 3, 'all three stay in doubt')
  t.same(sender.peek({ inFlight: true }).map(message => message.id).sort(), [...ids].sort(), 'and still the sender\'s')
  await waitFor(() => sender.stats().inDoubt === 0, killtimeout + 5000, 'killtimeout to give them back')
  t.ok(sender.stats().returned >= 3, 'after killtimeout they are the sender\'s to send again')
})

t.test('the session table forgets never-used, then idle, then broken sessions, and bounds each source', async t => {
  const table = new SessionTable(4, 16, 3)
  const broken = table.start('broken', 'dialer', 'a')
  broken.settled = 5
  broken.brokenAt = 1
  const idle = table.start('idle', 'dialer', 'b')
  idle.settled = 2
  table.start('unused', 'dialer', 'b')
  table.start('other', 'dialer', 'c')
  table.start('new-1', 'dialer', 'd')
  t.equal(table.find('unused'), undefined, 'the never-used session went first')
  table.start('new-2', 'dialer', 'e')
  t.equal(table.find('other'), undefined, 'then the next never-used one')
  table.find('new-1')!.settled = 1
  table.find('new-2')!.settled = 1
  table.start('new-3', 'dialer', 'f')
  t.equal(table.find('idle'), undefined, 'then the idle one')
  t.equal(table.find('broken'), broken, 'the one that may hold messages in doubt stays')

  const perSource = new SessionTable(100, 16, 3)
  const kept = perSource.start('kept', 'dialer', 'honest')
  kept.brokenAt = 1
  kept.settled = 9
  for (let i = 0; i < 1000; i++) perSource.start(`flood-${i}`, 'dialer', 'stranger')
  t.equal(perSource.size, 4, 'the stranger holds its three sessions, no more')
  t.equal(perSource.find('kept'), kept)
})
