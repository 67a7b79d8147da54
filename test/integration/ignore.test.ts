/**
 * ignore() with messages in flight to the tower being ignored: they stay the
 * ignoring tower's until that tower settles them, and go nowhere else
 * meanwhile (issue 16). Before, ignore() put every unacknowledged message
 * back in the queue, although the peer might already hold it: one round in
 * five held ~256 messages twice.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import t, { type Test } from 'tap'
import type { Tower, TowerOptions } from '../../src/index.js'
import { GoodbyeReason, RefusalReason, type Frame } from '../../src/gen/clacks/v1/frame.js'
import { RawAcceptor, brief, welcomeFrame, type RawPeer } from '../helpers/raw-peer.js'
import { heldIds, settle, sleep, testCertificate, towerOn, waitFor } from '../helpers/towers.js'

const H1 = '127.0.0.2'
const H2 = '127.0.0.3'
const H3 = '127.0.0.4'
const MESSAGES = 20_000

/** Keeps one core busy for at most `ms`, in another process: the machine of a busy CI run. */
function cpuHog (ms: number): ChildProcess {
  const hog = spawn(process.execPath, ['-e', `const end = Date.now() + ${ms}; while (Date.now() < end) {}`], { stdio: 'ignore' })
  hog.unref()
  return hog
}

