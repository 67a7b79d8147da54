/**
 * The conformance cases: each one plays a dialer against the tower under
 * test, good or broken, and checks the answer against the section of
 * PROTOCOL.md it names. A case returns pass or info with what it saw, or
 * throws (a mismatch, a timeout) and fails with that.
 */
import { randomBytes } from 'node:crypto'
import { GoodbyeReason, Message, type Frame } from '../gen/clacks/v1/frame.js'
import { addressProblem } from '../tower/address.js'
import { DIALER_CASES } from './dialer-cases.js'
import { ConformancePeer, describe, describeAll } from './peer.js'
import { body, type CaseContext, delimited, expectFrames, expectGoodbye, goodbye, info, mismatch, type Outcome, pass, untilAck, varint } from './context.js'

export interface ConformanceCase {
  id: string
  /** The PROTOCOL.md section it checks, e.g. '§5'. */
  section: string
  title: string
  /** Waits on the tower's timers; `--quick` skips it. */
  slow?: boolean
  run (context: CaseContext): Promise<Outcome>
}

const PROTOCOL_ERROR = GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR

/** Opens a session, sends `bytes` after one good message, and expects Ack 1 then Goodbye PROTOCOL_ERROR. */
async function refusedAfterOne (context: CaseContext, bytes: Uint8Array): Promise<Outcome> {
  const { peer } = await context.open()
  peer.send(context.message(1))
  peer.write(bytes)
  const { before, said } = await expectGoodbye(peer, PROTOCOL_ERROR, context.timeout)
  expectFrames(before, ['ack 1'], 'before the Goodbye, the final Ack of the good message')
  return pass(said)
}

/** Sends `bytes` as the first thing on a connection and expects Goodbye PROTOCOL_ERROR. */
async function refusedFirst (context: CaseContext, bytes: Uint8Array): Promise<Outcome> {
  const peer = await context.dial()
  peer.write(bytes)
  const { before, said } = await expectGoodbye(peer, PROTOCOL_ERROR, context.timeout)
  expectFrames(before, [], 'before the Goodbye')
  return pass(said)
}

/** A TLS attempt the tower must not speak Clacks on: it fails, or the tower closes without a frame. */
async function noConversation (context: CaseContext, options: Parameters<typeof ConformancePeer.dial>[1]): Promise<Outcome> {
  const outcome = await ConformancePeer.dial(context.settings.target, options, context.timeout)
  if ('failed' in outcome) return pass(`TLS refused: ${outcome.failed}`)
  const { peer } = outcome
  try {
    if (peer.alpn === 'clacks/1') throw mismatch('the tower selected clacks/1 although it was not offered')
    // Written as a Clacks dialer would: a tower that answers has spoken Clacks without clacks/1.
    peer.send(context.hello(context.identity()))
    const { closed, frames } = await peer.untilClosed(context.timeout)
    if (frames.length > 0) throw mismatch(`the tower answered ${describeAll(frames)}`)
    if (!closed) throw mismatch(`TLS up with ALPN ${String(peer.alpn)}, and the connection still open after ${context.timeout} ms`)
    return pass(`TLS up with ALPN ${String(peer.alpn)}, closed without a frame`)
  } finally {
    peer.destroy()
  }
}

