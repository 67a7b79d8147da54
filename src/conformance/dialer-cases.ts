/**
 * Cases that check the tower under test as a dialer: the suite hands it
 * messages, introduces its own acceptor, and waits for the tower to connect
 * and pass them on. The cases run in order on one link of the tower's, each
 * taking it a step further (hello, window, ack, resume, a restarted acceptor,
 * goodbye); a case whose step before failed fails too, saying so.
 */
import { randomBytes } from 'node:crypto'
import { GoodbyeReason, type Frame, type Hello, type Message, type Welcome } from '../gen/clacks/v1/frame.js'
import { addressProblem, type TowerAddress } from '../tower/address.js'
import { DEFAULT_MAX_FRAME_BYTES } from '../wire/index.js'
import { SuiteAcceptor } from './acceptor.js'
import type { ConformanceCase } from './cases.js'
import { type CaseContext, goodbye, info, mismatch, pass, untilAck } from './context.js'
import { describe, describeAll, type ConformancePeer } from './peer.js'

/** Messages handed to the tower for it to pass on to the suite. */
const HANDED = 8
/** The window the suite's Welcome allows: small, so that keeping to it shows. */
const WINDOW = 2

/** The tower's link to the suite's acceptor, as far as the cases have taken it. */
export interface DialerState {
  acceptor: SuiteAcceptor
  /** The tower's current connection to the suite. */
  connection: ConformancePeer
  hello: Hello
  /** The instance id the suite's acceptor gave in its last Welcome. */
  instanceId: Buffer
  /** Messages of the current session received and not yet acknowledged, by seq. */
  unacknowledged: Message[]
  /** The highest seq the suite has settled in this session. */
  settled: number
}

/** Shared by the dialer cases of one run; the runner closes it. */
export class DialerFixture {
  state: DialerState | undefined
  /** Why the state is missing: the first case that could not get it. */
  broken: string | undefined
  acceptor: SuiteAcceptor | undefined

  async close (): Promise<void> {
    await this.acceptor?.close()
  }
}

function welcome (instanceId: Buffer, settledThrough: number, refused: number[] = []): Frame {
  const value: Welcome = {
    protocolVersion: 1,
    tower: undefined,
    instanceId,
    settledThrough,
    refused,
    maxInFlight: WINDOW,
    maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
    sessionUnknown: false
  }
  return { kind: { $case: 'welcome', value } }
}

/** The dialer state a case needs; fails the case when an earlier one could not set it up. */
function current (context: CaseContext): DialerState {
  const fixture = context.dialer
  if (fixture.state === undefined) throw mismatch(`no link from the tower to work on: ${fixture.broken ?? 'an earlier dialer case failed'}`)
  return fixture.state
}

/** Messages on `connection` until `count` have come or `ms` pass (then waits `settleMs` more, to catch any extra). */
async function messages (connection: ConformancePeer, count: number, ms: number, settleMs: number): Promise<Message[]> {
  const got: Message[] = []
  const deadline = Date.now() + ms
  while (got.length < count && Date.now() < deadline) {
    const frames = await connection.collect(Math.min(100, deadline - Date.now()))
    for (const frame of frames) got.push(asMessage(frame))
  }
  for (const frame of await connection.collect(settleMs)) got.push(asMessage(frame))
  return got
}

function asMessage (frame: Frame): Message {
  if (frame.kind?.$case !== 'message') throw mismatch(`expected Message frames, got ${describe(frame)}`)
  return frame.kind.value
}

/** The tower's next connection to the suite, and its Hello. */
async function nextHello (context: CaseContext, acceptor: SuiteAcceptor): Promise<{ connection: ConformancePeer, hello: Hello }> {
  const connection = await acceptor.accept(context.timeout * 3)
  const frame = await connection.next(context.timeout)
  if (frame.kind?.$case !== 'hello') throw mismatch(`the tower's first frame is ${describe(frame)}, not Hello`)
  return { connection, hello: frame.kind.value }
}

