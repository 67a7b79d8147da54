/**
 * A real tower against a hand-driven peer that breaks the rules: bad
 * descriptors, frames out of order, lengths that would allocate gigabytes,
 * garbage, the wrong version, gaps in the sequence, a replayed session, and
 * silence. After each act the tower must still be up and a good tower must
 * still exchange messages with it, in both directions.
 */
import { randomBytes } from 'node:crypto'
import { createServer as createTcpServer, type Socket } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls'
import t, { type Test } from 'tap'
import { GoodbyeReason, RefusalReason, type Frame } from '../../src/gen/clacks/v1/frame.js'
import type { ClacksMessage, Tower, TowerOptions } from '../../src/index.js'
import { encodeFrame } from '../../src/wire/index.js'
import { brief, connectPlain, helloFrame, messageFrame, RAW_PEER_ADDRESS, RawAcceptor, RawPeer, welcomeFrame } from '../helpers/raw-peer.js'
import { heldIds, settle, startTower, testCertificate, waitFor } from '../helpers/towers.js'

const TARGET_HOST = '127.0.0.2'
const GOOD_HOST = '127.0.0.3'

interface Arena {
  target: Tower
  good: Tower
  /** A raw connection to the target, TLS up, nothing sent. */
  raw: (instanceId?: Buffer, sessionId?: Buffer) => Promise<RawPeer>
  /** Asserts that the target is up and trades messages with the good tower both ways. */
  stillServes: (label: string) => Promise<void>
  /** Introduces the target and the good tower to each other (done at once unless `lonely`). */
  meetGood: () => void
  /** A raw acceptor on 127.0.0.5 for the target to dial, closed when the test ends. */
  acceptor: () => Promise<RawAcceptor>
}

const ACCEPTOR_HOST = '127.0.0.5'

async function arena (t: Test, options: Partial<TowerOptions> = {}, lonely = false): Promise<Arena> {
  const target = await startTower({ hostname: TARGET_HOST, sendrate: 200, backoffInitial: 20, backoffMax: 100, ...options })
  const good = await startTower({ hostname: GOOD_HOST, sendrate: 200 })
  const raws: RawPeer[] = []
  const acceptors: RawAcceptor[] = []
  t.teardown(async () => {
    for (const raw of raws) raw.destroy()
    for (const acceptor of acceptors) await acceptor.close()
    await good.close({ drain: false })
    await target.close({ drain: false })
  })
  let met = false
  const meetGood = (): void => {
    if (met) return
    met = true
    target.expand(GOOD_HOST, good.port)
    good.expand(TARGET_HOST, target.port)
  }
  if (!lonely) meetGood()
  const atTarget: ClacksMessage[] = []
  const atGood: ClacksMessage[] = []
  target.onMessageReceived(m => { atTarget.push(m) })
  good.onMessageReceived(m => { atGood.push(m) })
  const text = (m: ClacksMessage): string => Buffer.from(m.payload).toString()

  return {
    target,
    good,
    raw: async (instanceId?: Buffer, sessionId?: Buffer) => {
      const raw = await RawPeer.connect(target.port, TARGET_HOST, instanceId, sessionId)
      raws.push(raw)
      return raw
    },
    meetGood,
    acceptor: async () => {
      const { key, cert } = await testCertificate()
      const acceptor = await RawAcceptor.listen(key, cert, ACCEPTOR_HOST)
      acceptors.push(acceptor)
      return acceptor
    },
    stillServes: async (label: string) => {
      meetGood()
      // A hostile acceptor would hold on to whatever reaches it: the application bans it first.
      for (const acceptor of acceptors) target.ignore(ACCEPTOR_HOST, acceptor.port)
      target.resume()
      good.resume()
      const inward = `good -> target after ${label}`
      const outward = `target -> good after ${label}`
      good.enqueue(inward)
      target.enqueue(outward)
      await waitFor(() => atTarget.some(m => text(m) === inward && m.from?.hostname === GOOD_HOST), 10_000, `the target to take a message from the good tower after ${label}`)
      await waitFor(() => atGood.some(m => text(m) === outward && m.from?.hostname === TARGET_HOST), 10_000, `the good tower to take a message from the target after ${label}`)
      t.pass(`after ${label}: the target is up and trades messages with a good tower both ways`)
      t.equal(target.survey().find(p => p.port === good.port)?.status, 'alive', `after ${label}: the good tower is alive for the target`)
    }
  }
}

function expectGoodbye (t: Test, got: { goodbye: { reason: GoodbyeReason } }, reason: GoodbyeReason, what: string): void {
  t.equal(GoodbyeReason[got.goodbye.reason], GoodbyeReason[reason], `${what}: Goodbye ${GoodbyeReason[reason]}`)
}

const kinds = (frames: Frame[]): string[] => frames.map(brief)
const has = (target: Tower, pred: (p: { hostname: string, port: number }) => boolean): boolean => target.survey().some(pred)

