/**
 * One table of flags per command, read from three places, in this order of
 * precedence: the command line, then the environment (CLACKS_ and the flag's
 * name: --state-dir is CLACKS_STATE_DIR; a list is comma-separated, a switch
 * true/false), then a `--config FILE` (JSON) whose keys are the same as the
 * flags: "state-dir" or "stateDir", "announce" as a string or a list, "print"
 * as true/false. Defaults are the command's business. Paths in a config file
 * are relative to the file's folder; in the environment, to the working one.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { Command, InvalidArgumentError, Option } from 'commander'
import { describeErrno, usageError } from './exit.js'

export interface Flag<T> {
  /** Commander's flag syntax, e.g. '--port <port>'. */
  flags: string
  description: string
  // Methods, not function properties: their parameters are bivariant, so any Flag<T> fits a FlagTable.
  fromCli?(raw: string, previous: T | undefined): T
  fromEnv(raw: string): T
  fromConfig(value: unknown, configDir: string): T
}

export type FlagTable = Record<string, Flag<unknown>>
export type FlagValues<S extends FlagTable> = { [K in keyof S]?: S[K] extends Flag<infer T> ? T : never }

/** A flag with one value. */
export function value<T> (flags: string, description: string, parse: (raw: string) => T): Flag<T> {
  return {
    flags,
    description,
    fromCli: raw => parse(raw),
    fromEnv: raw => parse(raw),
    fromConfig: v => {
      if (typeof v !== 'string' && typeof v !== 'number') throw new InvalidArgumentError('must be a string or a number')
      return parse(String(v))
    }
  }
}

/** A flag that takes one or more values, comma-separated or not, and may be repeated. */
export function list<T> (flags: string, description: string, parse: (raw: string) => T): Flag<T[]> {
  return {
    flags,
    description,
    fromCli: (raw, previous) => [...(previous ?? []), ...items(raw).map(parse)],
    fromEnv: raw => items(raw).map(parse),
    fromConfig: v => {
      const items = Array.isArray(v) ? v as unknown[] : [v]
      return items.map(item => {
        if (typeof item !== 'string') throw new InvalidArgumentError('must be a string or a list of strings')
        return parse(item)
      })
    }
  }
}

/** A flag naming a file or folder. */
export function path (flags: string, description: string): Flag<string> {
  return {
    flags,
    description,
    fromCli: raw => resolve(nonEmpty(raw)),
    fromEnv: raw => resolve(nonEmpty(raw)),
    fromConfig: (v, configDir) => {
      if (typeof v !== 'string') throw new InvalidArgumentError('must be a path')
      return resolve(configDir, nonEmpty(v))
    }
  }
}

/** A flag without a value. */
export function boolean (flags: string, description: string): Flag<boolean> {
  return {
    flags,
    description,
    fromEnv: raw => {
      if (/^(true|1|yes)$/i.test(raw)) return true
      if (/^(false|0|no)$/i.test(raw)) return false
      throw new InvalidArgumentError('must be true or false')
    },
    fromConfig: v => {
      if (typeof v !== 'boolean') throw new InvalidArgumentError('must be true or false')
      return v
    }
  }
}

function items (raw: string): string[] {
  return raw.split(',').map(item => item.trim()).filter(item => item.length > 0)
}

function nonEmpty (raw: string): string {
  if (raw.length === 0) throw new InvalidArgumentError('must not be empty')
  return raw
}

/** CLACKS_ and the flag's name in capitals: stateDir -> CLACKS_STATE_DIR. */
export function envName (key: string): string {
  return 'CLACKS_' + key.replace(/[A-Z]/g, letter => '_' + letter).toUpperCase()
}

