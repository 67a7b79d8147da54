/**
 * `clacks start`: one tower for real deployments.
 *
 * Lines on stdin are enqueued; with --print each message that arrives is
 * written to stdout as a JSON line; everything else (status, peers coming and
 * going, problems) goes to stderr. SIGINT or SIGTERM hand the queue to peers
 * and exit 0; a second signal exits at once.
 */
import { createInterface, type Interface } from 'node:readline'
import { Command } from 'commander'
import { DEFAULT_OPTIONS, ListenError, Tower, type TowerOptions } from '../index.js'
import { formatHostPort, hostname, integer, isLoopback, listenAddress, port, rate, seconds, towerAddress, type HostPort } from './args.js'
import { startAdmin, type AdminServer } from './admin.js'
import { EXIT_OK, reason, runtimeError, usageError } from './exit.js'
import { addFlags, boolean, list, path, readFlags, value, type FlagValues } from './flags.js'
import { defaultStateDir, readKeyPair, stateKeyPair } from './keys.js'
import { messageLine } from './print.js'
import { onStopSignals, type StopSignal } from './signals.js'
import { onStdoutGone } from './stdout.js'
import { formatRate, heldLine, RateMeter } from './status-line.js'

const FLAGS = {
  hostname: value('--hostname <host>', 'the name or IP other towers reach this one by, sent to every peer (default: localhost)', hostname),
  port: value('--port <port>', 'the port to listen on; 0 picks a free one (default: 8080)', port),
  announce: list('--announce <host:port...>', 'towers to tell about this one at start; each must answer, or the start fails', towerAddress),
  expand: list('--expand <host:port...>', 'towers to add to the peer table without waiting for them', towerAddress),
  sendrate: value('--sendrate <n>', 'messages per second sent at most; 0 is unlimited (default: 1)', rate),
  byterate: value('--byterate <n>', 'bytes per second sent at most; 0 is unlimited (default: unlimited)', rate),
  killtimeout: value('--killtimeout <ms>', 'milliseconds before an unreachable ("lost") tower counts as dead (default: 3600000)', integer(1, 2 ** 31 - 1)),
  drainTimeout: value('--drain-timeout <ms>', 'milliseconds a stop spends handing messages to peers (default: 10000)', integer(1, 2 ** 31 - 1)),
  key: path('--key <file>', 'the TLS private key (PEM); goes with --cert'),
  cert: path('--cert <file>', 'the TLS certificate (PEM); goes with --key'),
  stateDir: path('--state-dir <dir>', 'where the generated key and certificate are kept when --key/--cert are not given (default: $STATE_DIRECTORY, else $XDG_STATE_HOME/clacks, else ~/.local/state/clacks)'),
  admin: value('--admin <host:port>', 'serve /metrics, /status and POST /enqueue over HTTP here (a bare port means 127.0.0.1:PORT)', listenAddress),
  adminPublic: boolean('--admin-public', 'allow --admin on an address that is not loopback (anyone who reaches it can enqueue)'),
  print: boolean('--print', 'write each message that arrives to stdout as a JSON line {id, hops, from, encoding, payload}'),
  statusInterval: value('--status-interval <seconds>', 'seconds between status lines on stderr; 0 for none (default: 60)', raw => raw === '0' ? 0 : seconds(raw)),
  quiet: boolean('--quiet', 'only start, stop and problems on stderr: no peer events, no per-line confirmations')
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

function log (line: string): void {
  process.stderr.write(`clacks: ${line}\n`)
}

async function runStart (flags: StartFlags): Promise<void> {
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
  tower.on('error', error => log(`problem: ${error.message}`))
  try {
    await tower.init(pair.key, pair.cert, options)
  } catch (error) {
    throw listenProblem(error, options)
  }
  // Printing from the first moment: a message can arrive while we announce.
  if (flags.print === true) printArrivals(tower)
  let admin: AdminServer | undefined
  try {
    for (const peer of flags.expand ?? []) tower.expand(peer.hostname, peer.port)
    await announceAll(tower, flags.announce ?? [])
    if (flags.admin !== undefined) admin = await startAdmin(tower, flags.admin)
  } catch (error) {
    await tower.close({ drain: false })
    throw error
  }

  log(`tower ${formatHostPort(tower)} is up (instance ${tower.instanceId.slice(0, 12)}), ${pair.origin}`)
  log(`sendrate ${formatRate(tower.options.sendrate, 'msg')}, byterate ${formatRate(tower.options.byterate, 'B')}; peers known: ${tower.survey().length}`)
  if (admin !== undefined) log(`admin endpoint ${admin.url} (/metrics, /status, POST /enqueue)`)
  log('type lines to enqueue them; Ctrl-C to hand everything to peers and stop')

  const quiet = flags.quiet === true
  if (!quiet) watchPeers(tower)

  const input = readLines(tower, quiet)
  const heartbeat = startHeartbeat(tower, flags.statusInterval ?? 60)

  await new Promise<void>(resolve => {
    const removeHandlers = onStopSignals(signal => {
      input.close()
      process.stdin.destroy()
      if (heartbeat !== undefined) clearInterval(heartbeat)
      stop(tower, signal)
        .then(() => admin?.close())
        .finally(() => {
          removeHandlers()
          resolve()
        })
        .catch(error => log(`problem while stopping: ${reason(error)}`))
    })
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

function watchPeers (tower: Tower): void {
  tower.on('discovered', peer => log(`discovered ${formatHostPort(peer)} (${peer.status})`))
  tower.on('updated', peer => log(`${formatHostPort(peer)} is ${peer.status} (was ${peer.previous})`))
}

function printArrivals (tower: Tower): void {
  let printing = true
  // The tower serves the network whether or not anyone reads what it prints.
  onStdoutGone(() => {
    if (printing) log('stdout was closed: no longer printing messages; the tower keeps running')
    printing = false
  })
  tower.on('message', message => {
    if (printing) process.stdout.write(messageLine(message))
  })
}

/** Each non-empty line of stdin becomes a message (UTF-8, without its line ending). */
function readLines (tower: Tower, quiet: boolean): Interface {
  const input = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false })
  input.on('line', line => {
    if (line.length === 0) return
    try {
      const id = tower.enqueue(line)
      if (!quiet) log(`queued ${id}`)
    } catch (error) {
      log(`not queued: ${reason(error)}`)
    }
  })
  return input
}

function startHeartbeat (tower: Tower, everySeconds: number): NodeJS.Timeout | undefined {
  if (everySeconds === 0) return undefined
  const meter = new RateMeter(tower.stats())
  return setInterval(() => {
    const stats = tower.stats()
    log(heldLine(stats, meter.sample(stats)))
  }, everySeconds * 1000).unref()
}

function messages (count: number): string {
  return count === 1 ? '1 message' : `${count} messages`
}

async function stop (tower: Tower, signal: StopSignal): Promise<void> {
  const stats = tower.stats()
  const held = stats.queued + stats.inFlight
  const reachable = stats.peers.new + stats.peers.alive + stats.peers.lost
  const drain = held === 0 || reachable > 0
  if (held === 0) log(`${signal}: stopping (nothing held)`)
  else if (drain) log(`${signal}: handing ${messages(held)} to peers, for at most ${tower.options.drainTimeout / 1000} s (${signal} again to exit at once)`)
  else log(`${signal}: no peer to hand ${messages(held)} to`)
  const { left } = await tower.close({ drain })
  if (left > 0) log(`stopped: ${messages(left)} could not be handed on: lost with this tower`)
  else log(held > 0 ? 'stopped: every message was handed on' : 'stopped')
}