t.test('a friend with port 99999 or a hostname with a newline is refused MALFORMED and never enters the peer table', async t => {
  const a = await arena(t, { maxPayloadBytes: 1000 })
  a.target.pause() // keep what it takes, to count it
  const raw = await a.raw()
  await raw.handshake()
  const bad: Array<[string, Frame, RefusalReason]> = [
    ['friend port 99999', messageFrame(1, { friend: { hostname: 'friend.example', port: 99999 } }), RefusalReason.REFUSAL_REASON_MALFORMED],
    ['friend hostname with a newline', messageFrame(2, { friend: { hostname: 'evil\nhost', port: 4000 } }), RefusalReason.REFUSAL_REASON_MALFORMED],
    ['friend port 0', messageFrame(3, { friend: { hostname: 'friend.example', port: 0 } }), RefusalReason.REFUSAL_REASON_MALFORMED],
    ['friend with an empty hostname', messageFrame(4, { friend: { hostname: '', port: 4000 } }), RefusalReason.REFUSAL_REASON_MALFORMED],
    ['friend hostname of 254 characters', messageFrame(5, { friend: { hostname: 'a'.repeat(254), port: 4000 } }), RefusalReason.REFUSAL_REASON_MALFORMED],
    ['an id of 3 bytes', messageFrame(6, { id: Buffer.from([1, 2, 3]) }), RefusalReason.REFUSAL_REASON_MALFORMED],
    ['a payload over the limit', messageFrame(7, { payload: Buffer.alloc(1001) }), RefusalReason.REFUSAL_REASON_TOO_LARGE]
  ]
  for (const [what, frame, reason] of bad) {
    raw.send(frame)
    const seq = frame.kind?.$case === 'message' ? frame.kind.value.seq : -1
    const answer = [brief(await raw.next()), brief(await raw.next())]
    t.same(answer, [`refusal ${seq} ${RefusalReason[reason].replace('REFUSAL_REASON_', '')}`, `ack ${seq}`], `${what}: Refusal ${RefusalReason[reason]} for seq ${seq}, then its Ack`)
  }
  t.notOk(raw.closed, 'a refusal is not the end of the connection')
  t.equal(a.target.stats().refusedInbound, bad.length, 'each refusal counted')
  t.equal(a.target.peek().length, 0, 'none of the refused messages was taken')
  t.notOk(has(a.target, p => p.port === 99999 || p.hostname.includes('\n') || p.port === 0 || p.hostname === '' || p.hostname.length > 253),
    'no bad friend entered the peer table')
  t.notOk(has(a.target, p => p.hostname === 'friend.example'), 'not even by its hostname')

  // The same connection goes on: a good message with a good friend is taken, and the friend recorded.
  raw.send(messageFrame(8, { friend: { hostname: 'friend.example', port: 4000 } }))
  t.equal(brief(await raw.next()), 'ack 8', 'the next good message is acknowledged')
  t.equal(a.target.peek().length, 1, 'and taken')
  t.ok(has(a.target, p => p.hostname === 'friend.example' && p.port === 4000), 'its valid friend is recorded')
  a.target.resume()
  await a.stillServes('bad friends')
})

t.test('a message before hello: Goodbye PROTOCOL_ERROR and the connection closes', async t => {
  const a = await arena(t)
  const cases: Array<[string, Frame]> = [
    ['a message', messageFrame(1)],
    ['an ack', { kind: { $case: 'ack', value: { seq: 1 } } }],
    ['a welcome', { kind: { $case: 'welcome', value: { protocolVersion: 1, tower: RAW_PEER_ADDRESS, instanceId: randomBytes(16), settledThrough: 0, refused: [], maxInFlight: 1, maxFrameBytes: 100, sessionUnknown: false } } }],
    ['an announce', { kind: { $case: 'announce', value: { tower: RAW_PEER_ADDRESS } } }]
  ]
  for (const [what, frame] of cases) {
    const raw = await a.raw()
    raw.send(frame)
    const got = await raw.untilGoodbye()
    expectGoodbye(t, got, GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR, `${what} before hello`)
    t.same(kinds(got.before), [], 'nothing else first')
    await raw.waitClosed()
  }
  t.equal(a.target.peek().length, 0, 'nothing taken')
  t.notOk(has(a.target, p => p.hostname === RAW_PEER_ADDRESS.hostname), 'the raw peer was never recorded (it never said hello)')
  t.equal(a.target.stats().protocolErrors, cases.length, 'each one counted as a protocol error')
  await a.stillServes('frames before hello')
})

t.test('a frame the dialer may not send after hello: Goodbye PROTOCOL_ERROR', async t => {
  const a = await arena(t)
  const cases: Array<[string, Frame]> = [
    ['a second hello', helloFrame()],
    ['an ack', { kind: { $case: 'ack', value: { seq: 0 } } }],
    ['a refusal', { kind: { $case: 'refusal', value: { seq: 1, reason: RefusalReason.REFUSAL_REASON_QUEUE_FULL, detail: '' } } }],
    ['an announce with no tower', { kind: { $case: 'announce', value: { tower: undefined } } }],
    ['an announce with port 99999', { kind: { $case: 'announce', value: { tower: { hostname: 'x.example', port: 99999 } } } }],
    ['an announce with a newline in the hostname', { kind: { $case: 'announce', value: { tower: { hostname: 'x\n.example', port: 4000 } } } }]
  ]
  for (const [what, frame] of cases) {
    const raw = await a.raw()
    await raw.handshake()
    raw.send(frame)
    expectGoodbye(t, await raw.untilGoodbye(), GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR, what)
    await raw.waitClosed()
  }
  t.notOk(has(a.target, p => p.hostname.startsWith('x')), 'no announced bad tower entered the table')
  await a.stillServes('frames out of role')
})

