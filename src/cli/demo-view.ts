/**
 * What the demo shows: a table redrawn in place on a terminal, plain
 * periodic lines otherwise, and the closing summary. Pure functions from a
 * frame to text, so they can be tested without towers.
 */
import type { PeerStatus } from '../index.js'
import type { Conservation } from './demo-network.js'
import { perSecond, type Rates } from './status-line.js'

export interface TowerRow {
  name: string
  address: string
  peers: Record<PeerStatus, number>
  queued: number
  inFlight: number
  rates: Rates
  acked: number
}

export interface Frame {
  elapsed: number
  towers: TowerRow[]
  injected: number
  /** Most recent last. */
  events: string[]
  /** Where the page that draws the network is served. */
  url?: string
}

export interface DemoSettings {
  towers: number
  messages: number
  sendrate: number
  duration: number | undefined
}

const CURSOR_HOME = '\x1b[H'
const CLEAR_LINE_END = '\x1b[K'
const CLEAR_BELOW = '\x1b[J'
export const CLEAR_SCREEN = '\x1b[2J'
export const HIDE_CURSOR = '\x1b[?25l'
export const SHOW_CURSOR = '\x1b[?25h'
const BOLD = '\x1b[1m'
const DIM = '\x1b[2m'
const GREEN = '\x1b[32m'
const RED = '\x1b[31m'
const RESET = '\x1b[0m'

export function seconds (elapsed: number): string {
  return `${elapsed.toFixed(1)}s`
}

/** Entries in all peer tables, and how many there would be if everyone knew everyone. */
export function discovery (towers: TowerRow[]): { known: number, possible: number } {
  const known = towers.reduce((sum, t) => sum + t.peers.new + t.peers.alive + t.peers.lost + t.peers.dead, 0)
  return { known, possible: towers.length * (towers.length - 1) }
}

function totals (frame: Frame): { queued: number, inFlight: number, moving: number } {
  return {
    queued: frame.towers.reduce((sum, t) => sum + t.queued, 0),
    inFlight: frame.towers.reduce((sum, t) => sum + t.inFlight, 0),
    moving: frame.towers.reduce((sum, t) => sum + t.rates.out, 0)
  }
}

export function describeSettings (s: DemoSettings): string {
  const rate = Number.isFinite(s.sendrate) ? `${s.sendrate} msg/s per tower` : 'unlimited sendrate'
  const time = s.duration === undefined ? 'until Ctrl-C' : `for ${s.duration} s (Ctrl-C to stop early)`
  return `${s.towers} towers on loopback, ${s.messages} messages, ${rate}, ${time}`
}

/** The table, drawn from the top-left corner over the previous one. */
export function renderTable (frame: Frame, settings: DemoSettings, screenRows = 40): string {
  const { known, possible } = discovery(frame.towers)
  const { queued, inFlight, moving } = totals(frame)
  const clock = settings.duration === undefined ? seconds(frame.elapsed) : `${seconds(frame.elapsed)} of ${settings.duration}s`
  const lines: string[] = [
    `${BOLD}Clacks demo${RESET} · ${describeSettings(settings)} · ${clock}`,
    ...frame.url === undefined ? [] : [`${DIM}watch it live in a browser:${RESET} ${frame.url}`],
    '',
    `${DIM}                                  peers known by status${RESET}`,
    `${BOLD}tower  address                new  alive  lost  dead   queue   in/s  out/s  in flight${RESET}`
  ]
  const room = Math.max(3, screenRows - 14 - (frame.url === undefined ? 0 : 1))
  const shown = frame.towers.length > room ? frame.towers.slice(0, room - 1) : frame.towers
  for (const t of shown) {
    lines.push(`${t.name.padEnd(6)} ${t.address.padEnd(21)} ${num(t.peers.new, 4)} ${num(t.peers.alive, 6)} ${num(t.peers.lost, 5)} ${num(t.peers.dead, 5)}` +
      ` ${num(t.queued, 7)} ${rate(t.rates.in, 6)} ${rate(t.rates.out, 6)} ${num(t.inFlight, 10)}`)
  }
  if (shown.length < frame.towers.length) lines.push(`${DIM}… and ${frame.towers.length - shown.length} more towers${RESET}`)
  lines.push(
    '',
    `discovery  ${bar(known, possible, 24)} ${known} of ${possible} peer entries${known === possible ? ` ${GREEN}(everyone knows everyone)${RESET}` : ''}`,
    `messages   ${frame.injected} injected · ${queued} queued · ${inFlight} in flight · ${perSecond(moving)} hand-offs/s`,
    '',
    `${DIM}recent${RESET}`
  )
  for (const event of frame.events.slice(-5)) lines.push(`  ${event}`)
  return CURSOR_HOME + lines.map(line => line + CLEAR_LINE_END).join('\n') + '\n' + CLEAR_BELOW
}

