/**
 * What a conformance case works with: dialling the tower under test as a
 * good or broken dialer, the frames a case sends, and the checks that turn
 * what came back into a verdict.
 */
import { randomBytes } from 'node:crypto'
import { ConnectionError, ProtocolError } from '../errors.js'
import { Frame, GoodbyeReason, type Goodbye, type Hello, type Message, type Welcome } from '../gen/clacks/v1/frame.js'
import type { TowerAddress } from '../tower/address.js'
import type { DialerFixture } from './dialer-cases.js'
import { ConformancePeer, describe, describeAll, goodbyeName, type DialOptions } from './peer.js'

export type Verdict = 'pass' | 'fail' | 'info'

/** What a case concluded, and what it saw that made it so. */
export interface Outcome {
  verdict: Verdict
  seen: string
}

export interface SuiteSettings {
  target: TowerAddress
  /** How long to wait for one answer from the tower. */
  timeoutMs: number
  /** The handshake timeout the tower is expected to keep (PROTOCOL.md §5: 10 s by default). */
  handshakeTimeoutMs: number
  /** The address the suite claims in its Hello and Announce frames: nothing should listen there. */
  self: TowerAddress
  /** Where the suite's own acceptor listens for the dialer cases (port 0: any); none skips them. */
  listen?: TowerAddress
}

export const pass = (seen: string): Outcome => ({ verdict: 'pass', seen })
export const info = (seen: string): Outcome => ({ verdict: 'info', seen })

/** A case's expectation did not hold: the message is what was seen instead. */
export function mismatch (seen: string): ProtocolError {
  return new ProtocolError(seen)
}

/** Who the suite is on one connection: a dialer instance and the session of its link. */
export interface Identity {
  instanceId: Buffer
  sessionId: Buffer
}

export class CaseContext {
  readonly settings: SuiteSettings
  /** The dialer cases' shared link from the tower to the suite. */
  readonly dialer: DialerFixture
  readonly #peers: ConformancePeer[] = []

  constructor (settings: SuiteSettings, dialer: DialerFixture) {
    this.settings = settings
    this.dialer = dialer
  }

  get timeout (): number {
    return this.settings.timeoutMs
  }

  /** A new dialer instance with one session. */
  identity (): Identity {
    return { instanceId: randomBytes(16), sessionId: randomBytes(16) }
  }

  /** TLS up with clacks/1 selected, nothing sent yet. */
  async dial (options: DialOptions = {}): Promise<ConformancePeer> {
    const outcome = await ConformancePeer.dial(this.settings.target, options, this.timeout)
    if ('failed' in outcome) throw new ConnectionError(`cannot connect: ${outcome.failed}`)
    this.#peers.push(outcome.peer)
    if (outcome.peer.alpn !== 'clacks/1') throw mismatch(`TLS came up with ALPN ${String(outcome.peer.alpn)}, not clacks/1`)
    return outcome.peer
  }

  /** Dials and completes the handshake as `who`. */
  async open (who: Identity = this.identity(), hello: Partial<Hello> = {}): Promise<{ peer: ConformancePeer, welcome: Welcome }> {
    const peer = await this.dial()
    const welcome = await peer.handshake(this.hello(who, hello), this.timeout)
    return { peer, welcome }
  }

  hello (who: Identity, fields: Partial<Hello> = {}): Frame {
    return {
      kind: {
        $case: 'hello',
        value: {
          protocolVersion: 1,
          tower: { ...this.settings.self },
          instanceId: who.instanceId,
          resumeInstanceId: Buffer.alloc(0),
          sessionId: who.sessionId,
          ...fields
        }
      }
    }
  }

  message (seq: number, fields: Partial<Message> = {}): Frame {
    return {
      kind: {
        $case: 'message',
        value: { seq, id: randomBytes(16), payload: Buffer.from(`conformance ${seq}`), hops: 0, friend: undefined, ...fields }
      }
    }
  }

  /** Closes every connection the case opened. */
  cleanup (): void {
    for (const peer of this.#peers) peer.destroy()
  }
}

export function goodbye (reason: GoodbyeReason, detail = ''): Frame {
  return { kind: { $case: 'goodbye', value: { reason, detail } } }
}

/** The body bytes of a frame, no length prefix. */
export function body (frame: Frame): Buffer {
  return Buffer.from(Frame.encode(frame).finish())
}

export function varint (value: number): Buffer {
  const bytes: number[] = []
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80)
    value = Math.floor(value / 0x80)
  }
  bytes.push(value)
  return Buffer.from(bytes)
}

/** A body in delimited form: its length as a varint, then the body. */
export function delimited (bytes: Uint8Array): Buffer {
  return Buffer.concat([varint(bytes.length), bytes])
}

/**
 * Reads until the tower's Goodbye, which must have `reason` and be followed
 * by the close; returns the frames before it.
 */
export async function expectGoodbye (peer: ConformancePeer, reason: GoodbyeReason, ms: number): Promise<{ before: Frame[], said: string }> {
  let result: { goodbye: Goodbye, before: Frame[] }
  try {
    result = await peer.untilGoodbye(ms)
  } catch (error) {
    throw mismatch(`expected Goodbye ${goodbyeName(reason)}, but ${(error as Error).message} (after ${describeAll(peer.frames)})`)
  }
  const said = describeAll([...result.before, { kind: { $case: 'goodbye', value: result.goodbye } }])
  if (result.goodbye.reason !== reason) throw mismatch(`expected Goodbye ${goodbyeName(reason)}, got ${said}`)
  const after = await peer.untilClosed(ms)
  if (after.frames.length > 0) throw mismatch(`frames after the Goodbye: ${describeAll(after.frames)}`)
  if (!after.closed) throw mismatch(`${said}, but the connection stayed open ${ms} ms after it`)
  return { before: result.before, said }
}

/** The frames must be exactly these, described as describe() does (a Goodbye's detail left out). */
export function expectFrames (frames: Frame[], expected: string[], what: string): string {
  const seen = frames.map(frame => frame.kind?.$case === 'goodbye' ? `goodbye ${goodbyeName(frame.kind.value.reason)}` : describe(frame))
  if (seen.join(', ') !== expected.join(', ')) throw mismatch(`${what}: expected ${expected.join(', ') || 'no frame'}, got ${seen.join(', ') || 'no frame'}`)
  return seen.join(', ')
}

/** Reads frames until an Ack of `seq`; returns every frame up to it. */
export async function untilAck (peer: ConformancePeer, seq: number, ms: number): Promise<Frame[]> {
  const frames: Frame[] = []
  const deadline = Date.now() + ms
  for (;;) {
    let frame: Frame
    try {
      frame = await peer.next(Math.max(1, deadline - Date.now()))
    } catch (error) {
      throw mismatch(`expected Ack ${seq}, but ${(error as Error).message} (after ${describeAll(frames)})`)
    }
    frames.push(frame)
    const kind = frame.kind
    if (kind?.$case === 'ack' && kind.value.seq >= seq) {
      if (kind.value.seq > seq) throw mismatch(`Ack ${kind.value.seq} for messages up to ${seq} (${describeAll(frames)})`)
      return frames
    }
    if (kind?.$case !== 'ack' && kind?.$case !== 'refusal') throw mismatch(`expected Ack ${seq}, got ${describeAll(frames)}`)
  }
}
