/**
 * `clacks demo` (also plain `clacks` and `npm start`): a small network on
 * loopback, shown live, ended by --duration or Ctrl-C with a conservation
 * check: every injected message must still be held exactly once.
 */
import { Command } from 'commander'
import { integer, listenAddress, rate, seconds as secondsFlag, type HostPort } from './args.js'
import { startNetworkView, type NetworkView } from './dashboard/network.js'
import { checkConservation, closeAll, inject, joinChain, startNetwork, type DemoTower } from './demo-network.js'
import {
  CLEAR_SCREEN, describeSettings, HIDE_CURSOR, renderEventLine, renderLine, renderSummary, renderTable, SHOW_CURSOR,
  type DemoSettings, type Frame
} from './demo-view.js'
import { EXIT_OK, EXIT_RUNTIME } from './exit.js'
import { addFlags, readFlags, value } from './flags.js'
import { onStopSignals } from './signals.js'
import { RateMeter } from './status-line.js'

const FLAGS = {
  towers: value('--towers <n>', 'how many towers, on 127.0.0.2, 127.0.0.3, … (default: 5)', integer(2, 250)),
  messages: value('--messages <n>', 'messages injected at the first tower (default: 20)', integer(0, 100_000)),
  duration: value('--duration <seconds>', 'stop after this long (default: until Ctrl-C)', secondsFlag),
  sendrate: value('--sendrate <n>', 'messages per second each tower sends at most; 0 is unlimited (default: 50)', rate),
  web: value('--web <host:port>', 'where to serve the page that draws the network live (default: 127.0.0.1:0, any free port)', listenAddress)
}

const DEFAULT_SENDRATE = 50
/** Redraws per second on a terminal; plain lines come once a second. */
const TABLE_EVERY_MS = 250
const LINE_EVERY_MS = 1000
/** Towers join this far apart, or closer so that all have joined within JOIN_TOTAL_MS. */
const JOIN_GAP_MS = 600
const JOIN_TOTAL_MS = 3000
/** Discoveries printed as lines before they are only counted. */
const MAX_EVENT_LINES = 60
/** How long the closing check waits for in-flight messages to settle. */
const SETTLE_MS = 10_000

export function demoCommand (): Command {
  const command = new Command('demo')
    .summary('run a small network on this machine and watch it (the default)')
    .description('Starts towers on loopback (127.0.0.2, 127.0.0.3, … as separate hosts) with certificates made on the fly, links each only to\n' +
      'the one before it, injects messages at the first and shows discovery spreading and messages circulating.\n' +
      'Ctrl-C or --duration ends it with a check that every message injected is still held exactly once.')
  addFlags(command, FLAGS)
  return command.action(async () => {
    const flags = readFlags(command, FLAGS)
    process.exitCode = await runDemo({
      towers: flags.towers ?? 5,
      messages: flags.messages ?? 20,
      sendrate: flags.sendrate ?? DEFAULT_SENDRATE,
      duration: flags.duration
    }, flags.web ?? { hostname: '127.0.0.1', port: 0 })
  })
}

async function runDemo (settings: DemoSettings, web: HostPort): Promise<number> {
  const out = process.stdout
  const tty = out.isTTY === true
  const restoreTerminal = (): void => { if (tty) out.write(SHOW_CURSOR) }
  const say = (line: string): void => { if (!tty) out.write(line + '\n') }

  let requestStop = (): void => {}
  const stopped = new Promise<void>(resolve => { requestStop = resolve })
  const removeHandlers = onStopSignals(() => requestStop(), restoreTerminal)
  try {
    say(`clacks demo: ${describeSettings(settings)}`)
    const { towers, sharedHost } = await startNetwork(settings.towers, settings.sendrate)
    let view: NetworkView | undefined
    try {
      for (const t of towers) say(`  ${t.name} ${t.address}`)
      if (sharedHost) say('  (127.0.0.2 and up are not loopback here: every tower is on 127.0.0.1)')
      view = await startNetworkView(towers, web, describeSettings(settings))
      say(`watch it live in a browser: ${view.url}`)
      const { frame, injected, clock } = await show(towers, settings, view, stopped, requestStop)
      say(`stopping after ${clock().toFixed(1)} s: pausing every tower and waiting for messages in flight to settle`)
      const result = await checkConservation(towers, injected, SETTLE_MS)
      out.write(renderSummary(result, frame, clock(), tty) + '\n')
      return result.ok ? EXIT_OK : EXIT_RUNTIME
    } finally {
      restoreTerminal()
      await view?.close()
      await closeAll(towers)
    }
  } finally {
    removeHandlers()
  }
}