t.test('a bad hello: wrong version, bad tower, bad instance id', async t => {
  const a = await arena(t)
  const cases: Array<[string, Frame, GoodbyeReason]> = [
    ['protocol_version 2', helloFrame({ protocolVersion: 2 }), GoodbyeReason.GOODBYE_REASON_VERSION_UNSUPPORTED],
    ['protocol_version 0', helloFrame({ protocolVersion: 0 }), GoodbyeReason.GOODBYE_REASON_VERSION_UNSUPPORTED],
    ['no tower', helloFrame({ tower: undefined }), GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR],
    ['tower port 99999', helloFrame({ tower: { hostname: 'liar.example', port: 99999 } }), GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR],
    ['tower hostname with a newline', helloFrame({ tower: { hostname: 'liar\n.example', port: 4000 } }), GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR],
    ['an instance id of 15 bytes', helloFrame({ instanceId: randomBytes(15), tower: { hostname: 'liar.example', port: 4000 } }), GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR],
    ['no session id', helloFrame({ sessionId: Buffer.alloc(0), tower: { hostname: 'liar.example', port: 4000 } }), GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR]
  ]
  for (const [what, frame, reason] of cases) {
    const raw = await a.raw()
    raw.send(frame)
    const got = await raw.untilGoodbye()
    expectGoodbye(t, got, reason, what)
    t.same(kinds(got.before), [], `${what}: no welcome`)
    await raw.waitClosed()
  }
  t.notOk(has(a.target, p => p.hostname.startsWith('liar')), 'no rejected dialer entered the peer table')
  await a.stillServes('bad hellos')
})

t.test('an oversize length prefix (2^31) ends the connection at once, without allocating it', async t => {
  const a = await arena(t)
  const prefix2to31 = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]) // varint 2^31
  const just = Buffer.from([0x81, 0x88, 0x40]) // varint 1,049,601: one byte over the default limit
  for (const [what, bytes, afterHello] of [
    ['2^31 before hello', prefix2to31, false],
    ['2^31 after hello', prefix2to31, true],
    ['limit + 1 after hello', just, true]
  ] as const) {
    const raw = await a.raw()
    if (afterHello) await raw.handshake()
    const before = process.memoryUsage().arrayBuffers
    raw.write(bytes) // the prefix alone: no body follows, so an answer proves the length was judged first
    const got = await raw.untilGoodbye()
    expectGoodbye(t, got, GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR, what)
    await raw.waitClosed()
    const grown = process.memoryUsage().arrayBuffers - before
    t.ok(grown < 64 * 1024 * 1024, `${what}: nothing like the declared length was allocated (${grown} bytes grew)`)
  }
  t.equal(a.target.stats().protocolErrors, 3, 'each one counted as a protocol error')
  await a.stillServes('oversize length prefixes')
})

t.test('an over-long varint length prefix: Goodbye PROTOCOL_ERROR', async t => {
  const a = await arena(t)
  for (const [what, bytes] of [
    ['6 continuation bytes', Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80])],
    ['5 bytes, all with the high bit', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff])],
    ['a zero-padded 6-byte encoding of 1', Buffer.from([0x81, 0x80, 0x80, 0x80, 0x80, 0x00])]
  ] as const) {
    const raw = await a.raw()
    raw.write(bytes)
    expectGoodbye(t, await raw.untilGoodbye(), GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR, what)
    await raw.waitClosed()
  }
  await a.stillServes('over-long varints')
})

t.test('garbage bytes: Goodbye PROTOCOL_ERROR', async t => {
  const a = await arena(t)
  const http = Buffer.from(`POST / HTTP/1.1\r\nHost: ${TARGET_HOST}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`)
  const unknownKind = Buffer.from([0x02, 0x78, 0x01]) // only field 15: a kind this version does not know
  for (const [what, bytes, afterHello] of [
    ['an undecodable body', Buffer.from([0x03, 0xff, 0xff, 0xff]), false],
    ['an empty frame (no kind)', Buffer.from([0x00]), false],
    ['a frame of an unknown kind', unknownKind, true],
    ['an HTTP request, the prototype\'s protocol', http, false],
    ['a truncated hello body', Buffer.concat([Buffer.from([0x04]), Buffer.from(encodeFrame(helloFrame())).subarray(1, 5)]), false]
  ] as const) {
    const raw = await a.raw()
    if (afterHello) await raw.handshake()
    raw.write(bytes)
    expectGoodbye(t, await raw.untilGoodbye(), GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR, what)
    await raw.waitClosed()
  }
  await a.stillServes('garbage')
})

t.test('a seq that skips, repeats or starts wrong: Goodbye PROTOCOL_ERROR', async t => {
  const a = await arena(t)
  a.target.pause()
  // Acknowledged in its own read, then a gap.
  const raw = await a.raw()
  await raw.handshake()
  raw.send(messageFrame(1))
  t.equal(brief(await raw.next()), 'ack 1', 'seq 1 acknowledged')
  raw.send(messageFrame(3))
  expectGoodbye(t, await raw.untilGoodbye(), GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR, 'seq 3 after 1')
  await raw.waitClosed()
  t.equal(a.target.peek().length, 1, 'seq 1 was taken, seq 3 was not')

  for (const [what, seqs] of [['a first seq of 2', [2]], ['seq 1 twice', [1, 1]], ['seq 0', [0]]] as const) {
    const again = await a.raw()
    await again.handshake()
    for (const seq of seqs) again.send(messageFrame(seq))
    const got = await again.untilGoodbye()
    expectGoodbye(t, got, GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR, what)
    await again.waitClosed()
  }
  t.equal(a.target.peek().length, 2, 'only the good first messages were taken')

  // A seq over 2^53 - 1 cannot even be decoded as a number.
  const huge = await a.raw()
  await huge.handshake()
  const frame = messageFrame(1)
  if (frame.kind?.$case === 'message') frame.kind.value.seq = '18446744073709551615' as unknown as number
  huge.send(frame)
  expectGoodbye(t, await huge.untilGoodbye(), GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR, 'seq 2^64 - 1')
  await huge.waitClosed()
  a.target.resume()
  await a.stillServes('bad sequence numbers')
})

