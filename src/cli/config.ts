/**
 * `clacks config`: the configuration `clacks start` would run with, given the
 * same flags, environment and --config file, and where each value came from
 * (flag > env > file > default). It takes start's flags as they are, --print
 * (print messages) among them, so showing is what it always does.
 *
 * Nothing `start` takes is a secret: the TLS key is given by path and this
 * command never reads it, so every value is shown as it is.
 */
import { Command } from 'commander'
import { DEFAULT_OPTIONS } from '../index.js'
import { formatHostPort, type HostPort } from './args.js'
import { addFlags, readFlagSources, unknownEnv, type FlagSource } from './flags.js'
import { defaultStateDir } from './keys.js'
import { defaultLogFormat } from './log.js'
import { FLAGS } from './start.js'

type StartKey = keyof typeof FLAGS

/** `start`'s defaults, for the keys that have one. */
function startDefaults (): Partial<Record<StartKey, unknown>> {
  return {
    hostname: DEFAULT_OPTIONS.hostname,
    port: DEFAULT_OPTIONS.port,
    sendrate: DEFAULT_OPTIONS.sendrate,
    byterate: DEFAULT_OPTIONS.byterate,
    killtimeout: DEFAULT_OPTIONS.killtimeout,
    drainTimeout: DEFAULT_OPTIONS.drainTimeout,
    maxQueueMessages: DEFAULT_OPTIONS.maxQueueMessages,
    maxQueueBytes: DEFAULT_OPTIONS.maxQueueBytes,
    stateDir: defaultStateDir(),
    statusInterval: 60,
    adminPublic: false,
    print: false,
    quiet: false,
    logFormat: defaultLogFormat(),
    logLevel: 'info'
  }
}

export interface EffectiveSetting {
  /** As on the command line, e.g. --state-dir. */
  flag: string
  value: unknown
  /** "flag --port", "env CLACKS_PORT", "file /etc/clacks.json", "default" or "unset". */
  source: string
}

export function configCommand (): Command {
  const command = new Command('config')
    .summary('show the configuration `clacks start` would use')
    .description('With the same flags, environment (CLACKS_*) and --config file as `clacks start`, prints each setting\'s effective value and where it came from.\nPrecedence: command line > environment > config file > default.')
    .option('--json', 'print it as a JSON object {flag: {value, source}}')
  addFlags(command, FLAGS)
  command.addHelpText('after', `
Examples:
  CLACKS_PORT=7070 clacks config --config /etc/clacks/tower.json
  clacks config --json --sendrate 100`)
  return command.action(() => {
    const { json } = command.opts<{ json?: boolean }>()
    const settings = effectiveConfig(command)
    for (const name of unknownEnv(FLAGS)) process.stderr.write(`clacks config: ${name} is not a setting of clacks start: ignored\n`)
    if (json === true) {
      process.stdout.write(JSON.stringify(Object.fromEntries(settings.map(({ flag, value, source }) => [flag, { value: jsonValue(value), source }])), null, 2) + '\n')
      return
    }
    const width = Math.max(...settings.map(setting => setting.flag.length))
    const valueWidth = Math.min(40, Math.max(...settings.map(setting => textValue(setting.value).length)))
    for (const { flag, value, source } of settings) {
      process.stdout.write(`${flag.padEnd(width)}  ${textValue(value).padEnd(valueWidth)}  ${source}\n`)
    }
  })
}

export function effectiveConfig (command: Command, env: NodeJS.ProcessEnv = process.env): EffectiveSetting[] {
  const { values, sources } = readFlagSources(command, FLAGS, env)
  const defaults = startDefaults()
  return (Object.keys(FLAGS) as StartKey[]).map(key => {
    const flag = FLAGS[key].flags.split(' ')[0] as string
    const source: FlagSource | undefined = sources[key]
    if (source !== undefined) return { flag, value: values[key], source: `${source.from} ${source.name}` }
    if (key in defaults) return { flag, value: defaults[key], source: 'default' }
    return { flag, value: undefined, source: 'unset' }
  })
}

function isHostPort (value: unknown): value is HostPort {
  return typeof value === 'object' && value !== null && 'hostname' in value && 'port' in value
}

/** JSON has no Infinity, and addresses read best as host:port. */
function jsonValue (value: unknown): unknown {
  if (value === Infinity) return 'unlimited'
  if (isHostPort(value)) return formatHostPort(value)
  if (typeof value === 'object' && value !== null && 'name' in value) {
    const { name, port } = value as { name: string, port?: number }
    return port === undefined ? name : `${name}:${port}`
  }
  if (Array.isArray(value)) return value.map(jsonValue)
  return value ?? null
}

function textValue (value: unknown): string {
  const shown = jsonValue(value)
  if (shown === null) return '-'
  return Array.isArray(shown) ? shown.join(',') : String(shown)
}
