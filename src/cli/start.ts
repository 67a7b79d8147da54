/**
 * `clacks start`: one tower for real deployments.
 *
 * Lines on stdin are enqueued; with --print each message that arrives is
 * written to stdout as a JSON line; everything else (status, peers coming and
 * going, problems) is logged to stderr (log.ts). SIGINT or SIGTERM hand the
 * queue to peers and exit 0; a second signal exits at once.
 */
import { Command } from 'commander'
import { DEFAULT_OPTIONS, ListenError, Tower, type TowerOptions } from '../index.js'
import { join } from 'node:path'
import { formatHostPort, hostname, integer, isLoopback, listenAddress, oneOf, port, rate, seconds, towerAddress, trustMode, type HostPort } from './args.js'
import { startAdmin, type AdminServer } from './admin.js'
import { bootstrap, dnsName, type Bootstrap } from './bootstrap.js'
import { readBoundedLines } from './bounded-lines.js'
import { EXIT_OK, reason, runtimeError, usageError } from './exit.js'
import { addFlags, boolean, list, path, readFlags, unknownEnv, value, type FlagValues } from './flags.js'
import { Health } from './health.js'
import { defaultStateDir, PIN_FILE, readCaFile, readKeyPair, stateKeyPair } from './keys.js'
import { createLogger, defaultLogFormat, LOG_FORMATS, LOG_LEVELS, type Logger, type LogFormat } from './log.js'
import { messageLine } from './print.js'
import { onStopSignals, type StopSignal } from './signals.js'
import { onStdoutGone } from './stdout.js'
import { formatRate, heldLine, RateMeter } from './status-line.js'

export const FLAGS = {
  hostname: value('--hostname <host>', 'the name or IP other towers reach this one by, sent to every peer (default: localhost)', hostname),
  port: value('--port <port>', 'the port to listen on; 0 picks a free one (default: 8080)', port),
  announce: list('--announce <host:port...>', 'towers to tell about this one at start; each must answer, or the start fails', towerAddress),
  expand: list('--expand <host:port...>', 'towers to add to the peer table without waiting for them', towerAddress),
  bootstrap: list('--bootstrap <host:port,...>', 'towers to announce to in the background, again and again with backoff, until one answers', towerAddress),
  bootstrapDns: value('--bootstrap-dns <name[:port]>', 'bootstrap from DNS too: SRV records for a name starting with "_", else A/AAAA (with this port, default: our own)', dnsName),
  dnsServer: list('--dns-server <host:port,...>', 'ask these DNS servers for --bootstrap-dns instead of the system\'s', towerAddress),
  sendrate: value('--sendrate <n>', 'messages per second sent at most; 0 is unlimited (default: 1)', rate),
  byterate: value('--byterate <n>', 'bytes per second sent at most; 0 is unlimited (default: unlimited)', rate),
  killtimeout: value('--killtimeout <ms>', 'milliseconds before an unreachable ("lost") tower counts as dead (default: 3600000)', integer(1, 2 ** 31 - 1)),
  maxQueueMessages: value('--max-queue-messages <n>', 'messages held at most; a full tower refuses and the sender routes elsewhere (default: 100000)', integer(1, 2 ** 31 - 1)),
  maxQueueBytes: value('--max-queue-bytes <n>', 'payload bytes held at most (default: 268435456, 256 MiB)', integer(1, Number.MAX_SAFE_INTEGER)),
  drainTimeout: value('--drain-timeout <ms>', 'milliseconds a stop spends handing messages to peers (default: 10000)', integer(1, 2 ** 31 - 1)),
  key: path('--key <file>', 'the TLS private key (PEM); goes with --cert'),
  cert: path('--cert <file>', 'the TLS certificate (PEM); goes with --key'),
  trust: value('--trust <mode>', 'who may talk to this tower: open (anyone; encrypted, not authenticated), tofu (pin each dialled tower\'s key on first contact and refuse a changed one; pins kept in the state dir), ca (a closed network: mutual TLS with --ca) (default: open)', trustMode),
  ca: path('--ca <file>', 'the CA certificate (PEM): with --trust ca both sides must show a certificate it signed; otherwise it checks the towers this one dials'),
  stateDir: path('--state-dir <dir>', 'where the generated key and certificate are kept when --key/--cert are not given (default: $STATE_DIRECTORY, else $XDG_STATE_HOME/clacks, else ~/.local/state/clacks)'),
  admin: value('--admin <host:port>', 'serve the dashboard, /metrics, /status and POST /enqueue over HTTP here (a bare port means 127.0.0.1:PORT)', listenAddress),
  adminPublic: boolean('--admin-public', 'allow --admin on an address that is not loopback (anyone who reaches it can enqueue)'),
  print: boolean('--print', 'write each message that arrives to stdout as a JSON line {id, hops, from, encoding, payload}'),
  statusInterval: value('--status-interval <seconds>', 'seconds between status lines on stderr; 0 for none (default: 60)', raw => raw === '0' ? 0 : seconds(raw)),
  quiet: boolean('--quiet', 'only start, stop and problems on stderr: no peer events, no per-line confirmations'),
  logFormat: value('--log-format <format>', 'json (one object per line) or pretty (default: json unless stderr is a terminal)', oneOf(LOG_FORMATS)),
  logLevel: value('--log-level <level>', `the least severe level logged: ${LOG_LEVELS.join(', ')} (default: info)`, oneOf(LOG_LEVELS))
}

