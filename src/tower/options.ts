import { InvalidOptionError } from '../errors.js'
import { FRAME_HEADER_ROOM, DEFAULT_MAX_PAYLOAD_BYTES } from '../wire/limits.js'
import { TRUST_MODES, type TrustMode } from '../net/trust.js'
import { addressProblem } from '../core/address.js'
import type { Clock } from '../core/clock.js'
import type { Transport } from '../net/transport.js'
import type { ClacksMessage } from '../core/message.js'
import { PEER_POLICIES, type PeerPolicy } from './peer-table.js'

/**
 * What a filter may answer: nothing or `true` keeps the message as it is,
 * `false` drops it (the application's decision: it still counts as
 * delivered), bytes or a string replace its payload.
 */
export type FilterResult = void | boolean | Uint8Array | string
export type MessageFilter = (message: ClacksMessage) => FilterResult

export interface TowerOptions {
  /** The hostname other towers reach this one by; sent in every handshake. @default 'localhost' */
  hostname: string
  /** The port to listen on and advertise; 0 picks a free one. @default 8080 */
  port: number
  /** The address to listen on. @default hostname when it is an IP or 'localhost', else every interface */
  bind: string | undefined
  /** Messages per second sent, at most; Infinity (or 0) is unlimited. @default 1 */
  sendrate: number
  /** Bytes per second sent (frames, overhead included), at most; Infinity (or 0) is unlimited. @default Infinity */
  byterate: number
  /** Messages that may go at once after a quiet spell. @default derived from sendrate (see Pacer) */
  sendburst: number | undefined
  /** Bytes that may go at once after a quiet spell. @default derived from byterate (see Pacer) */
  byteburst: number | undefined
  /**
   * Milliseconds after which a "lost" tower becomes "dead". The original spec
   * says microseconds, but its default (one hour) and its code are milliseconds.
   * @default 3_600_000
   */
  killtimeout: number
  /** The largest payload taken, by enqueue() and from peers. @default 1 MiB */
  maxPayloadBytes: number
  /** Messages held in the queue at most; a full tower refuses with "queue full". @default 100_000 */
  maxQueueMessages: number
  /** Payload bytes held in the queue at most. @default 256 MiB */
  maxQueueBytes: number
  /**
   * Messages unacknowledged on one link at most. Small messages need a deep
   * window to keep a link busy across the acknowledgement's round trip: two
   * towers moving 64-byte messages made 0.33–0.85 M hops/s with 256 and
   * 0.77–1.25 M with 1,024 on a 2-core machine; 512 and 2,048 were within the
   * noise of 1,024 (`npm run bench -- --only tuning`; bench/README.md).
   * @default 1024
   */
  maxInFlight: number
  /** Payload bytes unacknowledged on one link at most. @default 16 MiB */
  maxInFlightBytes: number
  /** Towers in the peer table at most; friends evict dead, then lost, then the oldest new — never alive. @default 10_000 */
  maxPeers: number
  /** Open connections, in and out, at most; dials still handshaking have a budget of their own, an eighth of this (see DialBudget). @default 1024 */
  maxConnections: number
  /** Milliseconds for TLS plus Hello/Welcome. @default 10_000 */
  handshakeTimeout: number
  /** Milliseconds a link with nothing in flight stays open unused. @default 60_000 */
  idleTimeout: number
  /** Milliseconds without an acknowledgement, with messages in flight, before a link is declared broken. @default 5_000 */
  ackTimeout: number
  /** First delay between dials to a tower that failed, doubling to backoffMax. @default 250 */
  backoffInitial: number
  /** Longest delay between dials to a tower that keeps failing. @default 30_000 */
  backoffMax: number
  /** Milliseconds close() spends handing messages to peers before giving up. @default 10_000 */
  drainTimeout: number
  /**
   * Whether addresses in loopback, private and link-local ranges are taken
   * from other towers (friends, announces, Hellos). Undefined: only when this
   * tower's own hostname is in such a range, so that a tower on a LAN or a
   * test machine finds its neighbours while a public tower cannot be made to
   * probe its own network. @default undefined (decided by hostname)
   */
  allowLocalHints: boolean | undefined
  /**
   * Whether each loopback or private address counts as a source of its own
   * for the dial budget and the hint quotas, instead of its whole /24 (/48
   * for IPv6). Towers of one cluster often share a /24 (a LAN, a pod
   * network); counted as one source, they let each other dial at most 2 new
   * towers a second between them, and 25 of them took twice as long to
   * know each other (docs/scale.md). Public addresses are always grouped. @default false
   */
  localSourcesByAddress: boolean
  /** PEM CA certificate(s): when set, peers' certificates are verified against it. @default undefined (not verified) */
  ca: string | Buffer | undefined
  /**
   * Who may talk to this tower (see src/net/trust.ts and the README):
   * 'open' encrypts without authenticating (a public network); 'tofu' pins
   * each dialled tower's public key to its address on first success and
   * refuses a changed one; 'ca' is a closed network: mutual TLS, both sides
   * verified against `ca`. @default 'open'
   */
  trust: TrustMode
  /** Under 'tofu': a JSON file the pins are kept in, so that they survive a restart. @default undefined (pins in memory only) */
  pinFile: string | undefined
  /** How alive peers are chosen: 'spec' (at random) or 'least-recent' (studied in docs/dynamics.md). @default 'spec' */
  peerPolicy: PeerPolicy
  /** Sees each received message before it is queued. */
  inboundFilter: MessageFilter | undefined
  /** Sees each message before it is sent. */
  outboundFilter: MessageFilter | undefined
  /**
   * Random numbers in [0, 1) for every random choice: peer picks, friends,
   * backoff jitter, and (when not Math.random) instance, session and message
   * ids, so that a seeded source fixes a whole simulated run. @default Math.random
   */
  random: () => number
  /** Time, timers and deferrals; injected by tests and the simulator. @default systemClock */
  clock: Clock | undefined
  /**
   * How the tower listens and dials. Given one, the tower uses no key or
   * certificate of its own (the simulator's network needs none).
   * @default TLS 1.3 over TCP (node:tls), ALPN clacks/1
   */
  transport: Transport | undefined
}