/** Adds the table's flags and `--config FILE` to a command; each flag's help names its environment variable. */
export function addFlags (command: Command, table: FlagTable): Command {
  for (const [key, flag] of Object.entries(table)) {
    const option = new Option(flag.flags, `${flag.description} [env ${envName(key)}]`)
    if (flag.fromCli !== undefined) option.argParser(flag.fromCli)
    command.addOption(option)
  }
  return command.option('--config <file>', `read flags from a JSON file whose keys are the flags (the command line and the environment win) [env ${envName('config')}]`)
}

/** Where a value came from: the command line, an environment variable, the config file (or the command's default). */
export type FlagSource = { from: 'flag', name: string } | { from: 'env', name: string } | { from: 'file', name: string }

export interface FlagReading<S extends FlagTable> {
  values: FlagValues<S>
  sources: { [K in keyof S]?: FlagSource }
}

/** The command line's values over the environment's, over the config file's. */
export function readFlags<S extends FlagTable> (command: Command, table: S, env: NodeJS.ProcessEnv = process.env): FlagValues<S> {
  return readFlagSources(command, table, env).values
}

export function readFlagSources<S extends FlagTable> (command: Command, table: S, env: NodeJS.ProcessEnv = process.env): FlagReading<S> {
  const cli = command.opts()
  const configFile = cli.config as string | undefined ?? nonEmptyEnv(env, envName('config'))
  const values: Record<string, unknown> = configFile === undefined ? {} : readConfig(configFile, table)
  const sources: Record<string, FlagSource> = {}
  for (const key of Object.keys(values)) sources[key] = { from: 'file', name: resolve(configFile as string) }
  for (const [key, flag] of Object.entries(table)) {
    const name = envName(key)
    const raw = nonEmptyEnv(env, name)
    if (cli[key] !== undefined) {
      values[key] = cli[key]
      sources[key] = { from: 'flag', name: flagName(flag) }
    } else if (raw !== undefined) {
      values[key] = fromEnv(flag, name, raw)
      sources[key] = { from: 'env', name }
    }
  }
  return { values: values as FlagValues<S>, sources: sources as FlagReading<S>['sources'] }
}

/** CLACKS_* variables that name no flag of this command: most likely typos, which would otherwise go unnoticed. */
export function unknownEnv (table: FlagTable, env: NodeJS.ProcessEnv = process.env): string[] {
  const known = new Set([...Object.keys(table), 'config'].map(envName))
  return Object.keys(env).filter(name => name.startsWith('CLACKS_') && !known.has(name)).sort()
}

/** An empty variable is unset: `CLACKS_PORT= clacks start` is how a shell clears one for a command. */
function nonEmptyEnv (env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]
  return raw === undefined || raw === '' ? undefined : raw
}

function fromEnv (flag: Flag<unknown>, name: string, raw: string): unknown {
  try {
    return flag.fromEnv(raw)
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error
    throw usageError(`environment variable ${name}=${JSON.stringify(raw)}: ${error.message}`)
  }
}

function flagName (flag: Flag<unknown>): string {
  return flag.flags.split(/[ ,]/)[0] as string
}

function readConfig (file: string, table: FlagTable): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    const why = error instanceof SyntaxError ? `is not valid JSON (${error.message})` : `cannot be read (${describeErrno(error) ?? String(error)})`
    throw usageError(`config file ${file} ${why}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw usageError(`config file ${file} must hold a JSON object whose keys are flags, e.g. {"port": 8080}`)
  }
  const known = Object.keys(table)
  const values: Record<string, unknown> = {}
  for (const [rawKey, raw] of Object.entries(parsed)) {
    const key = rawKey.replace(/^--/, '').replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())
    const flag = table[key]
    if (flag === undefined) {
      const names = known.map(name => name.replace(/[A-Z]/g, letter => '-' + letter.toLowerCase()))
      throw usageError(`config file ${file}: "${rawKey}" is not a flag of this command (known: ${names.join(', ')})`)
    }
    try {
      values[key] = flag.fromConfig(raw, dirname(resolve(file)))
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error
      throw usageError(`config file ${file}: "${rawKey}" ${error.message}`)
    }
  }
  return values
}