t.test('a protocol error settles what was read before it: the final Ack comes before the Goodbye', async t => {
  const a = await arena(t)
  a.target.pause()
  for (const [what, tail] of [
    ['a seq gap', [encodeFrame(messageFrame(4))]],
    ['garbage bytes', [Buffer.from([0x03, 0xff, 0xff, 0xff])]]
  ] as const) {
    const raw = await a.raw()
    await raw.handshake()
    const held = a.target.peek().length
    // One write: the tower reads messages 1 and 2 and the offence together.
    raw.write(Buffer.concat([encodeFrame(messageFrame(1)), encodeFrame(messageFrame(2)), ...tail]))
    const got = await raw.untilGoodbye()
    expectGoodbye(t, got, GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR, what)
    t.equal(a.target.peek().length, held + 2, `${what}: messages 1 and 2 were taken`)
    // PROTOCOL.md §6 and §9: the acceptor sends its final Ack before the Goodbye. Without it a
    // real dialer puts 1 and 2 back in its queue (not received) while the tower holds them too.
    t.same(kinds(got.before), ['ack 2'], `${what}: Ack 2 precedes the Goodbye`)
    await raw.waitClosed()
  }
  a.target.resume()
  await a.stillServes('protocol errors mid-read')
})

t.test('a resumed session: settled_through is what was sent, refused lists the refused seq; the old connection is replaced', async t => {
  const a = await arena(t)
  a.target.pause()
  const dialer = randomBytes(16)
  const session = randomBytes(16) // the dialer's id for this link's session: the same on every reconnection
  const first = await a.raw(dialer, session)
  const welcome = await first.handshake({ instanceId: dialer })
  t.equal(welcome.settledThrough, 0, 'a first contact is a new session')
  t.same(welcome.refused, [])
  t.equal(Buffer.from(welcome.instanceId).toString('hex'), a.target.instanceId, 'the welcome names the tower\'s instance')

  first.send(messageFrame(1, { payload: 'one' }))
  first.send(messageFrame(2, { id: Buffer.from([9, 9, 9]) })) // refused: MALFORMED
  first.send(messageFrame(3, { payload: 'three' }))
  const seen: string[] = []
  while (!seen.includes('ack 3')) seen.push(brief(await first.next()))
  t.ok(seen.includes('refusal 2 MALFORMED'), `seq 2 refused (${seen.join(', ')})`)

  // The same dialer instance reconnects while its first connection still looks open, and resumes.
  const second = await a.raw(dialer, session)
  const resumed = await second.handshake({ instanceId: dialer, resumeInstanceId: welcome.instanceId })
  t.equal(resumed.settledThrough, 3, 'settled_through = the last seq sent')
  t.same(resumed.refused, [2], 'refused = the refused seq')
  t.equal(Buffer.from(resumed.instanceId).toString('hex'), a.target.instanceId, 'same acceptor instance')
  expectGoodbye(t, await first.untilGoodbye(), GoodbyeReason.GOODBYE_REASON_REPLACED, 'the old connection')
  await first.waitClosed()

  // The session continues at settled_through + 1; a replay of seq 1 would be a protocol error.
  second.send(messageFrame(4, { payload: 'four' }))
  t.equal(brief(await second.next()), 'ack 4', 'seq 4 continues the session')
  t.same(a.target.peek().map(m => Buffer.from(m.payload).toString()), ['one', 'three', 'four'], 'each taken message held once')

  // A resume naming another acceptor instance (the tower "restarted") starts a new session.
  const third = await a.raw(dialer, session)
  const fresh = await third.handshake({ instanceId: dialer, resumeInstanceId: randomBytes(16) })
  t.equal(fresh.settledThrough, 0, 'a resume for another instance is a new session')
  t.same(fresh.refused, [])
  expectGoodbye(t, await second.untilGoodbye(), GoodbyeReason.GOODBYE_REASON_REPLACED, 'the second connection')
  third.send(messageFrame(1, { payload: 'new one' }))
  t.equal(brief(await third.next()), 'ack 1', 'the new session starts at 1')

  // Another dialer cannot resume someone else's session by naming the tower.
  const stranger = await a.raw()
  const other = await stranger.handshake({ resumeInstanceId: welcome.instanceId })
  t.equal(other.settledThrough, 0, 'an unknown session gets a new session')
  // A second link of the same dialer instance (the tower known under two names) is a session of its own.
  const sibling = await a.raw(dialer)
  const own = await sibling.handshake({ resumeInstanceId: welcome.instanceId })
  t.equal(own.settledThrough, 0, 'another session id of the same dialer instance is a new session')
  sibling.send(messageFrame(1, { payload: 'sibling one' }))
  t.equal(brief(await sibling.next()), 'ack 1', 'with its own sequence numbers')
  await sleep(100)
  t.notOk(third.closed, 'neither replaces the live session')
  a.target.resume()
  await a.stillServes('resumed and replaced sessions')
})

t.test('a hello that never comes: the connection is closed after handshakeTimeout', async t => {
  const handshakeTimeout = 400
  const a = await arena(t, { handshakeTimeout })
  const started = Date.now()
  const raw = await a.raw()
  const got = await raw.untilGoodbye(handshakeTimeout + 5000)
  const elapsed = Date.now() - started
  expectGoodbye(t, got, GoodbyeReason.GOODBYE_REASON_HANDSHAKE_TIMEOUT, 'silence after TLS')
  await raw.waitClosed()
  t.ok(elapsed >= handshakeTimeout - 50, `not before the timeout (${elapsed} ms)`)
  t.equal(a.target.stats().handshakeTimeouts, 1, 'counted')

  // No TLS at all: a plain TCP connection that says nothing.
  const plain = await connectPlain(a.target.port, TARGET_HOST)
  const closed = await new Promise<boolean>(resolve => {
    const timer = setTimeout(() => resolve(false), handshakeTimeout + 5000)
    plain.once('close', () => { clearTimeout(timer); resolve(true) })
  })
  t.ok(closed, 'a silent plain TCP connection is closed too')
  plain.destroy()
  await a.stillServes('silent connections')
})

