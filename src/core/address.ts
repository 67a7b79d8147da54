import { isIP } from 'node:net'

/** Where a tower can be reached, as it advertises itself. */
export interface TowerAddress {
  hostname: string
  port: number
}

// Letters, digits and the punctuation of DNS names and IP literals; nothing
// that could break a log line, a URL or a shell.
const HOSTNAME_PATTERN = /^[A-Za-z0-9._:-]{1,253}$/

/** Why an address is not valid, or undefined when it is. */
export function addressProblem (hostname: unknown, port: unknown): string | undefined {
  if (typeof hostname === 'string' && hostname.length > 253) {
    return `hostname of ${hostname.length} characters is too long (a DNS name has at most 253)`
  }
  if (typeof hostname !== 'string' || !HOSTNAME_PATTERN.test(hostname)) {
    return `hostname ${JSON.stringify(hostname)} is not a DNS name or IP address (1-253 of A-Z a-z 0-9 . - _ :)`
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    return `port ${JSON.stringify(port)} is not an integer from 1 to 65535`
  }
  return undefined
}

/** The key a tower is known by in the peer table and the ignore list. */
export function addressKey (hostname: string, port: number): string {
  return `${hostname.toLowerCase()}:${port}`
}

/** True for 'localhost' and IP literals: addresses a tower can bind to as they are. */
export function isBindable (hostname: string): boolean {
  return hostname === 'localhost' || isIP(hostname) !== 0
}