export const DEFAULT_OPTIONS: Readonly<TowerOptions> = Object.freeze({
  hostname: 'localhost',
  port: 8080,
  bind: undefined,
  sendrate: 1,
  byterate: Infinity,
  sendburst: undefined,
  byteburst: undefined,
  killtimeout: 3_600_000,
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  maxQueueMessages: 100_000,
  maxQueueBytes: 256 * 1024 * 1024,
  maxInFlight: 1024,
  maxInFlightBytes: 16 * 1024 * 1024,
  maxPeers: 10_000,
  maxConnections: 1024,
  handshakeTimeout: 10_000,
  idleTimeout: 60_000,
  ackTimeout: 5_000,
  backoffInitial: 250,
  backoffMax: 30_000,
  drainTimeout: 10_000,
  allowLocalHints: undefined,
  localSourcesByAddress: false,
  ca: undefined,
  trust: 'open',
  pinFile: undefined,
  peerPolicy: 'spec',
  inboundFilter: undefined,
  outboundFilter: undefined,
  random: Math.random,
  clock: undefined,
  transport: undefined
})

/** The largest frame body this tower reads: its payload limit plus room for the other fields. */
export function maxFrameBytes (options: Pick<TowerOptions, 'maxPayloadBytes'>): number {
  return options.maxPayloadBytes + FRAME_HEADER_ROOM
}

type Rule = (value: unknown) => string | undefined

const positiveInteger: Rule = v => typeof v === 'number' && Number.isInteger(v) && v > 0 ? undefined : 'must be a positive integer'
const rate: Rule = v => typeof v === 'number' && v > 0 ? undefined : 'must be a positive number, or Infinity (or 0) for unlimited'
const optionalRate: Rule = v => v === undefined ? undefined : rate(v)
const optionalString: Rule = v => v === undefined || (typeof v === 'string' && v.length > 0) ? undefined : 'must be a non-empty string'
const optionalFunction: Rule = v => v === undefined || typeof v === 'function' ? undefined : 'must be a function'