type StartFlags = FlagValues<typeof FLAGS>

export function startCommand (): Command {
  const command = new Command('start')
    .summary('run one tower')
    .description('Runs one tower. Lines typed on stdin are enqueued; --print writes arriving messages to stdout as JSON lines; status goes to stderr.\nSIGINT/SIGTERM hand the queue to peers, then exit 0; a second signal exits at once.')
  addFlags(command, FLAGS)
  command.addHelpText('after', `
Examples:
  clacks start --hostname 10.0.0.5 --port 7070 --announce 10.0.0.4:7070 --admin 9090
  clacks start --port 0 --print --state-dir ./tower-a
  echo hello | clacks start --config tower.json`)
  return command.action(async () => runStart(readFlags(command, FLAGS)))
}

export function logFormat (flags: StartFlags): LogFormat {
  return flags.logFormat ?? defaultLogFormat()
}

async function runStart (flags: StartFlags): Promise<void> {
  let log: Logger = createLogger({ format: logFormat(flags), level: flags.logLevel ?? 'info' })
  for (const name of unknownEnv(FLAGS)) log.warn({ event: 'unknown-setting', name }, `${name} is not a setting of clacks start: ignored`)
  const options = towerOptions(flags)
  if ((flags.key === undefined) !== (flags.cert === undefined)) {
    throw usageError('--key and --cert go together: give both, or neither to use a generated certificate kept in --state-dir')
  }
  if (flags.admin !== undefined && flags.adminPublic !== true && !isLoopback(flags.admin.hostname)) {
    throw usageError(`--admin ${formatHostPort(flags.admin)} is not a loopback address: the endpoint can enqueue messages, so pass --admin-public too if you mean it`)
  }
  const pair = flags.key !== undefined && flags.cert !== undefined
    ? readKeyPair(flags.key, flags.cert)
    : await stateKeyPair(flags.stateDir ?? defaultStateDir(), options.hostname)

  const tower = new Tower()
  const bootstrapping = (flags.bootstrap?.length ?? 0) > 0 || flags.bootstrapDns !== undefined
  const health = new Health(tower, bootstrapping)
  tower.on('error', error => log.warn({ event: 'problem', reason: error.message }, `problem: ${error.message}`))
  tower.on('untrusted', peer => log.warn({ event: 'untrusted', peer: formatHostPort(peer), presented: peer.presented, pinned: peer.pinned },
    `refused ${formatHostPort(peer)}: it showed another key than the one pinned (${peer.presented.slice(0, 16)}…, pinned ${peer.pinned.slice(0, 16)}…); if the change is expected, stop this tower and remove its entry from ${options.pinFile ?? PIN_FILE}`))
  try {
    await tower.init(pair.key, pair.cert, options)
  } catch (error) {
    throw listenProblem(error, options)
  }
  log = log.child({ tower: formatHostPort(tower) })
  health.listening()
  // Printing from the first moment: a message can arrive while we announce.
  if (flags.print === true) printArrivals(tower, log)
  let admin: AdminServer | undefined
  try {
    for (const peer of flags.expand ?? []) tower.expand(peer.hostname, peer.port)
    await announceAll(tower, flags.announce ?? [])
    if (flags.admin !== undefined) admin = await startAdmin(tower, flags.admin, health)
  } catch (error) {
    await tower.close({ drain: false })
    throw error
  }

  log.info({ event: 'up', instance: tower.instanceId, certificate: pair.origin }, `tower ${formatHostPort(tower)} is up (instance ${tower.instanceId.slice(0, 12)}), ${pair.origin}`)
  log.info({ event: 'rates', sendrate: finite(tower.options.sendrate), byterate: finite(tower.options.byterate), peersKnown: tower.survey().length },
    `sendrate ${formatRate(tower.options.sendrate, 'msg')}, byterate ${formatRate(tower.options.byterate, 'B')}; peers known: ${tower.survey().length}`)
  if (admin !== undefined) log.info({ event: 'admin', url: admin.url }, `admin endpoint ${admin.url} (dashboard at /, /events, /metrics, /status, POST /enqueue, /healthz, /readyz)`)
  log.info({ event: 'ready-for-input' }, 'type lines to enqueue them; Ctrl-C to hand everything to peers and stop')

  const quiet = flags.quiet === true
  if (!quiet) watchPeers(tower, log)

  const found: Bootstrap | undefined = bootstrapping
    ? bootstrap(tower, {
      peers: flags.bootstrap ?? [],
      ...(flags.bootstrapDns === undefined ? {} : { dns: flags.bootstrapDns }),
      ...(flags.dnsServer === undefined ? {} : { dnsServers: flags.dnsServer }),
      backoffInitial: tower.options.backoffInitial,
      backoffMax: tower.options.backoffMax
    }, log)
    : undefined

  const stopReading = readLines(tower, quiet, log)
  const heartbeat = startHeartbeat(tower, flags.statusInterval ?? 60, log)

  await new Promise<void>(resolve => {
    const removeHandlers = onStopSignals(signal => {
      health.draining()
      found?.stop()
      stopReading()
      process.stdin.destroy()
      if (heartbeat !== undefined) clearInterval(heartbeat)
      stop(tower, signal, log)
        .then(() => admin?.close())
        .finally(() => {
          removeHandlers()
          resolve()
        })
        .catch(error => log.error({ event: 'problem', reason: reason(error) }, `problem while stopping: ${reason(error)}`))
    }, undefined, line => log.warn({ event: 'exiting-now' }, line))
  })
  process.exitCode = EXIT_OK
}