/** One line per tick, for logs and pipes. */
export function renderLine (frame: Frame): string {
  const { known, possible } = discovery(frame.towers)
  const { queued, inFlight, moving } = totals(frame)
  const queues = frame.towers.length <= 10
    ? frame.towers.map(t => `${t.name}:${t.queued}`).join(' ')
    : `min ${Math.min(...frame.towers.map(t => t.queued))} max ${Math.max(...frame.towers.map(t => t.queued))}`
  return `[${seconds(frame.elapsed).padStart(6)}] peers known ${known}/${possible} · queued ${queued} · in flight ${inFlight} · ` +
    `${perSecond(moving)} hand-offs/s · queues ${queues}`
}

export function renderEventLine (elapsed: number, event: string): string {
  return `[${seconds(elapsed).padStart(6)}] ${event}`
}

/** The closing summary; colour only on a terminal. */
export function renderSummary (result: Conservation, frame: Frame, elapsed: number, colour: boolean): string {
  const paint = (code: string, text: string): string => colour ? code + text + RESET : text
  const { known, possible } = discovery(frame.towers)
  const everyone = known === possible ? 'every tower knows every other' : 'discovery still spreading'
  const handOffs = frame.towers.reduce((sum, t) => sum + t.acked, 0)
  const holdings = describeHoldings(frame.towers.map((t, i) => [t.name, result.holdings[i] ?? 0]))
  const verdict = result.ok
    ? paint(GREEN, 'conservation held: none lost, none duplicated')
    : result.lost + result.duplicated + result.unknown === 0
      ? paint(RED, 'conservation NOT VERIFIED: messages in flight did not settle')
      : paint(RED, `conservation FAILED: ${result.lost} lost, ${result.duplicated} duplicated, ${result.unknown} unknown`)
  const lines = [
    '',
    `summary after ${seconds(elapsed)}`,
    `  discovery     ${known} of ${possible} peer entries: ${everyone}`,
    `  traffic       ${handOffs} hand-offs acknowledged; messages have travelled ${result.meanHops.toFixed(1)} hops on average (most ${result.maxHops})`,
    `  held by       ${holdings}`,
    `  injected      ${result.injected} messages; held ${result.held} distinct, ${result.lost} lost, ${result.duplicated} duplicated`
  ]
  if (!result.settled) lines.push(`  unsettled     ${result.stillInFlight} messages were still in flight after the wait: counted where they are, not verified`)
  lines.push(`  ${verdict}`)
  return lines.join('\n')
}

/** Every tower's holding, or for many towers the five largest and the rest in one figure. */
function describeHoldings (holdings: Array<[string, number]>): string {
  if (holdings.length <= 10) return holdings.map(([name, count]) => `${name} ${count}`).join(' · ')
  const sorted = [...holdings].sort((a, b) => b[1] - a[1])
  const rest = sorted.slice(5)
  const top = sorted.slice(0, 5).map(([name, count]) => `${name} ${count}`).join(' · ')
  return `${top} · the other ${rest.length} towers ${rest.reduce((sum, [, count]) => sum + count, 0)}`
}

function num (n: number, width: number): string {
  return String(n).padStart(width)
}

function rate (n: number, width: number): string {
  return perSecond(n).padStart(width)
}

function bar (part: number, whole: number, width: number): string {
  const filled = whole === 0 ? width : Math.round(width * part / whole)
  return '█'.repeat(filled) + '░'.repeat(width - filled)
}