const handshake: ConformanceCase[] = [
  {
    id: 'handshake.welcome',
    section: '§5',
    title: 'a good Hello is answered by a valid Welcome',
    async run (context) {
      const { welcome } = await context.open()
      const problems: string[] = []
      if (welcome.protocolVersion !== 1) problems.push(`protocol_version ${welcome.protocolVersion}`)
      if (welcome.instanceId.length !== 16) problems.push(`instance_id of ${welcome.instanceId.length} bytes`)
      if (welcome.settledThrough !== 0 || welcome.refused.length > 0) problems.push(`a new session with settled_through ${welcome.settledThrough}, refused [${welcome.refused.join(', ')}]`)
      if (welcome.maxInFlight === 0) problems.push('max_in_flight 0')
      if (welcome.maxFrameBytes < 1024) problems.push(`max_frame_bytes ${welcome.maxFrameBytes}`)
      const tower = welcome.tower
      const towerProblem = tower === undefined ? 'no tower' : addressProblem(tower.hostname, tower.port)
      if (towerProblem !== undefined) problems.push(towerProblem)
      if (problems.length > 0) throw mismatch(`Welcome with ${problems.join('; ')}`)
      return pass(`Welcome from ${tower?.hostname ?? ''}:${tower?.port ?? ''}, max_in_flight ${welcome.maxInFlight}, max_frame_bytes ${welcome.maxFrameBytes}`)
    }
  },
  {
    id: 'handshake.version',
    section: '§5',
    title: 'protocol_version 2 gets Goodbye VERSION_UNSUPPORTED',
    async run (context) {
      const peer = await context.dial()
      peer.send(context.hello(context.identity(), { protocolVersion: 2 }))
      return pass((await expectGoodbye(peer, GoodbyeReason.GOODBYE_REASON_VERSION_UNSUPPORTED, context.timeout)).said)
    }
  },
  {
    id: 'handshake.bad-instance-id',
    section: '§5',
    title: 'an instance_id of 15 bytes gets Goodbye PROTOCOL_ERROR',
    run: async context => await refusedFirst(context, delimited(body(context.hello(context.identity(), { instanceId: randomBytes(15) }))))
  },
  {
    id: 'handshake.no-session-id',
    section: '§5',
    title: 'a Hello without session_id gets Goodbye PROTOCOL_ERROR',
    run: async context => await refusedFirst(context, delimited(body(context.hello(context.identity(), { sessionId: Buffer.alloc(0) }))))
  },
  {
    id: 'handshake.bad-tower',
    section: '§5',
    title: 'a Hello whose tower has a space in its hostname, or port 0, or none, gets Goodbye PROTOCOL_ERROR',
    async run (context) {
      const seen: string[] = []
      for (const tower of [{ hostname: 'bad host', port: 8080 }, { hostname: 'tower.example', port: 0 }, undefined]) {
        const outcome = await refusedFirst(context, delimited(body(context.hello(context.identity(), { tower }))))
        seen.push(outcome.seen)
      }
      return pass(seen.join('; '))
    }
  },
  {
    id: 'handshake.timeout',
    section: '§5, §10',
    title: 'a dialer that sends nothing after TLS is closed within the handshake timeout',
    slow: true,
    async run (context) {
      const peer = await context.dial()
      const started = Date.now()
      const limit = context.settings.handshakeTimeoutMs + 5000
      const { closed, frames } = await peer.untilClosed(limit)
      const took = Date.now() - started
      if (!closed) throw mismatch(`still open after ${took} ms (expected a close after about ${context.settings.handshakeTimeoutMs} ms)`)
      const seen = `${describeAll(frames)}, closed after ${took} ms`
      if (frames.length > 1 || (frames.length === 1 && !isGoodbye(frames[0], GoodbyeReason.GOODBYE_REASON_HANDSHAKE_TIMEOUT))) throw mismatch(seen)
      return pass(seen)
    }
  }
]

const transport: ConformanceCase[] = [
  {
    id: 'transport.alpn-other',
    section: '§2',
    title: 'TLS offering only ALPN http/1.1 gets no Clacks conversation',
    run: async context => await noConversation(context, { alpn: ['http/1.1'] })
  },
  {
    id: 'transport.alpn-none',
    section: '§2',
    title: 'TLS offering no ALPN gets no Clacks conversation',
    run: async context => await noConversation(context, { alpn: [] })
  },
  {
    id: 'transport.tls12',
    section: '§2',
    title: 'TLS 1.2 is not negotiated',
    async run (context) {
      const outcome = await ConformancePeer.dial(context.settings.target, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, context.timeout)
      if ('failed' in outcome) return pass(`TLS 1.2 refused: ${outcome.failed}`)
      outcome.peer.destroy()
      throw mismatch('the tower completed a TLS 1.2 handshake')
    }
  }
]

