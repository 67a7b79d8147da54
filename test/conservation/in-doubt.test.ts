/**
 * Conservation in exact situations the random test (conservation.test.ts)
 * reaches only by chance. In-process towers, real TLS on loopback, a relay
 * (FaultProxy) in front of the acceptor to lose bytes the way a network does.
 */
import { randomBytes } from 'node:crypto'
import { connect } from 'node:tls'
import t, { type Test } from 'tap'
import type { Frame } from '../../src/gen/clacks/v1/frame.js'
import type { Tower, TowerOptions } from '../../src/index.js'
import { encodeFrame, FrameDecoder } from '../../src/wire/index.js'
import { heldIds, startTower, waitFor } from '../helpers/towers.js'
import { FaultProxy } from './fixtures/proxy.js'

const FAST: Partial<TowerOptions> = { ackTimeout: 500, handshakeTimeout: 1000, backoffInitial: 50, backoffMax: 200, killtimeout: 60_000 }

/** An acceptor listening on 127.0.0.<n>, known to the world through a relay on 127.0.1.<n>. */
async function behindRelay (t: Test, n: number, options: Partial<TowerOptions>): Promise<{ tower: Tower, relay: FaultProxy }> {
  const tower = await startTower({ ...FAST, ...options, bind: `127.0.0.${n}`, hostname: `127.0.1.${n}` })
  const relay = new FaultProxy(`127.0.1.${n}`, `127.0.0.${n}`)
  await relay.listen(tower.port)
  t.teardown(async () => {
    await relay.close()
    await tower.close({ drain: false })
  })
  return { tower, relay }
}

async function dialer (t: Test, n: number, options: Partial<TowerOptions> = {}): Promise<Tower> {
  const tower = await startTower({ ...FAST, ...options, bind: `127.0.0.${n}`, hostname: `127.0.0.${n}` })
  t.teardown(() => tower.close({ drain: false }))
  return tower
}

/** Each id of `ids` held exactly once by these towers, nothing else. */
function checkHeldOnce (t: Test, towers: Tower[], ids: string[]): void {
  const held = heldIds(towers)
  const copies = new Map<string, number>()
  for (const id of held) copies.set(id, (copies.get(id) ?? 0) + 1)
  t.same(ids.filter(id => copies.get(id) === undefined), [], 'no message lost')
  t.same(ids.filter(id => (copies.get(id) ?? 0) > 1), [], 'no message held twice')
  t.equal(held.length, ids.length, `${held.length} held for ${ids.length} sent`)
}

t.test('in-doubt messages stay in doubt when the acceptor refuses the reconnection before Welcome', async t => {
  // The acceptor took the messages, their acknowledgement was lost, and the
  // dialer's reconnection meets a Goodbye before any Welcome (here
  // TOO_MANY_CONNECTIONS, because the old connection still counts at the
  // acceptor). That Goodbye says nothing about the earlier connection: the
  // messages must stay in doubt until a resume settles them.
  const { tower: acceptor, relay } = await behindRelay(t, 31, { maxConnections: 1 })
  acceptor.pause() // it keeps what it takes
  const sender = await dialer(t, 32)
  const ids = [sender.enqueue('warm-up')]
  sender.expand(acceptor.hostname, acceptor.port)
  await waitFor(() => sender.stats().acked === 1, 5000, 'the first hand-off')

  t.ok(relay.inject('blackhole', 0, 4000), 'acknowledgements are lost from now on, for 4 s')
  for (let i = 0; i < 10; i++) ids.push(sender.enqueue(`message ${i}`))
  await waitFor(() => acceptor.stats().received === 11, 5000, 'the acceptor to take all ten')
  sender.pause()
  await waitFor(() => sender.stats().inDoubt === 10, 5000, 'the ack timeout: ten in doubt')
  await waitFor(() => acceptor.stats().connectionsRefused > 0, 5000, 'a reconnection to be refused')

  // Once the blackhole ends (both ends reset) a resume can settle them.
  await waitFor(() => sender.stats().inFlight === 0, 15_000, 'the doubt to be settled')
  const s = sender.stats()
  t.comment(`sender: returned ${s.returned}, acked ${s.acked}; acceptor: received ${acceptor.stats().received}, refused connections ${acceptor.stats().connectionsRefused}`)
  t.ok(acceptor.stats().connectionsRefused > 0, 'the acceptor did refuse a reconnection')
  checkHeldOnce(t, [sender, acceptor], ids)
})