t.test('a hello dribbled one byte at a time still has to finish within handshakeTimeout', async t => {
  const handshakeTimeout = 400
  const a = await arena(t, { handshakeTimeout })
  const raw = await a.raw()
  const bytes = encodeFrame(helloFrame())
  const started = Date.now()
  // One byte every 150 ms: each gap is well inside the timeout, the whole is many times over it.
  for (let i = 0; i < bytes.length - 1 && !raw.closed && Date.now() - started < 4 * handshakeTimeout; i++) {
    raw.write(bytes.subarray(i, i + 1))
    await new Promise(resolve => setTimeout(resolve, 150))
  }
  const closedInTime = raw.closed
  t.ok(closedInTime, `closed within 4 x handshakeTimeout of the accept (PROTOCOL.md §5: counted from the TCP accept)`)
  raw.destroy()
  await a.stillServes('a dribbled hello')
})

t.test('an ignored dialer is turned away at hello', async t => {
  const a = await arena(t)
  const liar = { hostname: 'ignored.example', port: 4321 }
  a.target.ignore(liar.hostname, liar.port)
  const raw = await a.raw()
  raw.hello({ tower: liar })
  const got = await raw.untilGoodbye()
  expectGoodbye(t, got, GoodbyeReason.GOODBYE_REASON_IGNORED, 'hello from an ignored tower')
  t.same(kinds(got.before), [], 'no welcome')
  await raw.waitClosed()
  // In another case the same address is the same tower.
  const shout = await a.raw()
  shout.hello({ tower: { hostname: liar.hostname.toUpperCase(), port: liar.port } })
  expectGoodbye(t, await shout.untilGoodbye(), GoodbyeReason.GOODBYE_REASON_IGNORED, 'the same address in capitals')
  t.equal(a.target.stats().ignoredRefused, 2)
  await a.stillServes('an ignored dialer')
})

t.test('connections over maxConnections get Goodbye TOO_MANY_CONNECTIONS', async t => {
  const a = await arena(t, { maxConnections: 3 })
  await a.stillServes('the warm-up') // the good tower holds one connection each way
  const first = await a.raw()
  await first.handshake()
  const extra: RawPeer[] = []
  let refused: RawPeer | undefined
  for (let i = 0; i < 3 && refused === undefined; i++) {
    const raw = await a.raw()
    extra.push(raw)
    raw.hello()
    const frame = await raw.next()
    if (frame.kind?.$case === 'goodbye') refused = raw
  }
  t.ok(refused !== undefined, 'a connection beyond the cap is refused')
  t.equal(brief(refused?.frames[0]), 'goodbye TOO_MANY_CONNECTIONS')
  t.ok(a.target.stats().connectionsRefused >= 1, 'counted')
  for (const raw of [first, ...extra]) raw.destroy()
  await waitFor(() => a.target.stats().connections.inbound <= 1, 5000, 'the raw connections to be released')
  await a.stillServes('too many connections')
})

// Regression: evicted peers whose links were still dialling once corrupted the table's buckets
// when the dial later failed, and the next pick threw TypeError in the pump (uncaught).
t.test('a flood of made-up friends cannot evict alive towers or break the table while the tower is dialling', async t => {
  const handshakeTimeout = 300
  const a = await arena(t, { maxPeers: 4, handshakeTimeout })
  await a.stillServes('the warm-up')
  // Friends whose ports accept TCP and then say nothing: the target's dials to them hang
  // until its handshake timeout, so they are in progress when the next friends arrive.
  const holes = await Promise.all(Array.from({ length: 30 }, () => silentListener('127.0.0.9')))
  t.teardown(() => { for (const hole of holes) hole.close() })
  let friendsDiscovered = 0
  a.target.onTowerDiscovered(view => { if (view.hostname === '127.0.0.9' && view.port !== RAW_PEER_ADDRESS.port) friendsDiscovered++ })
  const raw = await a.raw()
  await raw.handshake()
  let seq = 1
  for (let batch = 0; batch < 3; batch++) {
    raw.sendAll(holes.slice(batch * 10, batch * 10 + 10).map(hole => messageFrame(seq++, { friend: { hostname: '127.0.0.9', port: hole.port } })))
    await new Promise(resolve => setTimeout(resolve, handshakeTimeout / 3))
  }
  await new Promise(resolve => setTimeout(resolve, 3 * handshakeTimeout))
  t.ok(friendsDiscovered > 4, `the flood went through the table (${friendsDiscovered} friends added, evicting others)`)
  const survey = a.target.survey()
  const stats = a.target.stats()
  const counted = Object.values(stats.peers).reduce((n, c) => n + c, 0)
  t.ok(survey.length <= 4, `the table stays within maxPeers (${survey.length})`)
  t.equal(counted, survey.length, `stats().peers agrees with survey() (${JSON.stringify(stats.peers)})`)
  t.equal(survey.find(p => p.port === a.good.port)?.status, 'alive', 'the alive good tower survived the flood')
  await a.stillServes('a friend flood')
  await settle([a.target, a.good])
  // 30 from the flood, and two probes each way (the warm-up and this one).
  t.equal(heldIds([a.target, a.good]).length, 34, 'every message is still held, once: evictions lost none')
})

/** A TCP port that accepts connections and never answers. */
function silentListener (host: string): Promise<{ port: number, close: () => void }> {
  return new Promise((resolve, reject) => {
    const sockets = new Set<Socket>()
    const server = createTcpServer(socket => {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => sockets.delete(socket))
    })
    server.once('error', reject)
    server.listen(0, host, () => {
      const address = server.address()
      resolve({
        port: typeof address === 'object' && address !== null ? address.port : 0,
        close: () => {
          for (const socket of sockets) socket.destroy()
          server.close()
        }
      })
    })
  })
}