const messages: ConformanceCase[] = [
  {
    id: 'handoff.ack',
    section: '§6',
    title: 'three messages in one write are acknowledged, up to seq 3, with no more input',
    async run (context) {
      const { peer } = await context.open()
      peer.send(context.message(1), context.message(2, { payload: Buffer.alloc(0) }), context.message(3, { hops: 7 }))
      const frames = await untilAck(peer, 3, context.timeout)
      if (frames.some(frame => frame.kind?.$case === 'refusal')) throw mismatch(`refused a good message: ${describeAll(frames)}`)
      return pass(describeAll(frames))
    }
  },
  {
    id: 'handoff.window',
    section: '§5, §6, §13',
    title: 'a full window (max_in_flight messages, sent without waiting) is all acknowledged',
    async run (context) {
      const { peer, welcome } = await context.open()
      const count = Math.min(welcome.maxInFlight, 4096)
      const frames: Frame[] = []
      for (let seq = 1; seq <= count; seq++) frames.push(context.message(seq, { payload: Buffer.alloc(16) }))
      peer.send(...frames)
      const answers = await untilAck(peer, count, context.timeout * 2)
      const refusals = answers.filter(frame => frame.kind?.$case === 'refusal')
      if (refusals.length > 0) return info(`${count} messages: ${refusals.length} refused (${describe(refusals[0])}), the rest acknowledged`)
      return pass(`${count} messages acknowledged in ${answers.length} Ack${answers.length === 1 ? '' : 's'}`)
    }
  },
  {
    id: 'handoff.unknown-field',
    section: '§16',
    title: 'an unknown field inside a Message is skipped and the message taken',
    async run (context) {
      const { peer } = await context.open()
      // Message field 15 (a varint), which v1 does not define.
      peer.write(delimited(messageField(Buffer.concat([messageBody(context.message(1)), Buffer.from([0x78, 0x2a])]))))
      return pass(describeAll(await untilAck(peer, 1, context.timeout)))
    }
  },
  {
    id: 'handoff.seq-gap',
    section: '§6, §9',
    title: 'a seq that skips: final Ack of what came before, then Goodbye PROTOCOL_ERROR',
    async run (context) {
      const { peer } = await context.open()
      peer.send(context.message(1), context.message(2), context.message(4))
      const { before, said } = await expectGoodbye(peer, PROTOCOL_ERROR, context.timeout)
      expectFrames(before.slice(-1), ['ack 2'], 'the last frame before the Goodbye')
      return pass(said)
    }
  },
  {
    id: 'handoff.seq-start',
    section: '§6',
    title: 'a new session starting at seq 2 gets Goodbye PROTOCOL_ERROR',
    async run (context) {
      const { peer } = await context.open()
      peer.send(context.message(2))
      const { before, said } = await expectGoodbye(peer, PROTOCOL_ERROR, context.timeout)
      expectFrames(before, [], 'before the Goodbye')
      return pass(said)
    }
  },
  {
    id: 'refusal.malformed-id',
    section: '§6, §14',
    title: 'an id of 3 bytes is refused MALFORMED, the Refusal before the Ack that covers it',
    async run (context) {
      const { peer } = await context.open()
      peer.send(context.message(1, { id: Buffer.from([1, 2, 3]) }), context.message(2))
      const frames = await untilAck(peer, 2, context.timeout)
      const seen = expectFrames(frames.filter(frame => frame.kind?.$case === 'refusal'), ['refusal 1 MALFORMED'], 'refusals')
      return pass(`${seen}, then ${describe(frames.at(-1))}`)
    }
  },
  {
    id: 'refusal.bad-friend',
    section: '§6, §14',
    title: 'a friend with port 99999, or a non-ASCII hostname, is refused MALFORMED',
    async run (context) {
      const { peer } = await context.open()
      peer.send(context.message(1, { friend: { hostname: 'friend.example', port: 99999 } }), context.message(2, { friend: { hostname: 'tour-é.example', port: 80 } }))
      const frames = await untilAck(peer, 2, context.timeout)
      return pass(expectFrames(frames.filter(frame => frame.kind?.$case === 'refusal'), ['refusal 1 MALFORMED', 'refusal 2 MALFORMED'], 'refusals'))
    }
  },
  {
    id: 'refusal.too-large',
    section: '§6, §13',
    title: 'a payload of 1 MiB + 1 byte (within max_frame_bytes) is refused TOO_LARGE',
    async run (context) {
      const { peer, welcome } = await context.open()
      const payload = Buffer.alloc(1024 * 1024 + 1, 0x5a)
      if (body(context.message(1, { payload })).length > welcome.maxFrameBytes) return info(`max_frame_bytes ${welcome.maxFrameBytes} leaves no room for a payload over 1 MiB`)
      peer.send(context.message(1, { payload }))
      const frames = await untilAck(peer, 1, context.timeout)
      const refusal = frames.find(frame => frame.kind?.$case === 'refusal')
      if (refusal === undefined) return info(`taken: this tower's payload limit is above 1 MiB (${describeAll(frames)})`)
      return pass(expectFrames(frames, ['refusal 1 TOO_LARGE', 'ack 1'], 'answer'))
    }
  }
]