/** Resolves once `tower` has had `count` messages acknowledged and has more in flight, looking every turn (bounded: 20 s). */
async function untilAcked (tower: Tower, count: number): Promise<void> {
  const deadline = Date.now() + 20_000
  for (let stats = tower.stats(); stats.acked < count || stats.inFlight === 0; stats = tower.stats()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} acknowledgements`)
    await new Promise(resolve => setImmediate(resolve))
  }
}

/** How many ids are held more than once, and which of `ids` are held nowhere. */
function tally (towers: Tower[], ids: string[]): { doubled: number, missing: number } {
  const counts = new Map<string, number>()
  for (const id of heldIds(towers)) counts.set(id, (counts.get(id) ?? 0) + 1)
  let doubled = 0
  for (const count of counts.values()) if (count > 1) doubled += count - 1
  return { doubled, missing: ids.filter(id => !counts.has(id)).length }
}

async function round (t: Test, label: string): Promise<void> {
  const t1 = await towerOn(t, H1, { maxQueueMessages: 2 * MESSAGES })
  const t2 = await towerOn(t, H2, { maxQueueMessages: 2 * MESSAGES })
  const t3 = await towerOn(t, H3, { maxQueueMessages: 2 * MESSAGES })
  // Towers 2 and 3 keep what reaches them: only tower 1 hands messages on.
  t2.pause()
  t3.pause()
  t1.pause()
  const ids = Array.from({ length: MESSAGES }, (_, i) => t1.enqueue(`message ${i}`))
  t1.expand(H2, t2.port)
  t1.resume()
  // Ignore it somewhere in the middle of the flow, checked every turn of the event loop.
  await untilAcked(t1, 1000 + Math.floor(Math.random() * (MESSAGES / 2)))
  const inFlightAtIgnore = t1.stats().inFlight
  t1.expand(H3, t3.port)
  t1.ignore(H2, t2.port)
  await waitFor(() => t1.stats().queued === 0, 20_000, 'tower 1 to hand everything on to tower 3')
  await settle([t1, t2, t3], 15_000)
  const { doubled, missing } = tally([t1, t2, t3], ids)
  t.equal(doubled, 0, `${label}: no message held twice (${inFlightAtIgnore} in flight to tower 2 when it was ignored)`)
  t.equal(missing, 0, `${label}: no message lost`)
  t.equal(t2.stats().connections.inbound, 0, `${label}: tower 1 keeps no connection to the ignored tower`)
  t.equal(t1.survey().find(p => p.port === t2.port)?.status, 'ignored', `${label}: tower 2 stays ignored`)
}

t.test('ignore() with thousands of messages in flight: each is held exactly once, over several rounds', async t => {
  for (let i = 1; i <= 4; i++) await t.test(`round ${i}`, async t => { await round(t, `round ${i}`) })
})

t.test('the same with a CPU hog beside the towers', async t => {
  const hog = cpuHog(30_000)
  t.teardown(() => { hog.kill() })
  for (let i = 1; i <= 2; i++) await t.test(`hogged round ${i}`, async t => { await round(t, `hogged round ${i}`) })
})

// --- the paths of a retired link, against a scripted acceptor ---

const ACCEPTOR_HOST = '127.0.0.5'
const GOOD_HOST = '127.0.0.6'
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString()
const sentIn = (frames: Frame[]): Array<{ seq: number, id: string }> => frames.flatMap(f =>
  f.kind?.$case === 'message' ? [{ seq: f.kind.value.seq, id: Buffer.from(f.kind.value.id).toString('hex') }] : [])

/** A tower with two messages sent to a scripted acceptor, which welcomed it and acknowledged nothing. */
async function twoInFlight (t: Test, options: Partial<TowerOptions> = {}): Promise<{ tower: Tower, good: Tower, acceptor: RawAcceptor, first: RawPeer, ids: string[], instance: Buffer }> {
  const tower = await towerOn(t, '127.0.0.7', { backoffInitial: 50, backoffMax: 100, ...options })
  const good = await towerOn(t, GOOD_HOST)
  good.pause()
  const { key, cert } = await testCertificate()
  const acceptor = await RawAcceptor.listen(key, cert, ACCEPTOR_HOST)
  t.teardown(() => acceptor.close())
  tower.pause()
  tower.expand(ACCEPTOR_HOST, acceptor.port)
  const ids = ['one', 'two'].map(payload => tower.enqueue(payload))
  tower.resume()
  const first = await acceptor.accept()
  t.equal(brief(await first.next()), 'hello')
  const instance = Buffer.alloc(16, 0xa7)
  first.send(welcomeFrame({ instanceId: instance }))
  await waitFor(() => sentIn(first.frames).length === 2, 5000, 'two messages sent')
  return { tower, good, acceptor, first, ids, instance }
}

t.test('ignore() on an open link: nothing more is sent, the messages go nowhere else until the peer acknowledges, then Goodbye IGNORED', async t => {
  const { tower, good, acceptor, first, ids } = await twoInFlight(t)
  tower.ignore(ACCEPTOR_HOST, acceptor.port)
  tower.expand(GOOD_HOST, good.port)
  tower.enqueue('for the good tower')
  await waitFor(() => good.peek().some(m => text(m.payload) === 'for the good tower'), 5000, 'other traffic to reach the good tower')
  t.equal(tower.stats().inFlight, 2, 'both stay in flight: the ignored peer may hold them')
  t.notOk(good.peek().some(m => ids.includes(m.id)), 'neither went to another tower meanwhile')
  first.send({ kind: { $case: 'ack', value: { seq: 1 } } })
  first.send({ kind: { $case: 'refusal', value: { seq: 2, reason: RefusalReason.REFUSAL_REASON_QUEUE_FULL, detail: '' } } })
  first.send({ kind: { $case: 'ack', value: { seq: 2 } } })
  const { goodbye } = await first.untilGoodbye()
  t.equal(GoodbyeReason[goodbye.reason], 'GOODBYE_REASON_IGNORED', 'the link ends with Goodbye IGNORED once both are settled')
  t.same(sentIn(first.frames).map(m => m.seq), [1, 2], 'no message was sent after the ignore')
  await first.waitClosed()
  await waitFor(() => good.peek().some(m => m.id === ids[1]), 5000, 'the refused message to go to the good tower')
  t.notOk([...good.peek(), ...tower.peek({ inFlight: true })].some(m => m.id === ids[0]), 'the acknowledged one is the ignored peer\'s alone')
  t.equal(tower.stats().connections.outbound, 1, 'only the good tower\'s connection is left')
})

t.test('ignore() while the link is broken with messages in doubt: a resume settles them exactly, then Goodbye IGNORED', async t => {
  const { tower, good, acceptor, first, ids, instance } = await twoInFlight(t, { ackTimeout: 300 })
  first.destroy()
  await waitFor(() => tower.stats().inDoubt === 2, 3000, 'both in doubt')
  tower.ignore(ACCEPTOR_HOST, acceptor.port)
  tower.expand(GOOD_HOST, good.port)
  const second = await acceptor.accept(5000)
  const hello = await second.next()
  t.ok(hello.kind?.$case === 'hello' && Buffer.from(hello.kind.value.resumeInstanceId).equals(instance), 'the ignored peer is dialled once more, to resume the session')
  t.notOk(good.peek().some(m => ids.includes(m.id)), 'nothing in doubt went elsewhere before the resume')
  second.send(welcomeFrame({ instanceId: instance, settledThrough: 1 }))
  const { goodbye, before } = await second.untilGoodbye()
  t.equal(GoodbyeReason[goodbye.reason], 'GOODBYE_REASON_IGNORED', 'then it says goodbye')
  t.same(before, [], 'and sends nothing else')
  await waitFor(() => good.peek().some(m => m.id === ids[1]), 5000, 'the one the peer never got to go to the good tower')
  t.notOk([...good.peek(), ...tower.peek({ inFlight: true })].some(m => m.id === ids[0]), 'the one it settled is not sent again')
  await sleep(300)
  t.equal(acceptor.connections.length, 2, 'no further dial to the ignored peer')
})

t.test('ignore() of a peer that never comes back: its in-doubt messages are released after killtimeout, as for a dead peer', async t => {
  const killtimeout = 1000
  const { tower, good, acceptor, ids } = await twoInFlight(t, { ackTimeout: 300, killtimeout })
  await acceptor.close()
  await waitFor(() => tower.stats().inDoubt === 2, 3000, 'both in doubt')
  const ignoredAt = Date.now()
  tower.ignore(ACCEPTOR_HOST, acceptor.port)
  tower.expand(GOOD_HOST, good.port)
  await sleep(killtimeout / 2)
  t.equal(tower.stats().inDoubt, 2, 'held in doubt while killtimeout has not passed')
  await waitFor(() => ids.every(id => good.peek().some(m => m.id === id)), killtimeout + 5000, 'both to reach the good tower')
  t.ok(Date.now() - ignoredAt >= killtimeout - 50, 'not before killtimeout')
  t.equal(tower.stats().inDoubt, 0, 'nothing is in doubt any more')
})