/** Links the towers, injects the messages and draws the network until `stopped`. */
async function show (towers: DemoTower[], settings: DemoSettings, view: NetworkView, stopped: Promise<void>, stop: () => void): Promise<{ frame: Frame, injected: Set<string>, clock: () => number }> {
  const started = Date.now()
  const clock = (): number => (Date.now() - started) / 1000
  const out = process.stdout
  const tty = out.isTTY === true
  const say = (line: string): void => { if (!tty) out.write(line + '\n') }
  const events: string[] = []
  let eventLines = 0
  let done = false
  const event = (text: string): void => {
    // Towers closing after the summary would only add noise below it.
    if (done) return
    view.event(text)
    events.push(`${clock().toFixed(1).padStart(5)}s  ${text}`)
    if (events.length > 20) events.shift()
    if (tty) return
    if (eventLines < MAX_EVENT_LINES) say(renderEventLine(clock(), text))
    else if (eventLines === MAX_EVENT_LINES) say(renderEventLine(clock(), 'further events are not listed'))
    eventLines++
  }
  watch(towers, event)

  const first = towers[0] as DemoTower
  const injected = inject(first.tower, settings.messages)
  event(`${settings.messages} messages injected at ${first.name}, which knows no other tower yet`)

  const meters = towers.map(({ tower }) => new RateMeter(tower.stats()))
  let frame: Frame = { elapsed: 0, towers: [], injected: injected.size, events }
  const draw = (): void => {
    frame = { ...snapshot(towers, meters, injected.size, events, clock()), url: view.url }
    out.write(tty ? renderTable(frame, settings, out.rows) : renderLine(frame) + '\n')
  }
  if (tty) out.write(HIDE_CURSOR + CLEAR_SCREEN)
  draw()
  const refresh = setInterval(draw, tty ? TABLE_EVERY_MS : LINE_EVERY_MS)
  // --duration counts from here: start-up time on a loaded machine does not eat into the show.
  const timer = settings.duration === undefined ? undefined : setTimeout(stop, settings.duration * 1000)
  try {
    const gap = Math.min(JOIN_GAP_MS, JOIN_TOTAL_MS / Math.max(1, towers.length - 2))
    await Promise.race([stopped, joinChain(towers, gap, (t, to) => event(`${t.name} joins, announcing itself to ${to.name} only`), () => done)])
    await stopped
  } finally {
    clearInterval(refresh)
    clearTimeout(timer)
  }
  draw()
  done = true
  return { frame, injected, clock }
}

function snapshot (towers: DemoTower[], meters: RateMeter[], injected: number, events: string[], elapsed: number): Frame {
  const now = Date.now()
  return {
    elapsed,
    injected,
    events,
    towers: towers.map(({ name, address, tower }, i) => {
      const stats = tower.stats()
      return {
        name,
        address,
        peers: stats.peers,
        queued: stats.queued,
        inFlight: stats.inFlight,
        acked: stats.acked,
        rates: (meters[i] as RateMeter).sample(stats, now)
      }
    })
  }
}

/** Discoveries, and towers turning lost or dead, as events named t1, t2, … */
function watch (towers: DemoTower[], event: (text: string) => void): void {
  const names = new Map(towers.map(t => [t.address, t.name]))
  const nameOf = (peer: { hostname: string, port: number }): string => names.get(`${peer.hostname}:${peer.port}`) ?? `${peer.hostname}:${peer.port}`
  for (const { name, tower } of towers) {
    tower.on('discovered', peer => event(`${name} discovered ${nameOf(peer)}`))
    tower.on('updated', peer => {
      if (peer.status === 'lost' || peer.status === 'dead') event(`${name} marks ${nameOf(peer)} ${peer.status}`)
    })
    tower.on('error', error => event(`${name}: ${error.message}`))
  }
}