const resume: ConformanceCase[] = [
  {
    id: 'resume.in-doubt',
    section: '§7',
    title: 'after a reset, a resume reports settled_through and the refused seqs; the session goes on',
    async run (context) {
      const who = context.identity()
      const first = await context.open(who)
      first.peer.send(context.message(1), context.message(2, { id: Buffer.from([2]) }), context.message(3))
      await untilAck(first.peer, 3, context.timeout)
      first.peer.destroy() // no Goodbye: for a dialer that did not read those Acks, 1 to 3 are in doubt
      const second = await context.open(who, { resumeInstanceId: first.welcome.instanceId })
      const seen = describe({ kind: { $case: 'welcome', value: second.welcome } })
      if (!second.welcome.instanceId.equals(first.welcome.instanceId)) throw mismatch(`a resume answered by another instance id (${seen})`)
      if (second.welcome.settledThrough !== 3 || second.welcome.refused.join(',') !== '2') throw mismatch(`expected settled_through 3, refused [2]; got ${seen}`)
      second.peer.send(context.message(4))
      await untilAck(second.peer, 4, context.timeout)
      return pass(`${seen}; seq 4 acknowledged`)
    }
  },
  {
    id: 'resume.replaced',
    section: '§5, §7',
    title: 'a resume while the old connection is open ends the old one with Goodbye REPLACED',
    async run (context) {
      const who = context.identity()
      const first = await context.open(who)
      first.peer.send(context.message(1))
      await untilAck(first.peer, 1, context.timeout)
      const second = await context.open(who, { resumeInstanceId: first.welcome.instanceId })
      const { said } = await expectGoodbye(first.peer, GoodbyeReason.GOODBYE_REASON_REPLACED, context.timeout)
      if (second.welcome.settledThrough !== 1) throw mismatch(`the new connection's Welcome says settled_through ${second.welcome.settledThrough}, not 1`)
      return pass(`old connection: ${said}; new: settled_through 1`)
    }
  },
  {
    id: 'resume.other-acceptor-instance',
    section: '§7',
    title: 'a resume naming another acceptor instance starts a new session',
    async run (context) {
      const who = context.identity()
      const first = await context.open(who)
      first.peer.send(context.message(1))
      await untilAck(first.peer, 1, context.timeout)
      first.peer.destroy()
      const second = await context.open(who, { resumeInstanceId: randomBytes(16) })
      if (second.welcome.settledThrough !== 0) throw mismatch(`settled_through ${second.welcome.settledThrough}, expected 0`)
      second.peer.send(context.message(1))
      await untilAck(second.peer, 1, context.timeout)
      return pass('settled_through 0, and seq 1 taken again')
    }
  },
  {
    id: 'resume.other-dialer-instance',
    section: '§5, §17',
    title: 'a session id presented by another dialer instance starts a new session',
    async run (context) {
      const who = context.identity()
      const first = await context.open(who)
      first.peer.send(context.message(1), context.message(2))
      await untilAck(first.peer, 2, context.timeout)
      first.peer.destroy()
      const stranger = { instanceId: randomBytes(16), sessionId: who.sessionId }
      const second = await context.open(stranger, { resumeInstanceId: first.welcome.instanceId })
      if (second.welcome.settledThrough !== 0) throw mismatch(`resumed for another dialer instance: settled_through ${second.welcome.settledThrough}`)
      return pass('settled_through 0')
    }
  }
]

