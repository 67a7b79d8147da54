/**
 * The log of `clacks start`, through pino: one event per line on stderr
 * (stdout is for --print's messages).
 *
 *   json    one JSON object per line for a collector: time (ISO 8601), level
 *           (a label), msg, and stable fields: tower (this one, host:port),
 *           event, peer, status, previous, reason, signal, and counts
 *           (queued, inFlight, peers …) where they apply.
 *   pretty  the same events as `clacks: <msg>` lines, for a person at a terminal.
 *
 * The default is json when stderr is not a terminal (systemd, Kubernetes, a
 * pipe), pretty when it is. Nothing is logged per message at the default
 * level (info); the library's own detail stays behind NODE_DEBUG=clacks.
 */
import { pino, type DestinationStream, type Level, type Logger } from 'pino'

export type { Logger }
export type LogFormat = 'json' | 'pretty'

export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty']
export const LOG_LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace']

export function defaultLogFormat (stream: { isTTY?: boolean } = process.stderr): LogFormat {
  return stream.isTTY === true ? 'pretty' : 'json'
}

export interface LogSettings {
  format: LogFormat
  level: Level
  /** Where lines go; stderr unless a test says otherwise. */
  write?: (line: string) => void
}

export function createLogger ({ format, level, write = line => process.stderr.write(line) }: LogSettings): Logger {
  const destination: DestinationStream = format === 'json' ? { write } : { write: line => write(prettyLine(line)) }
  return pino({
    level,
    // No pid and machine name on every line: the collector knows where a line came from; `tower` says which tower.
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: label => ({ level: label }) }
  }, destination)
}

/** A JSON line as a person reads it: the message alone, as the command always printed it. */
function prettyLine (json: string): string {
  const record = JSON.parse(json) as { msg?: string }
  return `clacks: ${record.msg ?? ''}\n`
}
