import { InvalidArgumentError } from '../errors.js'
import type { TowerOptions } from './options.js'

/** What init() was given, sorted out: a key pair (or none, to generate one) and the options. */
export interface InitArgs {
  pair: { key: string | Buffer, cert: string | Buffer } | undefined
  options: Partial<TowerOptions>
}

const EXPECTED = 'init() takes (options) or (key, cert, options?), key and cert being PEM strings or Buffers, or both left out to generate a pair'

/**
 * Sorts out init()'s arguments. JavaScript callers reach init() with no type
 * checker: an options object in the key's place, or a key without its
 * certificate, must be refused here, not taken for something else.
 */
export function parseInitArgs (args: readonly unknown[]): InitArgs {
  if (args.length > 3) throw new InvalidArgumentError(`${EXPECTED}; got ${args.length} arguments`)
  const [first, second, third] = args
  if (args.length <= 1 && isOptionsObject(first)) {
    checkNoPairInOptions(first as object)
    return { pair: undefined, options: first as Partial<TowerOptions> }
  }
  if (first !== undefined && !isPem(first)) {
    throw new InvalidArgumentError(`${EXPECTED}; got ${describe(first)} as the key`)
  }
  if (second !== undefined && !isPem(second)) {
    throw new InvalidArgumentError(`${EXPECTED}; got ${describe(second)} as the certificate`)
  }
  if ((first === undefined) !== (second === undefined)) {
    throw new InvalidArgumentError(`${EXPECTED}; got a ${first === undefined ? 'certificate without its key' : 'key without its certificate'}`)
  }
  if (third !== undefined && !isOptionsObject(third)) {
    throw new InvalidArgumentError(`${EXPECTED}; got ${describe(third)} as the options`)
  }
  const options = (third ?? {}) as Partial<TowerOptions>
  checkNoPairInOptions(options)
  return { pair: first === undefined ? undefined : { key: toPem(first), cert: toPem(second) }, options }
}

/** The likeliest slip from JavaScript: the pair passed among the options. */
function checkNoPairInOptions (options: object): void {
  if ('key' in options || 'cert' in options) throw new InvalidArgumentError(`${EXPECTED}; key and cert are arguments of their own, not options`)
}

function isPem (value: unknown): value is string | Uint8Array {
  return typeof value === 'string' || value instanceof Uint8Array
}

function toPem (value: unknown): string | Buffer {
  return typeof value === 'string' || Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array)
}

function isOptionsObject (value: unknown): boolean {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && !Array.isArray(value)
}

function describe (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return `a ${typeof value}`
}