// --- the other side: a hostile acceptor that the tower dials ---

const text = (payload: Uint8Array): string => Buffer.from(payload).toString()
const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
const messagesIn = (frames: Frame[]): Array<{ seq: number, id: string, payload: string }> => frames.flatMap(f =>
  f.kind?.$case === 'message' ? [{ seq: f.kind.value.seq, id: Buffer.from(f.kind.value.id).toString('hex'), payload: text(f.kind.value.payload) }] : [])

t.test('a welcome the dialer must not accept: wrong version, or an instance id that is not 16 bytes', async t => {
  for (const [what, welcome] of [
    ['protocol_version 2', welcomeFrame({ protocolVersion: 2 })],
    ['an instance id of 3 bytes', welcomeFrame({ instanceId: Buffer.from([1, 2, 3]) })]
  ] as const) {
    const a = await arena(t, {}, true)
    const acceptor = await a.acceptor()
    a.target.expand(ACCEPTOR_HOST, acceptor.port)
    a.target.enqueue(`for the acceptor (${what})`)
    const conn = await acceptor.accept()
    t.equal(brief(await conn.next()), 'hello', `${what}: the tower says hello`)
    conn.send(welcome)
    await sleep(300)
    const answer = conn.frames.slice(1).map(brief)
    // PROTOCOL.md §5 (the dialer, on Welcome, step 1): Goodbye{PROTOCOL_ERROR} and close.
    t.same(answer, ['goodbye PROTOCOL_ERROR'], `${what}: the dialer answers Goodbye PROTOCOL_ERROR and nothing else`)
    t.ok(conn.closed, `${what}: and closes`)
    t.not(a.target.survey().find(p => p.port === acceptor.port)?.status, 'alive', `${what}: the acceptor is not counted alive`)
    await a.stillServes(`a welcome with ${what}`)
  }
})

t.test('the dialer keeps to the acceptor\'s max_in_flight', async t => {
  const a = await arena(t, {}, true)
  const acceptor = await a.acceptor()
  a.target.pause()
  a.target.expand(ACCEPTOR_HOST, acceptor.port)
  for (let i = 1; i <= 5; i++) a.target.enqueue(`m${i}`)
  a.target.resume()
  const conn = await acceptor.accept()
  await conn.next()
  conn.send(welcomeFrame({ maxInFlight: 2 }))
  await waitFor(() => messagesIn(conn.frames).length >= 1, 5000, 'messages')
  await sleep(300)
  t.same(messagesIn(conn.frames).map(m => m.seq), [1, 2], 'two messages, then it waits')
  conn.send({ kind: { $case: 'ack', value: { seq: 2 } } })
  await waitFor(() => messagesIn(conn.frames).length >= 4, 5000, 'two more after the ack')
  await sleep(200)
  t.same(messagesIn(conn.frames).map(m => m.seq), [1, 2, 3, 4], 'exactly two more')
  conn.send({ kind: { $case: 'ack', value: { seq: 4 } } })
  await waitFor(() => messagesIn(conn.frames).length === 5, 5000, 'the last one')
  conn.send({ kind: { $case: 'ack', value: { seq: 5 } } })
  await waitFor(() => a.target.stats().acked === 5, 5000, 'all acknowledged')
  t.equal(a.target.peek({ inFlight: true }).length, 0, 'the acceptor has them all')
  await a.stillServes('a small window')
})

t.test('the dialer never sends a frame over the acceptor\'s max_frame_bytes', async t => {
  const a = await arena(t, {}, true)
  const acceptor = await a.acceptor()
  a.target.expand(ACCEPTOR_HOST, acceptor.port)
  a.target.enqueue('small')
  const conn = await acceptor.accept()
  await conn.next()
  conn.send(welcomeFrame({ maxFrameBytes: 200 }))
  await waitFor(() => messagesIn(conn.frames).length === 1, 5000, 'the small message')
  conn.send({ kind: { $case: 'ack', value: { seq: 1 } } })
  await waitFor(() => a.target.stats().acked === 1, 5000, 'its ack')
  const big = 'x'.repeat(500)
  const id = a.target.enqueue(big)
  await sleep(400)
  // PROTOCOL.md §3: "a dialer MUST NOT send a larger frame (a message that would not fit goes to another tower)".
  t.same(messagesIn(conn.frames).map(m => m.payload.length), [5], 'the 500-byte message was not sent to a tower that reads 200-byte frames')
  conn.send({ kind: { $case: 'ack', value: { seq: 2 } } }) // (if it was sent anyway, settle it)
  a.meetGood()
  await waitFor(() => a.good.peek().some(m => m.id === id) || a.target.stats().acked >= 2, 5000, 'the big message to find a home')
  await a.stillServes('a small max_frame_bytes')
})

t.test('an ack beyond what was sent, or a refusal of an unknown seq, is a protocol error; the message stays the dialer\'s', async t => {
  for (const [what, reply] of [
    ['an ack for seq 1000', { kind: { $case: 'ack', value: { seq: 1000 } } }],
    ['a refusal of seq 77', { kind: { $case: 'refusal', value: { seq: 77, reason: RefusalReason.REFUSAL_REASON_QUEUE_FULL, detail: '' } } }]
  ] as Array<[string, Frame]>) {
    const a = await arena(t, {}, true)
    const acceptor = await a.acceptor()
    a.target.expand(ACCEPTOR_HOST, acceptor.port)
    const id = a.target.enqueue(`probe for ${what}`)
    const conn = await acceptor.accept()
    await conn.next()
    conn.send(welcomeFrame())
    await waitFor(() => messagesIn(conn.frames).length === 1, 5000, 'the message')
    conn.send(reply)
    expectGoodbye(t, await conn.untilGoodbye(), GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR, what)
    await conn.waitClosed()
    t.equal(a.target.stats().acked, 0, `${what}: not counted as delivered`)
    t.ok(a.target.peek({ inFlight: true }).some(m => m.id === id), `${what}: the message is still the tower's`)
    await a.stillServes(what)
  }
})

