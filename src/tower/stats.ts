import type { PeerStatus } from './peer-table.js'

/** Running totals since the tower started. */
export interface TowerCounters {
  /** Messages given to enqueue(). */
  enqueued: number
  /** Messages handed to a link (each hop counts once per attempt). */
  sent: number
  /** Messages a peer acknowledged holding: custody passed on. */
  acked: number
  /** Messages that came back to the queue (refused, not received, abandoned). */
  returned: number
  /** Of those, refused by the peer. */
  refused: number
  /** Messages taken from peers. */
  received: number
  /** Messages from peers this tower refused. */
  refusedInbound: number
  /** Payload bytes sent / received. */
  bytesSent: number
  bytesReceived: number
  /** Messages dropped by the outbound / inbound filter. */
  filteredOut: number
  filteredIn: number
  /** Limits that bit: enqueue() or a peer's message met a full queue. */
  queueFull: number
  /** Connections refused at the connection limit. */
  connectionsRefused: number
  /** Inbound connections that sent no Hello within the handshake timeout. */
  handshakeTimeouts: number
  /** Hellos from ignored towers. */
  ignoredRefused: number
  /** Outbound dials started, and of those the ones that ended without a Welcome. */
  dialsMade: number
  dialsFailed: number
  /** Dials not started because a dial bound held them back (see DialBudget): unverified per source, per host, tower-wide, or handshakes in progress. */
  dialsRefused: number
  /** Addresses in loopback, private or link-local ranges other towers named, not taken (see the allowLocalHints option). */
  localHintsRefused: number
  /** Under trust 'tofu': dials refused because the tower showed another key than the pinned one. */
  untrustedRefused: number
}

export interface TowerStats extends TowerCounters {
  /** Messages in the queue, and their payload bytes. */
  queued: number
  queuedBytes: number
  /** Messages sent and not yet acknowledged, in doubt ones included: still this tower's. */
  inFlight: number
  /** Of those, messages whose connection broke, awaiting a resume. */
  inDoubt: number
  peers: Record<PeerStatus, number>
  connections: { inbound: number, outbound: number }
  /** Towers not added because the peer table was full of alive and ignored towers. */
  peerTableFull: number
  /** TLS handshakes that failed. */
  tlsFailures: number
  /** Inbound connections ended for breaking the protocol. */
  protocolErrors: number
  /** Dialers' sessions remembered for resuming. */
  sessions: number
  /** Outbound dials still handshaking (they have a budget of their own, apart from maxConnections). */
  dialsHandshaking: number
  /** Hints (towers named by others) not added because their source already had its quota in the peer table. */
  hintsRefused: number
}

export function emptyCounters (): TowerCounters {
  return {
    enqueued: 0,
    sent: 0,
    acked: 0,
    returned: 0,
    refused: 0,
    received: 0,
    refusedInbound: 0,
    bytesSent: 0,
    bytesReceived: 0,
    filteredOut: 0,
    filteredIn: 0,
    queueFull: 0,
    connectionsRefused: 0,
    handshakeTimeouts: 0,
    ignoredRefused: 0,
    dialsMade: 0,
    dialsFailed: 0,
    dialsRefused: 0,
    localHintsRefused: 0,
    untrustedRefused: 0
  }
}