const RULES: Record<keyof TowerOptions, Rule> = {
  hostname: v => addressProblem(v, 1),
  port: v => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535 ? undefined : 'must be an integer from 0 (any free port) to 65535',
  bind: optionalString,
  sendrate: rate,
  byterate: rate,
  sendburst: optionalRate,
  byteburst: optionalRate,
  killtimeout: positiveInteger,
  maxPayloadBytes: v => positiveInteger(v) ?? ((v as number) > 64 * 1024 * 1024 ? 'must be at most 64 MiB' : undefined),
  maxQueueMessages: positiveInteger,
  maxQueueBytes: positiveInteger,
  maxInFlight: positiveInteger,
  maxInFlightBytes: positiveInteger,
  maxPeers: positiveInteger,
  maxConnections: positiveInteger,
  handshakeTimeout: positiveInteger,
  idleTimeout: positiveInteger,
  ackTimeout: positiveInteger,
  backoffInitial: positiveInteger,
  backoffMax: positiveInteger,
  drainTimeout: positiveInteger,
  allowLocalHints: v => v === undefined || typeof v === 'boolean' ? undefined : 'must be true, false or undefined',
  localSourcesByAddress: v => typeof v === 'boolean' ? undefined : 'must be true or false',
  ca: v => v === undefined || typeof v === 'string' || Buffer.isBuffer(v) ? undefined : 'must be PEM text or a Buffer',
  trust: v => TRUST_MODES.includes(v as TrustMode) ? undefined : `must be one of ${TRUST_MODES.join(', ')}`,
  pinFile: optionalString,
  peerPolicy: v => (PEER_POLICIES as readonly unknown[]).includes(v) ? undefined : `must be one of ${PEER_POLICIES.join(', ')}`,
  inboundFilter: optionalFunction,
  outboundFilter: optionalFunction,
  random: v => typeof v === 'function' ? undefined : 'must be a function returning numbers in [0, 1)',
  clock: v => v === undefined || isClock(v) ? undefined : 'must be a Clock (now, setTimeout, clearTimeout, setImmediate, nextTick, wallTime)',
  transport: v => v === undefined || (typeof v === 'object' && v !== null && typeof (v as Transport).listen === 'function' && typeof (v as Transport).dial === 'function')
    ? undefined
    : 'must be a Transport (listen, dial)'
}

/** Defaults filled in and every value checked: unknown or invalid options fail here, not later. */
export function resolveOptions (input: Partial<TowerOptions> = {}): TowerOptions {
  if (typeof input !== 'object' || input === null) throw new InvalidOptionError('options', 'must be an object')
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(RULES, key)) throw new InvalidOptionError(key, `is not an option (known: ${Object.keys(RULES).join(', ')})`)
  }
  const options = { ...DEFAULT_OPTIONS }
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined) Object.assign(options, { [key]: value })
  }
  // 0 is unlimited, as for the CLI's --sendrate and for setRate; the options say what is in force.
  if (options.sendrate === 0) options.sendrate = Infinity
  if (options.byterate === 0) options.byterate = Infinity
  for (const key of Object.keys(RULES) as Array<keyof TowerOptions>) {
    const problem = RULES[key](options[key])
    if (problem !== undefined) throw new InvalidOptionError(key, problem)
  }
  if (options.backoffMax < options.backoffInitial) throw new InvalidOptionError('backoffMax', 'must be at least backoffInitial')
  if (options.trust === 'ca' && options.ca === undefined) throw new InvalidOptionError('ca', 'is required with trust "ca": the certificate(s) of the network\'s CA')
  return options
}

const CLOCK_METHODS = ['now', 'setTimeout', 'clearTimeout', 'setImmediate', 'nextTick', 'wallTime'] as const

function isClock (value: unknown): value is Clock {
  return typeof value === 'object' && value !== null && CLOCK_METHODS.every(name => typeof (value as Record<string, unknown>)[name] === 'function')
}
