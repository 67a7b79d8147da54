/** `clacks status`: a running tower's /status, for a person (or as JSON with --json). */
import { get } from 'node:http'
import { Command } from 'commander'
import type { PeerStatus } from '../index.js'
import { formatHostPort, integer, listenAddress } from './args.js'
import type { StatusDocument } from './admin.js'
import { reason, runtimeError, usageError } from './exit.js'
import { addFlags, boolean, readFlags, value } from './flags.js'
import { bytes, duration, formatRate } from './status-line.js'

const FLAGS = {
  admin: value('--admin <host:port>', 'the admin endpoint of the tower, as given to `clacks start --admin` (a bare port means 127.0.0.1:PORT)', listenAddress),
  json: boolean('--json', 'print the /status document as it is'),
  peers: value('--peers <n>', 'list at most this many peers (default: 20)', integer(0, 1_000_000))
}

const TIMEOUT_MS = 5000
const STATUS_ORDER: PeerStatus[] = ['alive', 'new', 'lost', 'dead', 'ignored']

export function statusCommand (): Command {
  const command = new Command('status')
    .summary('show a running tower\'s state')
    .description('Asks a running tower\'s admin endpoint (clacks start --admin) for its stats and peers.')
  addFlags(command, FLAGS)
  return command.action(async () => {
    const flags = readFlags(command, FLAGS)
    if (flags.admin === undefined) throw usageError('--admin <host:port> is required: the address given to `clacks start --admin`')
    const document = await fetchStatus(`http://${formatHostPort(flags.admin)}/status`)
    if (flags.json === true) console.log(JSON.stringify(document, null, 2))
    else console.log(formatStatus(document, flags.peers ?? 20))
  })
}

/** GET with node:http rather than fetch(), which refuses ports on the browsers' block list (6000, 6667, …). */
function fetchStatus (url: string): Promise<StatusDocument> {
  return new Promise((resolve, reject) => {
    const request = get(url, { timeout: TIMEOUT_MS }, response => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('error', error => reject(runtimeError(`${url}: ${reason(error)}`, error)))
      response.on('end', () => {
        if (response.statusCode !== 200) {
          reject(runtimeError(`${url} answered ${response.statusCode ?? '?'} ${response.statusMessage ?? ''}: is that a Clacks admin endpoint?`))
          return
        }
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as StatusDocument)
        } catch (error) {
          reject(runtimeError(`${url} did not answer JSON: is that a Clacks admin endpoint?`, error))
        }
      })
    })
    request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)))
    request.on('error', error => reject(runtimeError(`cannot reach ${url}: ${reason(error)}; is a tower running with that --admin address?`, error)))
  })
}

/** The /status document as a few readable lines. */
export function formatStatus (doc: StatusDocument, maxPeers: number): string {
  const s = doc.stats
  const rate = (n: number | null, unit: string): string => formatRate(n ?? Infinity, unit)
  const lines = [
    `tower       ${formatHostPort(doc.tower)}  instance ${doc.tower.instanceId.slice(0, 12)}  up ${duration(doc.uptimeSeconds)}`,
    `held        ${s.queued + s.inFlight} messages: queued ${s.queued} (${bytes(s.queuedBytes)}), in flight ${s.inFlight} (in doubt ${s.inDoubt})`,
    `peers       ${STATUS_ORDER.map(status => `${status} ${s.peers[status]}`).join(', ')}`,
    `connections in ${s.connections.inbound}, out ${s.connections.outbound}`,
    `messages    enqueued ${s.enqueued}, received ${s.received}, sent ${s.sent}, acked ${s.acked}, returned ${s.returned} (refused ${s.refused})`,
    `bytes       sent ${bytes(s.bytesSent)}, received ${bytes(s.bytesReceived)}`,
    `rates       sendrate ${rate(doc.options.sendrate, 'msg')}, byterate ${rate(doc.options.byterate, 'B')}, killtimeout ${doc.options.killtimeout} ms`
  ]
  const problems: Array<[string, number]> = [
    ['refused inbound', s.refusedInbound], ['queue full', s.queueFull], ['connections refused', s.connectionsRefused],
    ['handshake timeouts', s.handshakeTimeouts], ['TLS failures', s.tlsFailures], ['protocol errors', s.protocolErrors],
    ['peer table full', s.peerTableFull], ['ignored refused', s.ignoredRefused]
  ]
  const seen = problems.filter(([, count]) => count > 0)
  if (seen.length > 0) lines.push(`problems    ${seen.map(([what, count]) => `${what} ${count}`).join(', ')}`)
  if (maxPeers > 0 && doc.survey.length > 0) {
    const now = Date.now()
    const peers = [...doc.survey].sort((a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || b.since - a.since)
    lines.push('', `peers (${Math.min(maxPeers, peers.length)} of ${peers.length}):`)
    for (const peer of peers.slice(0, maxPeers)) {
      lines.push(`  ${peer.status.padEnd(7)} ${formatHostPort(peer).padEnd(28)} for ${duration(Math.max(0, now - peer.since) / 1000)}`)
    }
  }
  return lines.join('\n')
}
