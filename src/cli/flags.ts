/**
 * One table of flags per command, read from the command line and from a
 * `--config FILE` (JSON) whose keys are the same as the flags: "state-dir" or
 * "stateDir", "announce" as a string or a list, "print" as true/false.
 * The command line wins over the file; defaults are the command's business.
 * Paths in a config file are relative to the file's folder.
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
    fromConfig: v => {
      if (typeof v !== 'string' && typeof v !== 'number') throw new InvalidArgumentError('must be a string or a number')
      return parse(String(v))
    }
  }
}

/** A flag that takes one or more values and may be repeated. */
export function list<T> (flags: string, description: string, parse: (raw: string) => T): Flag<T[]> {
  return {
    flags,
    description,
    fromCli: (raw, previous) => [...(previous ?? []), parse(raw)],
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
    fromConfig: v => {
      if (typeof v !== 'boolean') throw new InvalidArgumentError('must be true or false')
      return v
    }
  }
}

function nonEmpty (raw: string): string {
  if (raw.length === 0) throw new InvalidArgumentError('must not be empty')
  return raw
}

/** Adds the table's flags and `--config FILE` to a command. */
export function addFlags (command: Command, table: FlagTable): Command {
  for (const flag of Object.values(table)) {
    const option = new Option(flag.flags, flag.description)
    if (flag.fromCli !== undefined) option.argParser(flag.fromCli)
    command.addOption(option)
  }
  return command.option('--config <file>', 'read flags from a JSON file whose keys are the flags (the command line wins)')
}

/** The command line's values over the config file's. */
export function readFlags<S extends FlagTable> (command: Command, table: S): FlagValues<S> {
  const cli = command.opts()
  const configFile = cli.config as string | undefined
  const values: Record<string, unknown> = configFile === undefined ? {} : readConfig(configFile, table)
  for (const key of Object.keys(table)) {
    if (cli[key] !== undefined) values[key] = cli[key]
  }
  return values as FlagValues<S>
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