function towerOptions (flags: StartFlags): Partial<TowerOptions> & { hostname: string } {
  const options: Partial<TowerOptions> & { hostname: string } = {
    hostname: flags.hostname ?? DEFAULT_OPTIONS.hostname,
    port: flags.port ?? DEFAULT_OPTIONS.port
  }
  if (flags.sendrate !== undefined) options.sendrate = flags.sendrate
  if (flags.byterate !== undefined) options.byterate = flags.byterate
  if (flags.killtimeout !== undefined) options.killtimeout = flags.killtimeout
  if (flags.drainTimeout !== undefined) options.drainTimeout = flags.drainTimeout
  if (flags.maxQueueMessages !== undefined) options.maxQueueMessages = flags.maxQueueMessages
  if (flags.maxQueueBytes !== undefined) options.maxQueueBytes = flags.maxQueueBytes
  if (flags.ca !== undefined) options.ca = readCaFile(flags.ca)
  if (flags.trust !== undefined) options.trust = flags.trust
  if (flags.trust === 'ca' && flags.ca === undefined) throw usageError('--trust ca needs --ca FILE: the certificate of the network\'s CA')
  if (flags.trust === 'tofu') options.pinFile = join(flags.stateDir ?? defaultStateDir(), PIN_FILE)
  return options
}

function listenProblem (error: unknown, options: Partial<TowerOptions>): unknown {
  if (!(error instanceof ListenError)) return error
  const where = `${options.hostname}:${options.port}`
  const code = error.reason
  if (code === 'EADDRINUSE') return runtimeError(`cannot listen on ${where}: the port is already in use; choose another with --port, or --port 0 for any free one`, error)
  if (code === 'EADDRNOTAVAIL') return runtimeError(`cannot listen on ${where}: ${options.hostname} is not an address of this machine; give one of its own with --hostname`, error)
  if (code === 'EACCES') return runtimeError(`cannot listen on ${where}: permission denied; use a port above 1023 with --port`, error)
  return runtimeError(`cannot listen on ${where}: ${reason(error)}`, error)
}

