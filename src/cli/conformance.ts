/** `clacks conformance HOST:PORT`: the black-box protocol suite against a running tower, in any language. */
import { Argument, Command } from 'commander'
import { ConformancePeer } from '../conformance/peer.js'
import { runConformance, type CaseResult, type SuiteReport } from '../conformance/run.js'
import { EXIT_OK, EXIT_RUNTIME, runtimeError } from './exit.js'
import { addFlags, boolean, list, readFlags, value } from './flags.js'
import { formatHostPort, hostPort, isLoopback, seconds, towerAddress, type HostPort } from './args.js'

const FLAGS = {
  json: boolean('--json', 'print the results as one JSON document on stdout (for machines)'),
  quick: boolean('--quick', 'skip the cases that wait on the tower\'s timers (the handshake timeout)'),
  timeout: value('--timeout <seconds>', 'how long to wait for each answer from the tower (default: 5)', seconds),
  handshakeTimeout: value('--handshake-timeout <seconds>', 'the handshake timeout the tower keeps (default: 10, PROTOCOL.md §5)', seconds),
  as: value('--as <host:port>', 'the address the suite claims in its Hello and Announce; nothing should listen there (default: 127.0.0.9:1)', towerAddress),
  listen: value('--listen <host:port>', 'where the suite listens for the tower to dial it, in the dialer cases (default: 127.0.0.1:0, any free port, when the tower is on loopback; otherwise those cases are skipped)', (raw: string) => hostPort(raw, true)),
  only: list('--only <prefix...>', 'run only the cases whose id starts with one of these (e.g. handshake resume.in-doubt)', (raw: string) => raw)
}

const DEFAULT_SELF: HostPort = { hostname: '127.0.0.9', port: 1 }
const MARK: Record<CaseResult['verdict'], string> = { pass: 'pass', fail: 'FAIL', info: 'info' }

export function conformanceCommand (): Command {
  const command = new Command('conformance')
    .summary('check a running tower against PROTOCOL.md')
    .description('Dials the tower at HOST:PORT as good and broken dialers and checks every answer against the section\n' +
      'of PROTOCOL.md it names. Exits 0 when no case fails. Run it against a tower under test: the suite hands\n' +
      'it messages and introduces itself under an address where nothing listens.')
    .addArgument(new Argument('<host:port>', 'the tower to check').argParser((raw: string) => hostPort(raw)))
  addFlags(command, FLAGS)
  return command.action(async (target: HostPort) => {
    const flags = readFlags(command, FLAGS)
    const timeoutMs = (flags.timeout ?? 5) * 1000
    const reachable = await ConformancePeer.dial(target, {}, timeoutMs)
    if ('failed' in reachable) throw runtimeError(`cannot reach a tower at ${formatHostPort(target)}: ${reachable.failed}`)
    reachable.peer.destroy()
    const report = await runConformance({
      target,
      timeoutMs,
      handshakeTimeoutMs: (flags.handshakeTimeout ?? 10) * 1000,
      self: flags.as ?? DEFAULT_SELF,
      listen: flags.listen ?? (isLoopback(target.hostname) ? { hostname: '127.0.0.1', port: 0 } : undefined),
      quick: flags.quick === true,
      only: flags.only,
      onResult: flags.json === true ? undefined : result => process.stderr.write(`${MARK[result.verdict]}  ${result.id}  ${result.seen}\n`)
    })
    if (flags.json === true) console.log(JSON.stringify(report, null, 2))
    else console.log(formatReport(report))
    process.exitCode = report.counts.fail === 0 ? EXIT_OK : EXIT_RUNTIME
  })
}

/** The results as a table, then one line of totals. */
export function formatReport (report: SuiteReport): string {
  const rows = report.results.map(r => [MARK[r.verdict], r.section, r.id, `${r.ms} ms`, r.seen.length > 100 ? `${r.seen.slice(0, 99)}…` : r.seen])
  const header = ['result', 'section', 'case', 'time', 'seen']
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map(row => (row[i] as string).length)))
  const line = (cells: string[]): string => cells.map((cell, i) => i === cells.length - 1 ? cell : cell.padEnd(widths[i] as number)).join('  ')
  const { pass, fail, info } = report.counts
  const skipped = report.skipped.length === 0 ? '' : `, ${report.skipped.length} skipped${report.skipped.length <= 3 ? ` (${report.skipped.join(', ')})` : ''}`
  return [
    `conformance of ${report.target}`,
    line(header),
    ...rows.map(line),
    '',
    `${pass} passed, ${fail} failed, ${info} info${skipped}`
  ].join('\n')
}
