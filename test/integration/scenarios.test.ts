/**
 * The original spec's test scenarios, automated: real towers over TLS on
 * separate loopback hosts (127.0.0.2, .3, .4), ephemeral ports unless a
 * scenario needs a tower to come back on the same one.
 */
import { createServer as createTcpServer, type Server, type Socket } from 'node:net'
import t from 'tap'
import type { ClacksMessage, PeerStatus, Tower } from '../../src/index.js'
import { freePort, heldIds, settle, sleep, towerOn, waitFor } from '../helpers/towers.js'

const H1 = '127.0.0.2'
const H2 = '127.0.0.3'
const H3 = '127.0.0.4'

const tower = towerOn

const statusOf = (at: Tower, other: Tower): PeerStatus | undefined =>
  at.survey().find(p => p.hostname === other.hostname && p.port === other.port)?.status

const knows = (at: Tower, other: Tower): boolean => statusOf(at, other) !== undefined

/** Records every message a tower receives. */
function receipts (at: Tower): ClacksMessage[] {
  const got: ClacksMessage[] = []
  at.onMessageReceived(message => { got.push(message) })
  return got
}


/** A TCP listener that accepts connections and never says a word: a hung tower. */
async function blackHole (host: string, port: number): Promise<{ close: () => Promise<void>, accepted: () => number }> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server: Server = createTcpServer(socket => {
    accepted++
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  return {
    accepted: () => accepted,
    close: () => new Promise(resolve => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  }
}

t.test('scenario 1: a third tower announces itself; friends spread; the message circulates and is never lost', async t => {
  const t1 = await tower(t, H1, { sendrate: 20 })
  const t2 = await tower(t, H2, { sendrate: 20 })
  const t3 = await tower(t, H3, { sendrate: 20 })
  const got = [receipts(t1), receipts(t2), receipts(t3)]
  const total = (): number => got.reduce((n, list) => n + list.length, 0)

  t1.expand(H2, t2.port)
  t2.expand(H1, t1.port)
  const id = t2.enqueue('round and round')
  await waitFor(() => total() >= 4, 10_000, 'the message to go back and forth between 1 and 2')
  t.notOk(knows(t3, t1) || knows(t1, t3), 'tower 3 is unknown so far')

  await t3.announce(H1, t1.port)
  t.ok(knows(t3, t1), 'after announce, tower 3 lists tower 1')
  t.ok(knows(t1, t3), 'and tower 1 lists tower 3')
  t.notOk(knows(t2, t3) || knows(t3, t2), 'tower 2 and tower 3 do not know each other yet')

  await waitFor(() => knows(t2, t3) && knows(t3, t2), 15_000, 'towers 2 and 3 to learn of each other through friends')
  t.pass('towers 2 and 3 know each other, never having been told')
  await waitFor(() => got[2]!.some(m => m.id === id), 15_000, 'the message to reach tower 3')
  const before = total()
  await waitFor(() => total() >= before + 3, 10_000, 'the message to keep circulating')
  t.ok(got.flat().every(m => m.id === id && Buffer.from(m.payload).toString() === 'round and round'), 'only that message, unchanged, circulates')
  t.ok(Math.max(...got.flat().map(m => m.hops)) >= 3, 'its hop count grows as it travels')

  await settle([t1, t2, t3])
  const held = heldIds([t1, t2, t3])
  t.same(held, [id], 'after settling, the message is held exactly once, by exactly one tower')
})

t.test('scenario 2: a tower that stops is lost, then dead after killtimeout, and alive when it returns', async t => {
  const killtimeout = 700
  const port = await freePort(H2)
  const t1 = await tower(t, H1, { sendrate: 50, killtimeout, backoffInitial: 50, backoffMax: 200, handshakeTimeout: 300 })
  let t2 = await tower(t, H2, { port, sendrate: 50 })
  t.equal(t2.port, port, 'tower 2 runs on the chosen fixed port')

  const history: Array<{ status: PeerStatus, previous: PeerStatus, at: number }> = []
  t1.onTowerUpdated(view => {
    if (view.hostname === H2 && view.port === port) history.push({ status: view.status, previous: view.previous, at: Date.now() })
  })
  t1.expand(H2, port)
  const ids = [t1.enqueue('one'), t1.enqueue('two'), t1.enqueue('three')]
  await waitFor(() => statusOf(t1, t2) === 'alive', 5000, 'tower 2 to be alive for tower 1')

  // Tower 2 shuts down: it hands its messages back (tower 1 is its only peer) and its port goes silent.
  const summary = await t2.close()
  t.same(summary, { left: 0 }, 'tower 2 drained everything to tower 1')
  await waitFor(() => statusOf(t1, t2) === 'lost', 5000, 'tower 1 to mark tower 2 lost')
  t.same(t1.peek({ inFlight: true }).map(m => m.id).sort(), [...ids].sort(), 'tower 1 holds all three messages again')

  // Then the port accepts connections but never answers, as a hung process would.
  const hole = await blackHole(H2, port)
  try {
    await waitFor(() => statusOf(t1, t2) === 'dead', killtimeout + 5000, 'tower 2 to be declared dead')
    await waitFor(() => hole.accepted() > 0, 3000, 'tower 1 to keep probing the dead tower')
  } finally {
    await hole.close()
  }
  const deadIndex = history.findIndex(h => h.status === 'dead')
  const lostAt = history[deadIndex - 1]?.at ?? NaN
  const deadAt = history[deadIndex]?.at ?? NaN
  t.ok(deadAt - lostAt >= killtimeout - 5, `dead ${deadAt - lostAt} ms after lost, not before killtimeout (${killtimeout} ms)`)
  t.same(t1.peek({ inFlight: true }).map(m => m.id).sort(), [...ids].sort(), 'the messages stayed with tower 1 all along')

  // Tower 2 comes back on the same port: a new process, same address.
  t2 = await tower(t, H2, { port, sendrate: 50 })
  await waitFor(() => statusOf(t1, t2) === 'alive', 5000, 'tower 1 to find tower 2 alive again')
  // (Tower 2's drain handed messages to tower 1, a success that may have reinstated it
  // between its goodbye and its port going silent: the history can hold an extra alive/lost.)
  const statuses = history.map(h => h.status)
  t.equal(statuses[0], 'alive', 'first alive')
  t.same(statuses.slice(-3), ['lost', 'dead', 'alive'], 'then lost -> dead -> alive')
  t.equal(statuses.filter(s => s === 'dead').length, 1, 'dead once')
  t.ok(history.every((h, i) => i === 0 || h.previous === history[i - 1]?.status), 'every event is a real change from the one before')

  await settle([t1, t2])
  t.same(heldIds([t1, t2]).sort(), [...ids].sort(), 'every message is held exactly once across the two towers')
})

t.test('scenario 2b: a restarted tower that reaches us first is reinstated too (success as recipient)', async t => {
  const killtimeout = 300
  const port = await freePort(H2)
  const t1 = await tower(t, H1, { sendrate: 50, killtimeout, backoffInitial: 2000, backoffMax: 4000 })
  let t2 = await tower(t, H2, { port, sendrate: 50 })
  t1.expand(H2, port)
  t1.enqueue('ping')
  await waitFor(() => statusOf(t1, t2) === 'alive', 5000, 'tower 2 alive')
  await t2.close()
  await waitFor(() => statusOf(t1, t2) === 'dead', killtimeout + 5000, 'tower 2 dead')
  // t1's long backoff keeps it from dialling again soon: only t2's own contact can reinstate it.
  t2 = await tower(t, H2, { port, sendrate: 50 })
  await t2.announce(H1, t1.port)
  t.equal(statusOf(t1, t2), 'alive', 'an announce from the returned tower reinstates it at once')
})

t.test('scenario 3: an ignoring tower takes nothing from the ignored one and sends nothing to it', async t => {
  const t1 = await tower(t, H1, { sendrate: 100, backoffInitial: 50, backoffMax: 200 })
  const t2 = await tower(t, H2, { sendrate: 100, backoffInitial: 50, backoffMax: 200 })
  const t3 = await tower(t, H3, { sendrate: 100 })
  const at1 = receipts(t1)
  const at2 = receipts(t2)
  const at3 = receipts(t3)

  t1.ignore(H2, t2.port)
  t1.expand(H2, t2.port)
  t.equal(statusOf(t1, t2), 'ignored', 'expand() does not lift an ignore')
  t2.expand(H1, t1.port)
  t1.expand(H3, t3.port)
  t3.expand(H1, t1.port)

  const fromTwo = Array.from({ length: 5 }, (_, i) => t2.enqueue(`from two ${i}`))
  const fromOne = Array.from({ length: 5 }, (_, i) => t1.enqueue(`from one ${i}`))
  await waitFor(() => t1.stats().ignoredRefused >= 2, 5000, 'tower 2 to be turned away (twice)')
  await waitFor(() => at3.length >= 5, 5000, 'tower 1 to deliver to tower 3')
  await sleep(300)
  await settle([t1, t2, t3])

  const s1 = t1.stats()
  const s2 = t2.stats()
  t.equal(s2.received, 0, 'tower 2 received nothing')
  t.equal(at2.length, 0)
  t.equal(s2.acked, 0, 'nothing tower 2 sent was taken by anyone')
  t.ok(s1.ignoredRefused >= 2, `tower 1 refused tower 2's hellos (${s1.ignoredRefused})`)
  t.notOk(at1.some(m => m.from?.port === t2.port && m.from.hostname === H2), 'tower 1 took no message from tower 2')
  t.same(heldIds([t2]).sort(), [...fromTwo].sort(), 'tower 2 still holds exactly its own five messages')
  const elsewhere = heldIds([t1, t3])
  t.notOk(elsewhere.some(id => fromTwo.includes(id)), 'none of them reached tower 1 or 3')
  t.same(elsewhere.filter(id => fromOne.includes(id)).sort(), [...fromOne].sort(), 'tower 1\'s messages stay with towers 1 and 3, once each')
  t.equal(statusOf(t1, t2), 'ignored', 'tower 2 is still ignored')
  t.ok(['lost', 'dead'].includes(statusOf(t2, t1) as string), `tower 2 sees tower 1 as ${statusOf(t2, t1)}`)
  t.notOk(knows(t3, t2), 'tower 1 never passed the ignored tower on as a friend')
  t.equal(t1.survey().filter(p => p.status === 'ignored').length, 1)
})

t.test('scenario 3b: ignoring a tower already connected ends its connection and its traffic', async t => {
  const t1 = await tower(t, H1, { sendrate: 100, backoffInitial: 50, backoffMax: 200 })
  const t2 = await tower(t, H2, { sendrate: 100, backoffInitial: 50, backoffMax: 200 })
  const at1 = receipts(t1)
  const at2 = receipts(t2)
  t1.expand(H2, t2.port)
  t2.expand(H1, t1.port)
  t2.enqueue('before')
  await waitFor(() => at1.length >= 1 && statusOf(t2, t1) === 'alive' && statusOf(t1, t2) === 'alive', 5000, 'a first exchange')
  // Quiet the network so no message is in flight at the moment of the ignore.
  await settle([t1, t2])
  t1.ignore(H2, t2.port)
  const received1 = at1.length
  const received2 = at2.length
  t1.resume()
  t2.resume()
  const late = [t2.enqueue('after 1'), t2.enqueue('after 2')]
  t1.enqueue('for anyone but two')
  await waitFor(() => ['lost', 'dead'].includes(statusOf(t2, t1) as string), 5000, 'tower 2 to lose tower 1')
  await sleep(300)
  await settle([t1, t2])
  t.equal(at1.length, received1, 'tower 1 took nothing more from tower 2')
  t.equal(at2.length, received2, 'tower 2 got nothing more from tower 1')
  t.ok(late.every(id => heldIds([t2]).includes(id)), 'tower 2 keeps the messages it could not hand over')
  t.equal(t1.stats().connections.inbound, 0, 'no connection from tower 2 stays open')
})

t.test('scenario 4: an inbound filter that reverses every message', async t => {
  const reverse = (message: ClacksMessage): Uint8Array => Buffer.from(message.payload).reverse()
  const t1 = await tower(t, H1)
  const t2 = await tower(t, H2, { inboundFilter: reverse })
  t2.pause() // keep what arrives, to look at it
  const at2 = receipts(t2)
  t1.expand(H2, t2.port)
  const id = t1.enqueue('Clacks, tower 1 -> 2')
  await waitFor(() => at2.length >= 1, 5000, 'tower 2 to receive')
  t.equal(Buffer.from(at2[0]!.payload).toString(), '2 >- 1 rewot ,skcalC', 'the payload arrives reversed')
  t.equal(at2[0]!.id, id, 'the id is unchanged')
  t.same(t2.peek().map(m => Buffer.from(m.payload).toString()), ['2 >- 1 rewot ,skcalC'], 'and is queued reversed')

  // A filter may also answer with a string, or drop the message (still acknowledged).
  const t3 = await tower(t, H3, { inboundFilter: m => Buffer.from(m.payload).toString() === 'drop me' ? false : 'replaced' })
  t3.pause()
  const at3 = receipts(t3)
  t1.expand(H3, t3.port)
  t1.ignore(H2, t2.port)
  t1.enqueue('drop me')
  t1.enqueue('keep me')
  await waitFor(() => t1.stats().acked >= 3, 5000, 'both to be acknowledged by tower 3')
  t.same(at3.map(m => Buffer.from(m.payload).toString()), ['replaced'], 'one replaced by a string, one dropped')
  t.equal(t3.stats().filteredIn, 1, 'the dropped one is counted')
  t.equal(t1.peek({ inFlight: true }).length, 0, 'a dropped message was still acknowledged: tower 1 holds nothing')
})

t.test('announce() resolves and both sides list each other', async t => {
  const t1 = await tower(t, H1)
  const t2 = await tower(t, H2)
  const discovered: string[] = []
  t2.onTowerDiscovered(view => { discovered.push(`${view.hostname}:${view.port}:${view.status}`) })
  await t1.announce(H2, t2.port)
  t.equal(statusOf(t1, t2), 'alive', 'the announcer lists the other as alive (it answered)')
  t.ok(knows(t2, t1), 'the other lists the announcer')
  t.same(discovered, [`${H1}:${t1.port}:new`], 'the other discovered the announcer once, as new')
  t.equal(t1.peek().length + t2.peek().length, 0, 'announce moves no message')
  await t1.announce(H2, t2.port)
  t.equal(discovered.length, 1, 'a second announce discovers nothing new')
})

t.test('announce to a tower that ignores us rejects with CLACKS_ERR_REFUSED', async t => {
  const t1 = await tower(t, H1)
  const t2 = await tower(t, H2)
  t2.ignore(H1, t1.port)
  await t.rejects(t1.announce(H2, t2.port), { code: 'CLACKS_ERR_REFUSED' })
  t.notOk(t2.survey().some(p => p.port === t1.port && p.status !== 'ignored'), 'the ignoring tower did not record us')
  t.equal(t2.stats().ignoredRefused, 1)
  t.ok(['lost', 'dead'].includes(statusOf(t1, t2) as string), 'the refused announce counts as a failure')
  // Announcing to nobody at all rejects too, with a connection error.
  const nobody = await freePort(H3)
  await t.rejects(t1.announce(H3, nobody), { code: 'CLACKS_ERR_CONNECTION' })
  // And to ourselves is an error at once.
  await t.rejects(t1.announce(H1, t1.port), { code: 'CLACKS_ERR_INVALID_ADDRESS' })
})

t.test('pause() stops sending; receiving goes on; resume() sends again', async t => {
  const t1 = await tower(t, H1)
  const t2 = await tower(t, H2)
  t1.pause()
  t1.expand(H2, t2.port)
  const mine = [t1.enqueue('mine 1'), t1.enqueue('mine 2')]
  t2.expand(H1, t1.port)
  t2.pause()
  const theirs = [t2.enqueue('theirs 1'), t2.enqueue('theirs 2'), t2.enqueue('theirs 3')]
  t2.resume()
  await waitFor(() => t1.stats().received === 3, 5000, 'tower 1 to receive while paused')
  await sleep(300)
  t.equal(t1.stats().sent, 0, 'a paused tower sent nothing')
  t.same(t1.peek().map(m => m.id).sort(), [...mine, ...theirs].sort(), 'it holds its own and what it received')
  t2.pause()
  const at2 = receipts(t2)
  t1.resume()
  await waitFor(() => at2.length === 5, 5000, 'tower 1 to send everything after resume()')
  // Tower 2 queues (and tells) before it acknowledges: tower 1 lets go once the acknowledgement is back.
  await waitFor(() => t1.peek({ inFlight: true }).length === 0, 5000, 'tower 2 to acknowledge everything')
  t.same(at2.map(m => m.id).sort(), [...mine, ...theirs].sort(), 'tower 2 received each message once')
})

t.test('close() with drain in the middle of traffic leaves every message with the others', async t => {
  const t1 = await tower(t, H1, { sendrate: 200 })
  const t2 = await tower(t, H2, { sendrate: 200 })
  const t3 = await tower(t, H3, { sendrate: 200 })
  for (const a of [t1, t2, t3]) for (const b of [t1, t2, t3]) if (a !== b) a.expand(b.hostname, b.port)
  const ids: string[] = []
  for (let i = 0; i < 20; i++) for (const at of [t1, t2, t3]) ids.push(at.enqueue(`${at.hostname} #${i}`))
  await waitFor(() => t1.stats().received >= 10 && t1.stats().acked >= 10, 10_000, 'traffic through tower 1')
  t.ok(t1.peek({ inFlight: true }).length > 0, 'tower 1 holds messages when it starts closing')

  const summary = await t1.close()
  t.same(summary, { left: 0 }, 'close() drained everything')
  t.equal(t1.peek({ inFlight: true }).length, 0, 'the closed tower holds nothing')
  t.throws(() => t1.enqueue('too late'), { code: 'CLACKS_ERR_CLOSED' })

  await waitFor(() => statusOf(t2, t1) === 'lost' && statusOf(t3, t1) === 'lost', 5000, 'the closed tower to be lost (not dead) to the others')
  await settle([t2, t3], 15_000)
  const held = heldIds([t2, t3])
  t.equal(held.length, ids.length, `${held.length} messages held for ${ids.length} enqueued: none lost, none doubled`)
  t.same([...held].sort(), [...ids].sort(), 'each message exactly once, with towers 2 and 3')
})

t.test('events: queued for every message that joins the queue, message only for received ones', async t => {
  const t1 = await tower(t, H1)
  const t2 = await tower(t, H2)
  t2.pause()
  const queued1: string[] = []
  const received1: string[] = []
  const queued2: string[] = []
  const received2: ClacksMessage[] = []
  const discovered: string[] = []
  const updated: string[] = []
  t1.onMessageQueued(m => { queued1.push(m.id) })
  t1.onMessageReceived(m => { received1.push(m.id) })
  t2.on('queued', m => { queued2.push(m.id) })
  t2.on('message', m => { received2.push(m) })
  t1.on('discovered', v => { discovered.push(`${v.hostname}:${v.port}:${v.status}`) })
  t1.on('updated', v => { updated.push(`${v.previous}->${v.status}`) })

  const before = Date.now()
  t1.expand(H2, t2.port)
  t.same(discovered, [`${H2}:${t2.port}:new`], 'expand() discovers the tower as new, at once')
  const view = t1.survey()[0]
  t.ok(view !== undefined && Math.abs(view.discovered - before) < 1000 && Math.abs(view.since - before) < 1000, 'since and discovered are wall-clock milliseconds')
  const id = t1.enqueue('hello events')
  t.same(queued1, [id], 'enqueue() fires queued, synchronously, with the id')
  t.same(received1, [], 'but not message')
  await waitFor(() => received2.length === 1, 5000, 'tower 2 to receive')
  t.same(queued2, [id], 'a received message is queued too')
  t.equal(received2[0]?.id, id)
  t.same(received2[0]?.from, { hostname: H1, port: t1.port }, 'message says where it came from')
  t.equal(received2[0]?.hops, 1, 'one hop')
  t.same(updated, ['new->alive'], 'the successful hand-off made tower 2 alive, once')
})

t.test('an outbound filter sees each message before it is sent: it can change or drop it', async t => {
  const t1 = await tower(t, H1, {
    outboundFilter: m => {
      const text = Buffer.from(m.payload).toString()
      if (text === 'secret') return false
      if (text === 'shout') return 'SHOUT'
      return undefined
    }
  })
  const t2 = await tower(t, H2)
  t2.pause()
  t1.expand(H2, t2.port)
  t1.enqueue('shout')
  t1.enqueue('secret')
  t1.enqueue('as is')
  await waitFor(() => t2.peek().length === 2 && t1.stats().filteredOut === 1, 5000, 'two to arrive, one to be dropped')
  t.same(t2.peek().map(m => Buffer.from(m.payload).toString()).sort(), ['SHOUT', 'as is'], 'changed, and unchanged')
  // The two that arrived are tower 1's until their acknowledgement comes back; the dropped one never was in flight.
  await waitFor(() => t1.stats().inFlight === 0, 5000, 'the acknowledgements')
  t.same(t1.peek({ inFlight: true }), [], 'the dropped one is gone: the application decided so')
})

t.test('an inbound filter that throws, with no error listener, neither crashes the tower nor loses the message', async t => {
    const t1 = await tower(t, H1)
    const t2 = await tower(t, H2, { inboundFilter: () => { throw new Error('a bug in the application\'s filter') } })
    t2.pause()
    t1.expand(H2, t2.port)
    const id = t1.enqueue('survive the filter')
    await waitFor(() => t2.peek().length === 1, 5000, 'tower 2 to keep the message')
    t.equal(t2.peek()[0]?.id, id, 'kept as it was')
    await settle([t1, t2])
    t.same(heldIds([t1, t2]), [id], 'held exactly once')
  })

t.test('an outbound filter that throws, with no error listener, neither crashes the tower nor loses the message', async t => {
    const t1 = await tower(t, H1, { outboundFilter: () => { throw new Error('a bug in the application\'s filter') } })
    const t2 = await tower(t, H2)
    t2.pause()
    t1.expand(H2, t2.port)
    const id = t1.enqueue('survive the filter')
    await waitFor(() => t2.peek().length === 1, 5000, 'the message to be sent unchanged')
    await settle([t1, t2])
    t.same(heldIds([t1, t2]), [id], 'held exactly once')
  })

t.test('a throwing filter is reported on the error event and the message is kept', async t => {
  const errors: Error[] = []
  const t1 = await tower(t, H1)
  const t2 = await tower(t, H2, { inboundFilter: () => { throw new Error('oops') } })
  t2.on('error', error => { errors.push(error) })
  t2.pause()
  t1.expand(H2, t2.port)
  const id = t1.enqueue('kept')
  await waitFor(() => t2.peek().length === 1, 5000, 'tower 2 to keep the message')
  t.equal(t2.peek()[0]?.id, id)
  t.equal(Buffer.from(t2.peek()[0]?.payload ?? []).toString(), 'kept', 'unchanged')
  t.equal(errors.length, 1, 'the error was reported')
  t.equal(errors[0]?.message, 'oops')
})

t.test('an inbound filter that makes a message bigger than the queue can hold does not lose it silently', async t => {
  const t1 = await tower(t, H1)
  const t2 = await tower(t, H2, { maxQueueBytes: 100, inboundFilter: () => 'x'.repeat(150) })
  t2.pause()
  const received: ClacksMessage[] = []
  t2.onMessageReceived(m => { received.push(m) })
  t1.expand(H2, t2.port)
  const id = t1.enqueue('0123456789')
  await waitFor(() => t1.stats().acked + t1.stats().refused >= 1, 5000, 'tower 2 to settle it')
  await sleep(200)
  await settle([t1, t2])
  // Either tower 2 refuses it (QUEUE_FULL, tower 1 keeps it) or holds it over the limit; never neither.
  t.same(heldIds([t1, t2]), [id], 'the message is held exactly once')
  t.ok(received.length === 0 || t2.peek().length === 1, 'a "message" event only for a message that was queued')
})