/** Every --announce target must answer: a tower that cannot reach its first peers should not look healthy. */
async function announceAll (tower: Tower, targets: HostPort[]): Promise<void> {
  const results = await Promise.allSettled(targets.map(target => tower.announce(target.hostname, target.port)))
  results.forEach((result, index) => {
    if (result.status === 'fulfilled') return
    const target = formatHostPort(targets[index] as HostPort)
    const error: unknown = result.reason
    if ((error as { code?: string }).code === 'CLACKS_ERR_INVALID_ADDRESS') throw usageError(`--announce ${target}: ${reason(error)}`)
    throw runtimeError(`cannot announce to ${target}: ${reason(error)}; check that a tower runs there and is reachable from here, or use --expand to add it without waiting`, error)
  })
}

function finite (n: number): number | null {
  return Number.isFinite(n) ? n : null
}

function watchPeers (tower: Tower, log: Logger): void {
  tower.on('discovered', peer => log.info({ event: 'discovered', peer: formatHostPort(peer), status: peer.status }, `discovered ${formatHostPort(peer)} (${peer.status})`))
  tower.on('updated', peer => log.info({ event: 'peer-status', peer: formatHostPort(peer), status: peer.status, previous: peer.previous }, `${formatHostPort(peer)} is ${peer.status} (was ${peer.previous})`))
}

function printArrivals (tower: Tower, log: Logger): void {
  let printing = true
  // The tower serves the network whether or not anyone reads what it prints.
  onStdoutGone(() => {
    if (printing) log.warn({ event: 'stdout-closed' }, 'stdout was closed: no longer printing messages; the tower keeps running')
    printing = false
  })
  tower.on('message', message => {
    if (printing) process.stdout.write(messageLine(message))
  })
}

/**
 * Each non-empty line of stdin becomes a message (UTF-8, without its line
 * ending). A line over maxPayloadBytes is skipped as it streams in, with one
 * line in the log: stdin can be anything, /dev/zero included.
 */
function readLines (tower: Tower, quiet: boolean, log: Logger): () => void {
  return readBoundedLines(process.stdin, tower.options.maxPayloadBytes, {
    line: line => {
      if (line.length === 0) return
      try {
        const id = tower.enqueue(line)
        // A person typing wants each line confirmed; a pipe of many lines has --quiet.
        if (!quiet) log.info({ event: 'queued', id }, `queued ${id}`)
      } catch (error) {
        log.warn({ event: 'not-queued', reason: reason(error) }, `not queued: ${reason(error)}`)
      }
    },
    tooLong: maxBytes => log.warn({ event: 'not-queued', reason: 'too-long', maxBytes }, `not queued: a line of stdin is over the ${maxBytes}-byte payload limit; skipped to its end`)
  })
}

function startHeartbeat (tower: Tower, everySeconds: number, log: Logger): NodeJS.Timeout | undefined {
  if (everySeconds === 0) return undefined
  const meter = new RateMeter(tower.stats())
  return setInterval(() => {
    const stats = tower.stats()
    const counts = { queued: stats.queued, inFlight: stats.inFlight, inDoubt: stats.inDoubt, sent: stats.sent, acked: stats.acked, received: stats.received, peers: stats.peers }
    log.info({ event: 'status', ...counts }, heldLine(stats, meter.sample(stats)))
  }, everySeconds * 1000).unref()
}

function messages (count: number): string {
  return count === 1 ? '1 message' : `${count} messages`
}

async function stop (tower: Tower, signal: StopSignal, log: Logger): Promise<void> {
  const stats = tower.stats()
  const held = stats.queued + stats.inFlight
  const reachable = stats.peers.new + stats.peers.alive + stats.peers.lost
  const drain = held === 0 || reachable > 0
  const fields = { event: 'stopping', signal, held, drain }
  if (held === 0) log.info(fields, `${signal}: stopping (nothing held)`)
  else if (drain) log.info(fields, `${signal}: handing ${messages(held)} to peers, for at most ${tower.options.drainTimeout / 1000} s (${signal} again to exit at once)`)
  else log.warn(fields, `${signal}: no peer to hand ${messages(held)} to`)
  const { left } = await tower.close({ drain })
  if (left > 0) log.error({ event: 'stopped', held, left }, `stopped: ${messages(left)} could not be handed on: lost with this tower`)
  else log.info({ event: 'stopped', held, left }, held > 0 ? 'stopped: every message was handed on' : 'stopped')
}
