import { createServer } from 'node:net'
import type { Test } from 'tap'
import { Tower, type TowerOptions } from '../../src/index.js'
import { generateCertificate } from '../../src/net/certs.js'

let shared: Promise<{ key: string, cert: string }> | undefined

/** One certificate for every tower of a test run: generation is the slow part of start-up. */
export function testCertificate (): Promise<{ key: string, cert: string }> {
  shared ??= generateCertificate({ hostname: 'localhost' })
  return shared
}

/** A started tower on an ephemeral loopback port, fast timers, unlimited rate unless told. */
export async function startTower (options: Partial<TowerOptions> = {}): Promise<Tower> {
  const { key, cert } = await testCertificate()
  return new Tower().init(key, cert, { hostname: '127.0.0.1', port: 0, sendrate: Infinity, ...options })
}

/** Polls `check` until it returns true, or fails after `ms`. Bounded by design. */
export async function waitFor (check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

/** Every message id held by these towers, queued or in flight. */
export function heldIds (towers: Tower[]): string[] {
  return towers.flatMap(tower => tower.peek({ inFlight: true }).map(message => message.id))
}

/** Pauses every tower and waits until nothing is in flight anywhere: then holdings can be counted. */
export async function settle (towers: Tower[], ms = 10000): Promise<void> {
  for (const tower of towers) tower.pause()
  await waitFor(() => towers.every(tower => tower.stats().inFlight === 0), ms, 'in-flight messages to settle')
}

/** Starts a tower on `host` (port 0), closed without draining when the test ends. */
export async function towerOn (t: Test, host: string, options: Partial<TowerOptions> = {}): Promise<Tower> {
  const started = await startTower({ hostname: host, ...options })
  t.teardown(async () => {
    try {
      await started.close({ drain: false })
    } catch {
      // already closing, or closed by the test itself
    }
  })
  return started
}

export const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** A port free on `host` right now: listen on 0, note it, close. */
export function freePort (host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, host, () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}