const announce: ConformanceCase[] = [
  {
    id: 'announce.answered',
    section: '§8',
    title: 'an Announce is answered by the acceptor\'s own Announce',
    async run (context) {
      const { peer, welcome } = await context.open()
      peer.send({ kind: { $case: 'announce', value: { tower: { ...context.settings.self } } } })
      const frame = await peer.next(context.timeout)
      const tower = frame.kind?.$case === 'announce' ? frame.kind.value.tower : undefined
      if (tower === undefined) throw mismatch(`expected an Announce, got ${describe(frame)}`)
      if (tower.hostname !== welcome.tower?.hostname || tower.port !== welcome.tower.port) {
        return info(`${describe(frame)}, not the address of its Welcome (${welcome.tower?.hostname ?? '?'}:${welcome.tower?.port ?? '?'})`)
      }
      return pass(describe(frame))
    }
  },
  {
    id: 'announce.invalid',
    section: '§8',
    title: 'an Announce without a tower gets Goodbye PROTOCOL_ERROR',
    run: async context => await refusedAfterOne(context, delimited(body({ kind: { $case: 'announce', value: { tower: undefined } } })))
  }
]

const goodbyes: ConformanceCase[] = [
  {
    id: 'goodbye.from-dialer',
    section: '§9',
    title: 'a dialer\'s Goodbye: the message before it is acknowledged at most, no Goodbye back, the connection closes',
    async run (context) {
      const { peer } = await context.open()
      peer.send(context.message(1), goodbye(GoodbyeReason.GOODBYE_REASON_IDLE))
      const { closed, frames } = await peer.untilClosed(context.timeout)
      const seen = describeAll(frames)
      if (frames.some(frame => frame.kind?.$case === 'goodbye')) throw mismatch(`answered with ${seen}`)
      if (!closed) throw mismatch(`${seen}, and still open ${context.timeout} ms after the Goodbye`)
      if (frames.length > 1 || (frames.length === 1 && describe(frames[0]) !== 'ack 1')) throw mismatch(seen)
      return pass(`${seen}, then closed`)
    }
  },
  {
    id: 'goodbye.from-acceptor',
    section: '§9, §15',
    title: 'a frame only an acceptor sends: final Ack, Goodbye PROTOCOL_ERROR, nothing after it',
    run: async context => await refusedAfterOne(context, delimited(body({ kind: { $case: 'ack', value: { seq: 1 } } })))
  }
]

