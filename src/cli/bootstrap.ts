/**
 * Bootstrap: find the network at start from a list of towers and/or a DNS
 * name, and announce to them until one answers, with backoff between rounds
 * (towers of a new network start together and come up in any order).
 *
 * A DNS name beginning with "_" (`_clacks._tcp.clacks.default.svc.cluster.local`)
 * is looked up as SRV records, each giving a tower's name and port; any other
 * name as A and AAAA records (a headless Service), each address with the
 * name's port or, without one, this tower's own port. The name is looked up
 * again every round: the set of towers changes while a network starts.
 */
import { Resolver } from 'node:dns/promises'
import { InvalidArgumentError } from 'commander'
import type { Tower } from '../index.js'
import { Backoff } from '../net/backoff.js'
import { formatHostPort, hostname, port, type HostPort } from './args.js'
import { reason } from './exit.js'
import type { Logger } from './log.js'

export interface DnsName {
  name: string
  /** For A/AAAA records; SRV records carry their own. */
  port?: number
}

export interface BootstrapPlan {
  peers: HostPort[]
  dns?: DnsName
  /** DNS servers to ask ("host:port"), instead of the system's. */
  dnsServers?: HostPort[]
  /** Backoff between rounds, in ms. */
  backoffInitial: number
  backoffMax: number
}

/** "name" or "name:port". */
export function dnsName (raw: string): DnsName {
  const match = /^([^:]+)(?::(\d+))?$/.exec(raw)
  if (match === null) throw new InvalidArgumentError('must be a DNS name, optionally with :PORT (e.g. clacks.default.svc.cluster.local:7070)')
  const [, name, digits] = match as unknown as [string, string, string | undefined]
  hostname(name)
  if (digits === undefined) return { name }
  const value = port(digits)
  if (value === 0) throw new InvalidArgumentError('port must be from 1 to 65535')
  return { name, port: value }
}

export interface Bootstrap {
  /** Resolves with the towers that answered, or with [] if stopped first. */
  readonly done: Promise<HostPort[]>
  stop (): void
}

export function bootstrap (tower: Tower, plan: BootstrapPlan, log: Logger): Bootstrap {
  const resolver = new Resolver({ timeout: 2000, tries: 2 })
  if (plan.dnsServers !== undefined && plan.dnsServers.length > 0) resolver.setServers(plan.dnsServers.map(formatHostPort))
  const backoff = new Backoff({ initial: plan.backoffInitial, max: plan.backoffMax, random: Math.random })
  let stopped = false
  let wake: (() => void) | undefined
  let timer: NodeJS.Timeout | undefined

  async function rounds (): Promise<HostPort[]> {
    for (let round = 1; !stopped; round++) {
      const targets = [...plan.peers, ...await lookUp(resolver, plan.dns, tower.port, log)]
        .filter(target => !(target.hostname === tower.hostname && target.port === tower.port))
      const answered = await announceTo(tower, targets)
      if (stopped) break
      if (answered.length > 0) {
        log.info({ event: 'bootstrapped', peers: answered.map(formatHostPort), round }, `bootstrapped: ${answered.map(formatHostPort).join(', ')} answered (round ${round})`)
        return answered
      }
      backoff.failed()
      backoff.attempted(Date.now())
      const delay = Math.max(0, backoff.nextAttemptAt - Date.now())
      const what = targets.length === 0 ? 'no tower to try yet' : `none of ${targets.length} answered`
      log.warn({ event: 'bootstrap-retry', round, tried: targets.length, delayMs: Math.round(delay) }, `bootstrap: ${what}; trying again in ${(delay / 1000).toFixed(1)} s`)
      await new Promise<void>(resolve => {
        wake = resolve
        timer = setTimeout(resolve, delay)
      })
    }
    return []
  }

  return {
    done: rounds(),
    stop: () => {
      stopped = true
      clearTimeout(timer)
      wake?.()
    }
  }
}

/** The towers that answered an announce. */
async function announceTo (tower: Tower, targets: HostPort[]): Promise<HostPort[]> {
  const results = await Promise.allSettled(targets.map(target => tower.announce(target.hostname, target.port)))
  return targets.filter((_, index) => results[index]?.status === 'fulfilled')
}

async function lookUp (resolver: Resolver, dns: DnsName | undefined, ownPort: number, log: Logger): Promise<HostPort[]> {
  if (dns === undefined) return []
  try {
    if (dns.name.startsWith('_')) {
      const records = await resolver.resolveSrv(dns.name)
      return records.map(record => ({ hostname: record.name, port: record.port }))
    }
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(dns.name), resolver.resolve6(dns.name)])
    const addresses = [v4, v6].flatMap(result => result.status === 'fulfilled' ? result.value : [])
    if (addresses.length === 0 && v4.status === 'rejected') throw v4.reason
    return addresses.map(address => ({ hostname: address, port: dns.port ?? ownPort }))
  } catch (error) {
    log.warn({ event: 'bootstrap-dns-failed', name: dns.name, reason: reason(error) }, `bootstrap: cannot look up ${dns.name}: ${reason(error)}`)
    return []
  }
}
