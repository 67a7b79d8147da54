/**
 * Rules PROTOCOL.md settled for other implementations (issue 12), each
 * checked against a real tower over TLS by a hand-driven peer: a dialer's
 * Goodbye gets no Goodbye back, a session is bound to its dialer instance,
 * a frame body carries one kind field once, and string fields are UTF-8.
 */
import { randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import { Frame, GoodbyeReason } from '../../src/gen/clacks/v1/frame.js'
import type { Tower } from '../../src/index.js'
import { varintLength, writeVarint } from '../../src/wire/message-fast-path.js'
import { brief, messageFrame, RawPeer } from '../helpers/raw-peer.js'
import { startTower, waitFor } from '../helpers/towers.js'

async function target (t: Test): Promise<Tower> {
  const tower = await startTower({ hostname: '127.0.0.2' })
  tower.pause()
  t.teardown(() => tower.close({ drain: false }))
  return tower
}

async function raw (t: Test, tower: Tower, instanceId?: Buffer, sessionId?: Buffer): Promise<RawPeer> {
  const peer = await RawPeer.connect(tower.port, '127.0.0.2', instanceId, sessionId)
  t.teardown(() => peer.destroy())
  return peer
}

/** A delimited frame whose body is these frame bodies one after the other: several kind fields in one Frame. */
function joinedFrame (...frames: Frame[]): Buffer {
  const body = Buffer.concat(frames.map(frame => Frame.encode(frame).finish()))
  const prefix = Buffer.alloc(varintLength(body.length))
  writeVarint(prefix, 0, body.length)
  return Buffer.concat([prefix, body])
}

const text = (tower: Tower): string[] => tower.peek().map(m => Buffer.from(m.payload).toString())

t.test('§9: a dialer\'s Goodbye gets the final Ack and no Goodbye back', async t => {
  const tower = await target(t)
  const peer = await raw(t, tower)
  await peer.handshake()
  peer.sendAll([messageFrame(1, { payload: 'one' }), { kind: { $case: 'goodbye', value: { reason: GoodbyeReason.GOODBYE_REASON_IDLE, detail: '' } } }])
  await peer.waitClosed()
  const seen = peer.frames.slice(1).map(brief)
  t.same(seen, ['ack 1'], `only the final Ack, no Goodbye (saw ${seen.join(', ') || 'nothing'})`)
  t.same(text(tower), ['one'], 'the message before the Goodbye was taken')
})

t.test('§5, §7: a session id presented by another dialer instance is a new session, not a resume', async t => {
  const tower = await target(t)
  const dialer = randomBytes(16)
  const session = randomBytes(16)
  const first = await raw(t, tower, dialer, session)
  const welcome = await first.handshake()
  first.sendAll([messageFrame(1), messageFrame(2), messageFrame(3)])
  while (brief(await first.next()) !== 'ack 3');
  first.destroy()

  const same = await raw(t, tower, dialer, session)
  t.equal((await same.handshake({ resumeInstanceId: welcome.instanceId })).settledThrough, 3, 'the same dialer instance resumes at 3')
  same.destroy()

  const other = await raw(t, tower, randomBytes(16), session)
  const fresh = await other.handshake({ resumeInstanceId: welcome.instanceId })
  t.equal(fresh.settledThrough, 0, 'another dialer instance with that session id starts afresh')
  t.same(fresh.refused, [])
  other.send(messageFrame(1, { payload: 'fresh one' }))
  t.equal(brief(await other.next()), 'ack 1', 'its messages start at seq 1')
})

t.test('§3: a frame body with two kind fields is malformed; the message in it is not taken', async t => {
  const tower = await target(t)
  const announce: Frame = { kind: { $case: 'announce', value: { tower: { hostname: '127.0.0.9', port: 1 } } } }
  const cases: Array<[string, Frame[]]> = [
    ['a Message then an Announce', [messageFrame(2, { payload: 'doubled' }), announce]],
    ['an Announce then a Message', [announce, messageFrame(2, { payload: 'doubled' })]],
    ['the same kind twice', [messageFrame(2, { payload: 'doubled' }), messageFrame(2, { payload: 'doubled' })]]
  ]
  for (const [label, frames] of cases) {
    const peer = await raw(t, tower)
    await peer.handshake()
    peer.send(messageFrame(1, { payload: 'first' }))
    peer.write(joinedFrame(...frames))
    const { goodbye, before } = await peer.untilGoodbye()
    t.equal(goodbye.reason, GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR, `${label}: Goodbye PROTOCOL_ERROR (${goodbye.detail})`)
    t.same(before.map(brief), ['ack 1'], `${label}: the message before it is acknowledged, nothing more`)
  }
  t.notOk(text(tower).includes('doubled'), 'no message of a doubled frame was taken')
  await waitFor(() => tower.stats().queued === cases.length, 2000, 'the good messages')
})

t.test('§3: invalid UTF-8 in a string field makes the frame malformed; valid non-ASCII in a hostname is refused MALFORMED', async t => {
  const tower = await target(t)
  const bad = await raw(t, tower)
  await bad.handshake()
  const badHostname = Buffer.from([0x61, 0xff, 0x62]).toString('latin1')
  // Written by hand: the encoder writes a string as UTF-8, and 0xff is never UTF-8.
  const frame = Buffer.from(Frame.encode(messageFrame(1, { friend: { hostname: badHostname, port: 5 } })).finish())
  const at = frame.indexOf(Buffer.from('a\u00c3\u00bfb', 'latin1'))
  t.ok(at > 0, 'the hostname bytes are in the frame')
  const body = Buffer.concat([frame.subarray(0, at), Buffer.from([0x61, 0xff, 0x62, 0x62]), frame.subarray(at + 4)]) // same length, 0xff kept
  const prefix = Buffer.alloc(varintLength(body.length))
  writeVarint(prefix, 0, body.length)
  bad.write(Buffer.concat([prefix, body]))
  const { goodbye, before } = await bad.untilGoodbye()
  t.equal(goodbye.reason, GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR, `Goodbye PROTOCOL_ERROR (${goodbye.detail})`)
  t.same(before, [], 'no Refusal or Ack for it')

  const accented = await raw(t, tower)
  await accented.handshake()
  accented.send(messageFrame(1, { friend: { hostname: 'tour-é.example', port: 5 } }))
  t.equal(brief(await accented.next()), 'refusal 1 MALFORMED', 'a hostname outside ASCII is a bad friend')
  t.equal(brief(await accented.next()), 'ack 1')
})