const hostile: ConformanceCase[] = [
  {
    id: 'order.message-before-hello',
    section: '§15',
    title: 'a Message before Hello gets Goodbye PROTOCOL_ERROR',
    run: async context => await refusedFirst(context, delimited(body(context.message(1))))
  },
  {
    id: 'order.second-hello',
    section: '§15',
    title: 'a second Hello gets Goodbye PROTOCOL_ERROR',
    run: async context => await refusedAfterOne(context, delimited(body(context.hello(context.identity()))))
  },
  {
    id: 'frame.too-large',
    section: '§3, §13',
    title: 'a length prefix over max_frame_bytes gets Goodbye PROTOCOL_ERROR before the body is sent',
    async run (context) {
      const { peer, welcome } = await context.open()
      peer.send(context.message(1))
      peer.write(Buffer.concat([varint(welcome.maxFrameBytes + 1), Buffer.from([0x1a])]))
      const { before, said } = await expectGoodbye(peer, PROTOCOL_ERROR, context.timeout)
      expectFrames(before, ['ack 1'], 'before the Goodbye')
      return pass(said)
    }
  },
  {
    id: 'frame.huge-prefix',
    section: '§3, §13',
    title: 'a declared length of 2^32 - 1 gets Goodbye PROTOCOL_ERROR at once',
    run: async context => await refusedAfterOne(context, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]))
  },
  {
    id: 'frame.long-prefix',
    section: '§3',
    title: 'a length prefix of 6 bytes gets Goodbye PROTOCOL_ERROR',
    run: async context => await refusedAfterOne(context, Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x00]))
  },
  {
    id: 'frame.truncated-field',
    section: '§3',
    title: 'a body whose Message field runs past the end of the frame gets Goodbye PROTOCOL_ERROR',
    async run (context) {
      const message = body(context.message(2))
      return await refusedAfterOne(context, delimited(message.subarray(0, message.length - 5)))
    }
  },
  {
    id: 'frame.empty',
    section: '§3',
    title: 'an empty frame (length 0, no kind) gets Goodbye PROTOCOL_ERROR',
    run: async context => await refusedAfterOne(context, Buffer.from([0x00]))
  },
  {
    id: 'frame.unknown-kind',
    section: '§3, §16',
    title: 'a frame whose only field is kind 9, unknown to v1, gets Goodbye PROTOCOL_ERROR',
    run: async context => await refusedAfterOne(context, delimited(Buffer.from([0x4a, 0x02, 0x08, 0x01])))
  },
  {
    id: 'frame.doubled-kind',
    section: '§3',
    title: 'a frame with a Message and an Announce gets Goodbye PROTOCOL_ERROR, the message neither taken nor refused',
    async run (context) {
      const announce = body({ kind: { $case: 'announce', value: { tower: { ...context.settings.self } } } })
      return await refusedAfterOne(context, delimited(Buffer.concat([body(context.message(2)), announce])))
    }
  },
  {
    id: 'frame.same-kind-twice',
    section: '§3',
    title: 'a frame with two Message fields gets Goodbye PROTOCOL_ERROR',
    async run (context) {
      const message = body(context.message(2))
      return await refusedAfterOne(context, delimited(Buffer.concat([message, message])))
    }
  },
  {
    id: 'frame.bad-utf8',
    section: '§3',
    title: 'invalid UTF-8 in a friend\'s hostname makes the frame invalid: Goodbye PROTOCOL_ERROR',
    async run (context) {
      const frame = body(context.message(2, { friend: { hostname: 'a?b', port: 80 } }))
      frame[frame.indexOf('a?b') + 1] = 0xff
      return await refusedAfterOne(context, delimited(frame))
    }
  },
  {
    id: 'frame.zero-tag',
    section: '§3',
    title: 'field number 0 inside a Message gets Goodbye PROTOCOL_ERROR',
    async run (context) {
      return await refusedAfterOne(context, delimited(messageField(Buffer.concat([messageBody(context.message(2)), Buffer.from([0x00, 0x00])]))))
    }
  },
  {
    id: 'frame.garbage',
    section: '§3',
    title: 'random bytes instead of a Hello get Goodbye PROTOCOL_ERROR',
    run: async context => await refusedFirst(context, Buffer.from([0x05, 0xff, 0xff, 0xff, 0xff, 0xff]))
  },
  {
    id: 'frame.cut-stream',
    section: '§3',
    title: 'a stream that ends inside a frame: the tower closes and keeps what it acknowledged',
    async run (context) {
      const { peer } = await context.open()
      const message = delimited(body(context.message(2)))
      peer.send(context.message(1))
      peer.write(message.subarray(0, message.length - 3))
      peer.end()
      const { closed, frames } = await peer.untilClosed(context.timeout)
      if (!closed) throw mismatch(`still open after ${context.timeout} ms`)
      // The Ack of seq 1 may or may not get out before the close: without it, seq 1 is in doubt, which is allowed.
      if (frames.some(frame => describe(frame) !== 'ack 1')) throw mismatch(`expected at most ack 1, got ${describeAll(frames)}`)
      return pass(`${describeAll(frames)}, then closed`)
    }
  }
]

/** Every case, in the order they run. The liveness check after them is the runner's. */
export const CASES: readonly ConformanceCase[] = [...handshake, ...transport, ...messages, ...resume, ...announce, ...goodbyes, ...DIALER_CASES, ...hostile]

/** The last case, run after all others: is the tower still up and serving a good dialer? */
export const STILL_SERVES: ConformanceCase = {
  id: 'alive.after-hostile',
  section: '§5, §6',
  title: 'after every other case, the tower still takes a good dialer\'s messages',
  async run (context) {
    const { peer } = await context.open()
    peer.send(context.message(1), context.message(2))
    return pass(describeAll(await untilAck(peer, 2, context.timeout)))
  }
}

/** The encoded Message inside a Message frame. */
function messageBody (frame: Frame): Buffer {
  if (frame.kind?.$case !== 'message') throw new TypeError('not a Message frame')
  return Buffer.from(Message.encode(frame.kind.value).finish())
}

/** A Frame body whose Message field (3) holds these bytes, whatever they are. */
function messageField (message: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0x1a]), varint(message.length), message])
}

function isGoodbye (frame: Frame | undefined, reason: GoodbyeReason): boolean {
  return frame?.kind?.$case === 'goodbye' && frame.kind.value.reason === reason
}
