import { BlockList, isIP } from 'node:net'

/**
 * Addresses that only mean something inside one machine or one site:
 * loopback, private (RFC 1918, unique local), link-local, shared (carrier
 * NAT) and "this network". A public tower that dialled such an address
 * because a stranger named it would be probing its own LAN for them.
 */
const LOCAL_RANGES = new BlockList()
for (const [network, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) {
  LOCAL_RANGES.addSubnet(network, prefix, 'ipv4')
}
for (const [network, prefix] of [['::', 127], ['fc00::', 7], ['fe80::', 10]] as const) {
  LOCAL_RANGES.addSubnet(network, prefix, 'ipv6')
}

/**
 * Whether a hostname is in a local range. A DNS name other than localhost is
 * not known to be local without resolving it, so it counts as public.
 */
export function isLocalAddress (hostname: string): boolean {
  const host = hostname.toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  const family = isIP(host)
  if (family === 0) return false
  return LOCAL_RANGES.check(host, family === 4 ? 'ipv4' : 'ipv6')
}

/** Whether an address is an IPv4 loopback literal (127.0.0.0/8). */
export function isIpv4Loopback (hostname: string): boolean {
  return isIP(hostname) === 4 && hostname.startsWith('127.')
}

/**
 * The group a connection's remote address counts under for the per-source
 * bounds: its /24 for IPv4 and its /48 for IPv6 (one host often holds a whole
 * /64, so counting each IPv6 address apart would give it billions of
 * quotas). Anything else (a name, an empty address) is its own group.
 */
export function sourceGroup (address: string): string {
  const family = isIP(address)
  if (family === 4) return address.split('.').slice(0, 3).join('.') + '.0/24'
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
    if (mapped !== null) return sourceGroup(mapped[1] as string)
    return expandIpv6(address).slice(0, 3).join(':') + '::/48'
  }
  return address.toLowerCase()
}

function expandIpv6 (address: string): string[] {
  const [head = '', tail = ''] = address.toLowerCase().split('::')
  const left = head === '' ? [] : head.split(':')
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : []
  const zeros = Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0')
  return [...left, ...zeros, ...right].map(part => part.replace(/^0+(?=.)/, ''))
}
