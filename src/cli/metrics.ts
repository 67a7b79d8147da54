/**
 * Prometheus metrics for one tower, in a registry of their own (never
 * prom-client's global one), set from tower.stats() at each scrape.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { Tower, TowerStats } from '../index.js'

/** Running totals: stats key → metric name and help. */
const COUNTERS: Array<[keyof TowerStats, string, string]> = [
  ['enqueued', 'clacks_messages_enqueued_total', 'Messages given to this tower by its application.'],
  ['sent', 'clacks_messages_sent_total', 'Messages handed to a link (each attempt counts).'],
  ['acked', 'clacks_messages_acked_total', 'Messages a peer acknowledged holding: custody passed on.'],
  ['returned', 'clacks_messages_returned_total', 'Messages that came back to the queue (refused, not received, abandoned).'],
  ['refused', 'clacks_messages_refused_total', 'Messages peers refused.'],
  ['received', 'clacks_messages_received_total', 'Messages taken from peers.'],
  ['refusedInbound', 'clacks_messages_refused_inbound_total', 'Messages from peers this tower refused.'],
  ['bytesSent', 'clacks_payload_bytes_sent_total', 'Payload bytes sent.'],
  ['bytesReceived', 'clacks_payload_bytes_received_total', 'Payload bytes received.'],
  ['filteredOut', 'clacks_messages_filtered_out_total', 'Messages dropped by the outbound filter.'],
  ['filteredIn', 'clacks_messages_filtered_in_total', 'Messages dropped by the inbound filter.'],
  ['queueFull', 'clacks_queue_full_total', 'Messages turned away because the queue was full.'],
  ['connectionsRefused', 'clacks_connections_refused_total', 'Connections refused at the connection limit.'],
  ['handshakeTimeouts', 'clacks_handshake_timeouts_total', 'Inbound connections that sent no hello in time.'],
  ['ignoredRefused', 'clacks_ignored_refused_total', 'Hellos from ignored towers.'],
  ['peerTableFull', 'clacks_peer_table_full_total', 'Towers not added because the peer table was full.'],
  ['tlsFailures', 'clacks_tls_failures_total', 'TLS handshakes that failed.'],
  ['protocolErrors', 'clacks_protocol_errors_total', 'Inbound connections ended for breaking the protocol.'],
  ['dialsMade', 'clacks_dials_total', 'Outbound dials started.'],
  ['dialsFailed', 'clacks_dials_failed_total', 'Outbound dials that ended without a welcome.'],
  ['dialsRefused', 'clacks_dials_refused_total', 'Dials not started because a dial bound held them back.'],
  ['localHintsRefused', 'clacks_local_hints_refused_total', 'Loopback, private or link-local addresses named by other towers and not taken.'],
  ['untrustedRefused', 'clacks_untrusted_refused_total', 'Dialled towers refused for showing another key than the one pinned (trust tofu).'],
  ['hintsRefused', 'clacks_hints_refused_total', 'Towers named by others not added: their source had its quota in the peer table.']
]

const GAUGES: Array<[keyof TowerStats, string, string]> = [
  ['queued', 'clacks_queue_messages', 'Messages in the queue.'],
  ['queuedBytes', 'clacks_queue_bytes', 'Payload bytes in the queue.'],
  ['inFlight', 'clacks_in_flight_messages', 'Messages sent and not yet acknowledged (still this tower\'s).'],
  ['inDoubt', 'clacks_in_doubt_messages', 'In-flight messages whose connection broke, awaiting a resume.'],
  ['sessions', 'clacks_sessions', 'Dialers\' sessions remembered for resuming.'],
  ['dialsHandshaking', 'clacks_dials_handshaking', 'Outbound dials still handshaking.']
]

export class TowerMetrics {
  readonly registry = new Registry()
  readonly #counters: Array<[keyof TowerStats, Counter]>
  readonly #gauges: Array<[keyof TowerStats, Gauge]>
  readonly #peers: Gauge<'status'>
  readonly #connections: Gauge<'direction'>

  constructor (tower: Tower) {
    const registers = [this.registry]
    this.#counters = COUNTERS.map(([key, name, help]) => [key, new Counter({ name, help, registers })])
    this.#gauges = GAUGES.map(([key, name, help]) => [key, new Gauge({ name, help, registers })])
    this.#peers = new Gauge({ name: 'clacks_peers', help: 'Towers in the peer table, by status.', labelNames: ['status'], registers })
    this.#connections = new Gauge({ name: 'clacks_connections', help: 'Open connections, by direction.', labelNames: ['direction'], registers })
    new Gauge({ name: 'clacks_tower_info', help: 'This tower: its address and this run\'s instance id.', labelNames: ['hostname', 'port', 'instance'], registers })
      .set({ hostname: tower.hostname, port: String(tower.port), instance: tower.instanceId }, 1)
    collectDefaultMetrics({ register: this.registry })
  }

  /** The text exposition of `stats`. */
  async render (stats: TowerStats): Promise<string> {
    for (const [key, counter] of this.#counters) {
      counter.reset()
      counter.inc(stats[key] as number)
    }
    for (const [key, gauge] of this.#gauges) gauge.set(stats[key] as number)
    for (const [status, count] of Object.entries(stats.peers)) this.#peers.set({ status }, count)
    this.#connections.set({ direction: 'inbound' }, stats.connections.inbound)
    this.#connections.set({ direction: 'outbound' }, stats.connections.outbound)
    return this.registry.metrics()
  }

  get contentType (): string {
    return this.registry.contentType
  }
}