t.test('a lost ack: after ackTimeout the messages are in doubt, sent nowhere, and the resume settles them exactly', async t => {
  const a = await arena(t, { ackTimeout: 300, backoffInitial: 50, backoffMax: 100 }, true)
  const acceptor = await a.acceptor()
  a.target.pause()
  a.target.expand(ACCEPTOR_HOST, acceptor.port)
  const ids = ['one', 'two', 'three'].map(p => a.target.enqueue(p))
  a.target.resume()
  const first = await acceptor.accept()
  const hello = await first.next()
  t.equal(hello.kind?.$case === 'hello' ? hello.kind.value.resumeInstanceId.length : -1, 0, 'a first contact resumes nothing')
  const acceptorInstance = Buffer.alloc(16, 0xa1)
  first.send(welcomeFrame({ instanceId: acceptorInstance }))
  await waitFor(() => messagesIn(first.frames).length === 3, 5000, 'three messages')
  t.same(messagesIn(first.frames).map(m => m.payload), ['one', 'two', 'three'])
  // No ack: the tower must give up on the connection and hold the three in doubt.
  await first.waitClosed(5000)
  await waitFor(() => a.target.stats().inDoubt === 3, 3000, 'three messages in doubt')

  // A good tower appears meanwhile: in-doubt messages must not go to it.
  a.meetGood()
  a.target.enqueue('unrelated')
  await waitFor(() => a.good.peek().some(m => text(m.payload) === 'unrelated'), 5000, 'other traffic to flow')
  t.notOk(a.good.peek().some(m => ids.includes(m.id)), 'no in-doubt message was sent to another tower')

  // The tower reconnects on its own to settle them, naming the session to resume.
  const second = await acceptor.accept(5000)
  const resume = await second.next()
  t.ok(resume.kind?.$case === 'hello' && Buffer.from(resume.kind.value.resumeInstanceId).equals(acceptorInstance), 'hello resumes the session')
  // The acceptor says: it settled up to 2, refusing 1. So 2 arrived; 1 and 3 are the tower's again.
  second.send(welcomeFrame({ instanceId: acceptorInstance, settledThrough: 2, refused: [1] }))
  await waitFor(() => a.target.stats().inDoubt === 0, 3000, 'the doubt to be resolved')
  t.equal(a.target.stats().acked >= 1, true, 'the one the acceptor took counts as delivered')
  const resent = messagesIn(second.frames)
  t.ok(resent.every(m => m.seq >= 3), `the session continues at settled_through + 1 (${resent.map(m => m.seq).join(', ')})`)
  t.notOk(resent.some(m => m.id === ids[1]), 'the settled message is not sent again')
  // Quiet the tower, let the acceptor take everything it was sent since, then ban it and count.
  a.target.pause()
  await sleep(100)
  const taken = messagesIn(second.frames)
  if (taken.length > 0) second.send({ kind: { $case: 'ack', value: { seq: Math.max(...taken.map(m => m.seq)) } } })
  const takenIds = taken.map(m => m.id)
  await waitFor(() => !a.target.peek({ inFlight: true }).some(m => takenIds.includes(m.id)), 3000, 'the acknowledgement to arrive')
  a.target.ignore(ACCEPTOR_HOST, acceptor.port)
  await settle([a.target, a.good])
  const everywhere = [...heldIds([a.target, a.good]), ...takenIds, ids[1] as string].filter(id => ids.includes(id))
  t.same([...everywhere].sort(), [...ids].sort(), 'each of the three is held exactly once: none lost, none doubled')
  await a.stillServes('a lost ack and a resume')
})

t.test('a restarted acceptor (new instance id) gets every in-doubt message again, from seq 1', async t => {
  const a = await arena(t, { ackTimeout: 300, backoffInitial: 50, backoffMax: 100 }, true)
  const acceptor = await a.acceptor()
  a.target.pause()
  a.target.expand(ACCEPTOR_HOST, acceptor.port)
  const ids = ['one', 'two'].map(p => a.target.enqueue(p))
  a.target.resume()
  const first = await acceptor.accept()
  await first.next()
  first.send(welcomeFrame({ instanceId: Buffer.alloc(16, 1) }))
  await waitFor(() => messagesIn(first.frames).length === 2, 5000, 'two messages')
  await first.waitClosed(5000)
  const second = await acceptor.accept(5000)
  await second.next()
  second.send(welcomeFrame({ instanceId: Buffer.alloc(16, 2), settledThrough: 0 }))
  await waitFor(() => messagesIn(second.frames).length === 2, 5000, 'both sent again')
  t.same(messagesIn(second.frames).map(m => m.seq), [1, 2], 'the new session starts at seq 1')
  t.same(messagesIn(second.frames).map(m => m.id).sort(), [...ids].sort(), 'both messages, since the restarted acceptor holds nothing')
  second.send({ kind: { $case: 'ack', value: { seq: 2 } } })
  await waitFor(() => a.target.peek({ inFlight: true }).length === 0, 5000, 'custody to pass')
  await a.stillServes('a restarted acceptor')
})

