/**
 * Flag values: each parser turns one string from the command line (or one
 * value from a config file, see config.ts) into what the command uses, or
 * throws commander's InvalidArgumentError with a message that says what is
 * accepted.
 */
import { InvalidArgumentError } from 'commander'
import { TRUST_MODES, type TrustMode } from '../net/trust.js'

export interface HostPort {
  hostname: string
  port: number
}

/** The same alphabet the library accepts for tower hostnames. */
const HOSTNAME = /^[A-Za-z0-9._:-]{1,253}$/

export function integer (min: number, max: number) {
  return (raw: string): number => {
    const value = Number(raw)
    if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`)
    }
    return value
  }
}

export const port = integer(0, 65535)

/** A positive number of seconds (fractions allowed). */
export function seconds (raw: string): number {
  const value = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('must be a positive number of seconds')
  return value
}

/** A rate per second; 0 (or "unlimited") means unlimited, which is Infinity for the library. */
export function rate (raw: string): number {
  if (raw === 'unlimited' || raw === 'Infinity') return Infinity
  const value = Number(raw)
  if (raw.trim() === '' || Number.isNaN(value) || value < 0) throw new InvalidArgumentError('must be a number >= 0 (0 means unlimited)')
  return value === 0 ? Infinity : value
}

export function oneOf<T extends string> (choices: readonly T[]) {
  return (raw: string): T => {
    if (!(choices as readonly string[]).includes(raw)) throw new InvalidArgumentError(`must be one of ${choices.join(', ')}`)
    return raw as T
  }
}

export function hostname (raw: string): string {
  if (!HOSTNAME.test(raw)) throw new InvalidArgumentError('must be a DNS name or an IP address (letters, digits, ".", "-", "_", ":")')
  return raw
}

/** "host:port", "[v6::addr]:port"; the port must be 1-65535 unless `allowZero`. */
export function hostPort (raw: string, allowZero = false): HostPort {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(raw) ?? /^([^:]+):(\d+)$/.exec(raw) ?? /^(.*:.*):(\d+)$/.exec(raw)
  const shape = `must be HOST:PORT, e.g. 127.0.0.1:${allowZero ? '0' : '8080'} (IPv6 as [::1]:8080)`
  if (match === null) throw new InvalidArgumentError(shape)
  const [, host, digits] = match as unknown as [string, string, string]
  if (!HOSTNAME.test(host)) throw new InvalidArgumentError(shape)
  const value = Number(digits)
  if (value > 65535 || (value === 0 && !allowZero)) throw new InvalidArgumentError(`port must be from ${allowZero ? 0 : 1} to 65535`)
  return { hostname: host, port: value }
}

export function towerAddress (raw: string): HostPort {
  return hostPort(raw)
}

/** For the admin endpoint: also accepts a bare port (then on 127.0.0.1), and port 0 for any free one. */
export function listenAddress (raw: string): HostPort {
  if (/^\d+$/.test(raw)) return { hostname: '127.0.0.1', port: port(raw) }
  return hostPort(raw, true)
}

export function trustMode (raw: string): TrustMode {
  if (!TRUST_MODES.includes(raw as TrustMode)) throw new InvalidArgumentError(`must be one of ${TRUST_MODES.join(', ')}`)
  return raw as TrustMode
}

export function text (raw: string): string {
  if (raw.length === 0) throw new InvalidArgumentError('must not be empty')
  return raw
}

export function formatHostPort ({ hostname, port }: HostPort): string {
  return hostname.includes(':') ? `[${hostname}]:${port}` : `${hostname}:${port}`
}

/** 127.0.0.0/8, ::1 and localhost: where an endpoint is reachable only from this machine. */
export function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}