/** Hands the tower messages and tells it where the suite's acceptor is. */
async function introduce (context: CaseContext, acceptor: SuiteAcceptor): Promise<void> {
  const who = context.identity()
  const peer = await context.dial()
  await peer.handshake(context.hello(who, { tower: { ...acceptor.address } }), context.timeout)
  const frames: Frame[] = []
  for (let seq = 1; seq <= HANDED; seq++) frames.push(context.message(seq))
  peer.send(...frames)
  await untilAck(peer, HANDED, context.timeout)
  peer.send({ kind: { $case: 'announce', value: { tower: { ...acceptor.address } } } }, goodbye(GoodbyeReason.GOODBYE_REASON_IDLE))
  peer.end()
}

/** Without an address for the suite's acceptor, a dialer case says so instead of running. */
function needsListen (dialerCase: ConformanceCase): ConformanceCase {
  return {
    ...dialerCase,
    run: async context => context.settings.listen === undefined
      ? info('skipped: give --listen HOST:PORT, an address of this machine the tower can reach')
      : await dialerCase.run(context)
  }
}

export const DIALER_CASES: readonly ConformanceCase[] = ([
  {
    id: 'dialer.hello',
    section: '§5',
    title: 'handed messages and told of the suite, the tower connects with a valid Hello',
    async run (context) {
      const fixture = context.dialer
      fixture.acceptor = await SuiteAcceptor.listen(context.settings.listen as TowerAddress)
      try {
        await introduce(context, fixture.acceptor)
        const { connection, hello } = await nextHello(context, fixture.acceptor)
        const problems: string[] = []
        if (hello.protocolVersion !== 1) problems.push(`protocol_version ${hello.protocolVersion}`)
        if (hello.instanceId.length !== 16 || hello.sessionId.length !== 16) problems.push(`instance_id of ${hello.instanceId.length} and session_id of ${hello.sessionId.length} bytes`)
        if (hello.resumeInstanceId.length !== 0) problems.push('a resume_instance_id on first contact')
        const towerProblem = hello.tower === undefined ? 'no tower' : addressProblem(hello.tower.hostname, hello.tower.port)
        if (towerProblem !== undefined) problems.push(towerProblem)
        if (problems.length > 0) throw mismatch(`Hello with ${problems.join('; ')}`)
        fixture.state = { acceptor: fixture.acceptor, connection, hello, instanceId: randomBytes(16), unacknowledged: [], settled: 0 }
        return pass(`Hello from ${hello.tower?.hostname ?? ''}:${hello.tower?.port ?? ''}`)
      } catch (error) {
        fixture.broken = `dialer.hello failed: ${(error as Error).message}`
        throw error
      }
    }
  },
  {
    id: 'dialer.window',
    section: '§5, §6, §13',
    title: `after a Welcome with max_in_flight ${WINDOW}, the tower sends seq 1 and 2 and then waits for an Ack`,
    async run (context) {
      const state = current(context)
      state.connection.send(welcome(state.instanceId, 0))
      const got = await messages(state.connection, WINDOW, context.timeout * 2, 1000)
      state.unacknowledged = got
      const seqs = got.map(m => m.seq)
      if (got.length === 0) throw mismatch('no Message within the wait, although it was handed messages')
      if (got.length > WINDOW) throw mismatch(`${got.length} messages unacknowledged (seqs ${seqs.join(', ')}), over max_in_flight ${WINDOW}`)
      if (seqs.some((seq, i) => seq !== i + 1)) throw mismatch(`seqs ${seqs.join(', ')}, expected 1, 2`)
      const bad = got.find(m => m.id.length !== 16 || m.hops === 0)
      if (bad !== undefined) throw mismatch(`a message with a ${bad.id.length}-byte id and hops ${bad.hops} (it was handed over once)`)
      return pass(`seqs ${seqs.join(', ')}, then nothing more without an Ack`)
    }
  },
  {
    id: 'dialer.ack',
    section: '§6',
    title: 'an Ack of seq 1 lets the next message go',
    async run (context) {
      const state = current(context)
      if (state.unacknowledged.length < WINDOW) return info(`only ${state.unacknowledged.length} message(s) in flight: nothing to check`)
      state.connection.send({ kind: { $case: 'ack', value: { seq: 1 } } })
      state.settled = 1
      state.unacknowledged.shift()
      const got = await messages(state.connection, 1, context.timeout * 2, 300)
      state.unacknowledged.push(...got)
      if (got.length === 0) return info('no message followed the Ack (the tower may have no more for the suite)')
      if (got.length > 1 || got[0]?.seq !== 3) throw mismatch(`after Ack 1: ${got.map(m => `message ${m.seq}`).join(', ')}, expected message 3 alone`)
      return pass('message 3')
    }
  },
  {
    id: 'dialer.resume',
    section: '§7',
    title: 'after a reset with messages in flight, the tower resumes: same session, the Welcome settles them',
    async run (context) {
      const state = current(context)
      const inDoubt = state.unacknowledged.map(m => m.seq)
      state.connection.destroy()
      const { connection, hello } = await nextHello(context, state.acceptor)
      state.connection = connection
      const problems: string[] = []
      if (!hello.sessionId.equals(state.hello.sessionId)) problems.push('another session_id')
      if (!hello.instanceId.equals(state.hello.instanceId)) problems.push('another instance_id')
      if (!hello.resumeInstanceId.equals(state.instanceId)) problems.push('resume_instance_id is not the suite\'s acceptor instance')
      if (problems.length > 0) throw mismatch(`the reconnection's Hello has ${problems.join(', ')}`)
      // The first in-doubt message was taken; the last one, if two, refused: the tower keeps that one.
      const last = inDoubt.at(-1) ?? state.settled
      const refused = inDoubt.length > 1 ? [last] : []
      const taken = state.unacknowledged[0]
      connection.send(welcome(state.instanceId, last, refused))
      state.settled = last
      state.unacknowledged = await messages(connection, 1, context.timeout * 2, 300)
      const next = state.unacknowledged[0]
      const seen = `resumed with in-doubt seqs [${inDoubt.join(', ')}] settled through ${last}, refused [${refused.join(', ')}]`
      if (next === undefined) return info(`${seen}; no message followed`)
      if (next.seq !== last + 1) throw mismatch(`${seen}; the next message has seq ${next.seq}, not ${last + 1}`)
      if (taken !== undefined && next.id.equals(taken.id)) throw mismatch(`${seen}; seq ${next.seq} carries again the message the Welcome said was taken`)
      return pass(`${seen}; next seq ${next.seq}`)
    }
  },
  {
    id: 'dialer.restarted-acceptor',
    section: '§7',
    title: 'when the acceptor answers a resume with a new instance id, the tower starts again at seq 1',
    async run (context) {
      const state = current(context)
      state.connection.destroy()
      const { connection, hello } = await nextHello(context, state.acceptor)
      state.connection = connection
      if (!hello.resumeInstanceId.equals(state.instanceId)) throw mismatch('the reconnection does not ask to resume')
      state.instanceId = randomBytes(16)
      connection.send(welcome(state.instanceId, 0))
      state.unacknowledged = await messages(connection, 1, context.timeout * 2, 300)
      state.settled = 0
      const next = state.unacknowledged[0]
      if (next === undefined) return info('no message followed the new session\'s Welcome')
      if (next.seq !== 1) throw mismatch(`the new session's first message has seq ${next.seq}`)
      return pass('a new session from seq 1')
    }
  },
  {
    id: 'dialer.goodbye',
    section: '§9',
    title: 'the tower does not answer the acceptor\'s Goodbye with a Goodbye',
    async run (context) {
      const state = current(context)
      const last = state.unacknowledged.at(-1)?.seq ?? state.settled
      state.connection.send({ kind: { $case: 'ack', value: { seq: last } } }, goodbye(GoodbyeReason.GOODBYE_REASON_IDLE))
      const { frames } = await state.connection.untilClosed(1000)
      state.connection.destroy()
      const goodbyes = frames.filter(frame => frame.kind?.$case === 'goodbye')
      if (goodbyes.length > 0) throw mismatch(`answered with ${describeAll(goodbyes)}`)
      return pass(`Ack ${last} and Goodbye IDLE; the tower sent ${describeAll(frames)} after them`)
    }
  }
] satisfies ConformanceCase[]).map(needsListen)
