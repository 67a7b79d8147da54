/**
 * Exit codes and the one-line errors a person sees.
 *
 *   0  done (a drained stop, a demo whose conservation check held)
 *   1  runtime: the command was well formed but the world said no (a taken
 *      port, an unreadable or mismatched key/certificate, an unreachable
 *      --announce target, a demo whose conservation check failed)
 *   2  usage: a bad flag, value or config file; nothing was started
 *
 * A user's mistake gets one line on stderr saying what went wrong and how to
 * fix it, never a stack trace. Only an error nobody anticipated (a bug) is
 * printed with its stack.
 */
import { ClacksError, InvalidOptionError } from '../index.js'

export const EXIT_OK = 0
export const EXIT_RUNTIME = 1
export const EXIT_USAGE = 2

/** An error meant for a person: its message is the whole story. */
export class CliError extends Error {
  constructor (message: string, readonly exitCode: number, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CliError'
  }
}

export function usageError (message: string): CliError {
  return new CliError(message, EXIT_USAGE)
}

export function runtimeError (message: string, cause?: unknown): CliError {
  return new CliError(message, EXIT_RUNTIME, { cause })
}

/** `sendrate` → `--sendrate`, `maxQueueMessages` → `--max-queue-messages`. */
export function flagName (option: string): string {
  return '--' + option.replace(/[A-Z]/g, letter => '-' + letter.toLowerCase())
}

/** A short phrase for a system error code ('ECONNREFUSED' → 'connection refused'). */
export function describeErrno (error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case 'ENOENT': return 'no such file or directory'
    case 'EACCES': case 'EPERM': return 'permission denied'
    case 'EISDIR': return 'it is a directory'
    case 'ENOTDIR': return 'a part of the path is not a directory'
    case 'EEXIST': return 'a file of that name is there, not a directory'
    case 'ECONNREFUSED': return 'connection refused'
    case 'ECONNRESET': return 'connection reset'
    case 'ETIMEDOUT': return 'timed out'
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'no route to host'
    case 'ENOTFOUND': case 'EAI_AGAIN': return 'unknown host'
    case 'EADDRINUSE': return 'address already in use'
    case 'EADDRNOTAVAIL': return 'address not available on this machine'
    default: return undefined
  }
}

/** The innermost cause's errno phrase, else the error's own message. */
export function reason (error: unknown): string {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const phrase = describeErrno(e)
    if (phrase !== undefined) return phrase
  }
  return error instanceof Error ? error.message : String(error)
}

/**
 * Library errors the CLI did not translate at the call site: options it
 * passed through are the user's flags, the rest are runtime failures.
 */
export function fromLibraryError (error: unknown): CliError | undefined {
  if (error instanceof CliError) return error
  if (error instanceof InvalidOptionError) {
    return usageError(`${flagName(error.option)}: ${error.problem}`)
  }
  if (error instanceof ClacksError) {
    return error.code === 'CLACKS_ERR_INVALID_ADDRESS' ? usageError(error.message) : runtimeError(error.message, error)
  }
  return undefined
}

/** Prints an error the way a person should see it, as `${name}: …`, and returns the exit code. */
export function report (name: string, error: unknown): number {
  const known = fromLibraryError(error)
  if (known !== undefined) {
    console.error(`${name}: ${known.message}`)
    return known.exitCode
  }
  console.error(`${name}: unexpected error (this is a bug, please report it):`)
  console.error(error instanceof Error ? error.stack ?? error.message : String(error))
  return EXIT_RUNTIME
}