t.test('a peer that vanishes holding messages in doubt: they stay put until it is dead, then go elsewhere, once', async t => {
  // Fast redials (every 20-40 ms) and a slower upkeep tick (killtimeout / 4): after killtimeout the
  // failed redial, not the periodic sweep, is usually what declares the peer dead.
  const killtimeout = 1500
  const a = await arena(t, { killtimeout, backoffInitial: 20, backoffMax: 40 }, true)
  const acceptor = await a.acceptor()
  a.target.pause()
  a.target.expand(ACCEPTOR_HOST, acceptor.port)
  const ids = ['one', 'two'].map(p => a.target.enqueue(p))
  a.target.resume()
  const conn = await acceptor.accept()
  await conn.next()
  conn.send(welcomeFrame())
  await waitFor(() => messagesIn(conn.frames).length === 2, 5000, 'two messages sent')
  await acceptor.close() // gone without a goodbye or an ack, and nobody answers the reconnections
  await waitFor(() => a.target.stats().inDoubt === 2, 3000, 'both in doubt')
  const lostAt = Date.now()
  a.meetGood()
  a.target.enqueue('other traffic')
  await waitFor(() => a.good.peek().some(m => text(m.payload) === 'other traffic'), 5000, 'other traffic to reach the good tower')
  await sleep(killtimeout / 3)
  t.notOk(a.good.peek().some(m => ids.includes(m.id)), 'while the vanished peer is only lost, its in-doubt messages go nowhere')
  t.equal(a.target.stats().inDoubt, 2)
  await waitFor(() => a.target.survey().find(p => p.port === acceptor.port)?.status === 'dead', killtimeout + 5000, 'the vanished peer to be dead')
  t.ok(Date.now() - lostAt >= killtimeout - 250, 'not before killtimeout')
  try {
    await waitFor(() => a.target.stats().inDoubt === 0, 2000, 'the doubt to end with its death')
  } catch {
    // asserted below
  }
  t.equal(a.target.stats().inDoubt, 0, 'once the peer is dead its in-doubt messages are released (PROTOCOL.md §10, §11)')
  a.target.ignore(ACCEPTOR_HOST, acceptor.port) // (releases them either way, so the count below is fair)
  await settle([a.target, a.good])
  t.same(heldIds([a.target, a.good]).filter(id => ids.includes(id)).sort(), [...ids].sort(), 'both are held again, exactly once')
  await a.stillServes('a peer that vanished with messages in doubt')
})

t.test('a dialer that goes quiet after hello is closed with Goodbye IDLE after twice the idle timeout', async t => {
  const idleTimeout = 200
  const a = await arena(t, { idleTimeout })
  const raw = await a.raw()
  await raw.handshake()
  const started = Date.now()
  const got = await raw.untilGoodbye(10 * idleTimeout + 3000)
  expectGoodbye(t, got, GoodbyeReason.GOODBYE_REASON_IDLE, 'a silent dialer')
  t.ok(Date.now() - started >= 2 * idleTimeout - 50, `not before 2 x idleTimeout (${Date.now() - started} ms)`)
  await raw.waitClosed()
  await a.stillServes('an idle dialer')
})

t.test('TLS without clacks/1, or below TLS 1.3, gets no Clacks conversation', async t => {
  const a = await arena(t)
  const attempt = (options: ConnectionOptions): Promise<{ secured: boolean, alpn: string | false | null, got: number }> => new Promise(resolve => {
    let secured = false
    let got = 0
    const socket = tlsConnect({ host: TARGET_HOST, port: a.target.port, rejectUnauthorized: false, ...options })
    socket.on('secureConnect', () => {
      secured = true
      // Speak Clacks anyway: a tower must not answer on a connection without clacks/1.
      socket.write(encodeFrame(helloFrame()))
    })
    socket.on('data', chunk => { got += chunk.length })
    socket.on('error', () => {})
    socket.on('close', () => resolve({ secured, alpn: socket.alpnProtocol ?? null, got }))
    setTimeout(() => socket.destroy(), 3000)
  })
  const noAlpn = await attempt({ minVersion: 'TLSv1.3' })
  t.equal(noAlpn.got, 0, 'no ALPN offered: not a byte of Clacks back')
  const h2 = await attempt({ minVersion: 'TLSv1.3', ALPNProtocols: ['h2'] })
  t.equal(h2.got, 0, 'only h2 offered: not a byte of Clacks back')
  const tls12 = await attempt({ maxVersion: 'TLSv1.2', ALPNProtocols: ['clacks/1'] })
  t.notOk(tls12.secured, 'TLS 1.2 is not negotiated')
  t.ok(a.target.stats().tlsFailures >= 1, 'the failed TLS handshake is counted')
  await a.stillServes('the wrong TLS')
})

t.test('announce() to an acceptor that never answers the Announce settles within a bound', async t => {
  const a = await arena(t, { ackTimeout: 300, handshakeTimeout: 500, idleTimeout: 300 }, true)
  const acceptor = await a.acceptor()
  const outcome = a.target.announce(ACCEPTOR_HOST, acceptor.port).then(() => 'resolved', (error: { code?: string }) => `rejected ${error.code}`)
  const conn = await acceptor.accept()
  t.equal(brief(await conn.next()), 'hello')
  conn.send(welcomeFrame())
  t.match(brief(await conn.next()), /^announce /, 'the tower announces itself')
  // ... and the acceptor says nothing more.
  const settled = await Promise.race([outcome, sleep(3000).then(() => 'pending')])
  t.not(settled, 'pending', `announce() settled (${settled}) within 3 s, i.e. 6 x the longest of its timeouts`)
  a.target.ignore(ACCEPTOR_HOST, acceptor.port) // (settles it, so nothing dangles after the test)
  t.match(await outcome, /^rejected /, 'ignoring the tower rejects the pending announce')
  await a.stillServes('an unanswered announce')
})