t.test('a tower known under two names: each link\'s session stays its own', async t => {
  // The dialer knows the acceptor by its advertised name (through the relay)
  // and by its plain address. Messages in doubt on the first link must not be
  // taken as settled because the second link moved a session forward.
  const { tower: acceptor, relay } = await behindRelay(t, 33, {})
  acceptor.pause()
  const sender = await dialer(t, 34)
  const ids = [sender.enqueue('warm-up')]
  sender.expand(acceptor.hostname, acceptor.port)
  await waitFor(() => sender.stats().acked === 1, 5000, 'the first hand-off through the relay')

  // The relay's route goes down: bytes in flight are lost, reconnections fail.
  relay.refuseNew = true
  t.ok(relay.inject('partition', 0, 60_000), 'the connection through the relay is cut')
  for (let i = 0; i < 5; i++) ids.push(sender.enqueue(`lost in the cut ${i}`))
  await waitFor(() => sender.stats().inDoubt === 5, 5000, 'five messages in doubt on the relay link')

  // Meanwhile the same acceptor is learnt under its plain address: traffic goes that way.
  sender.expand('127.0.0.33', acceptor.port)
  for (let i = 0; i < 10; i++) ids.push(sender.enqueue(`by the other name ${i}`))
  await waitFor(() => acceptor.stats().received >= 11, 5000, 'the acceptor to take ten by its plain address')

  // The route comes back; the relay link resumes its session.
  relay.heal()
  sender.pause()
  await waitFor(() => sender.stats().inFlight === 0, 15_000, 'the doubt to be settled')
  const s = sender.stats()
  t.comment(`sender: returned ${s.returned}, acked ${s.acked}; acceptor: received ${acceptor.stats().received}, protocol errors ${acceptor.stats().protocolErrors}`)
  checkHeldOnce(t, [sender, acceptor], ids)
})

t.test('an acceptor that ends a connection for a protocol error first acknowledges what it took', async t => {
  // PROTOCOL.md §6: a seq out of order is a protocol error, answered with
  // Goodbye{PROTOCOL_ERROR} "after its final Ack": a dialer puts back in its
  // queue every message that final Ack does not cover, so a message taken but
  // not acknowledged would then be held twice.
  const acceptor = await dialer(t, 35)
  acceptor.pause()
  const frames: Frame[] = []
  const socket = connect({ host: '127.0.0.35', port: acceptor.port, ALPNProtocols: ['clacks/1'], minVersion: 'TLSv1.3', rejectUnauthorized: false })
  t.teardown(() => socket.destroy())
  const decoder = new FrameDecoder({ maxFrameBytes: 1 << 20 })
  socket.on('data', (chunk: Buffer) => {
    decoder.push(chunk)
    for (let frame = decoder.read(); frame !== undefined; frame = decoder.read()) frames.push(frame)
  })
  socket.on('error', () => {})
  const closed = new Promise(resolve => socket.on('close', resolve))
  socket.once('secureConnect', () => {
    const message = (seq: number): Frame => ({ kind: { $case: 'message', value: { seq, id: randomBytes(16), payload: Buffer.from(`seq ${seq}`), hops: 0, friend: undefined } } })
    // One write: the hello, a good message, and one that skips a seq.
    socket.write(Buffer.concat([
      encodeFrame({ kind: { $case: 'hello', value: { protocolVersion: 1, tower: { hostname: '127.0.0.36', port: 4000 }, instanceId: randomBytes(16), resumeInstanceId: Buffer.alloc(0), sessionId: randomBytes(16) } } }),
      encodeFrame(message(1)),
      encodeFrame(message(3))
    ]))
  })
  await Promise.race([closed, new Promise(resolve => setTimeout(resolve, 5000))])
  const kinds = frames.map(f => f.kind?.$case === 'ack' ? `ack ${f.kind.value.seq}` : f.kind?.$case)
  t.comment(`frames from the acceptor: ${kinds.join(', ')}`)
  t.equal(acceptor.stats().received, 1, 'the acceptor took seq 1')
  t.equal(kinds.at(-1), 'goodbye', 'and ended with a goodbye')
  t.ok(kinds.includes('ack 1'), 'after acknowledging seq 1, which it holds')
})

t.test('a closing tower still settles the doubt of a peer that resumes during its drain', async t => {
  // The acceptor took five messages whose acknowledgement was lost, and the
  // dialer cannot reconnect until the acceptor has begun to close. Its resume
  // must still be answered: the Welcome says the five arrived, so none is
  // held twice (the acceptor drains them back to the dialer).
  const { tower: acceptor, relay } = await behindRelay(t, 37, { drainTimeout: 5000 })
  acceptor.pause()
  const sender = await dialer(t, 38)
  const ids = [sender.enqueue('warm-up')]
  sender.expand(acceptor.hostname, acceptor.port)
  await waitFor(() => sender.stats().acked === 1, 5000, 'the first hand-off')

  relay.refuseNew = true
  t.ok(relay.inject('blackhole', 0, 1500), 'acknowledgements are lost, then the connection resets; no reconnection gets through')
  for (let i = 0; i < 5; i++) ids.push(sender.enqueue(`message ${i}`))
  await waitFor(() => acceptor.stats().received === 6, 5000, 'the acceptor to take all five')
  sender.pause()
  await waitFor(() => sender.stats().inDoubt === 5, 5000, 'the ack timeout: five in doubt')
  await waitFor(() => acceptor.stats().connections.inbound === 0, 5000, 'the acceptor to see the break')

  const closing = acceptor.close()
  relay.refuseNew = false
  const { left } = await closing
  t.equal(left, 0, 'the closing tower handed everything on')
  await waitFor(() => sender.stats().inFlight === 0, 10_000, 'the doubt to be settled')
  checkHeldOnce(t, [sender], ids)
})
