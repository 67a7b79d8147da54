/**
 * For tests that operate running `clacks start` processes: wait for one to
 * be up, ask its admin endpoint, poll until a condition holds (bounded).
 */
import { request } from 'node:http'
import { createServer } from 'node:net'
import type { Clacks } from './spawn.js'

export interface Up {
  host: string
  port: number
  admin: string
}

/** Waits for the start-up lines of a tower started with --admin (human log format). */
export async function started (tower: Clacks, ms = 30_000): Promise<Up> {
  const [, host, port] = await tower.waitFor('stderr', /tower (\S+):(\d+) is up/, ms) as unknown as [string, string, string]
  const [, admin] = await tower.waitFor('stderr', /admin endpoint (http:\/\/[^\s"]+)/, ms) as unknown as [string, string]
  return { host, port: Number(port), admin }
}

export interface Answer {
  status: number
  text: string
  json (): unknown
}

export function http (method: string, url: string, body?: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, timeout: 5000 }, response => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: response.statusCode ?? 0, text, json: () => JSON.parse(text) as unknown })
      })
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within 5 s`)))
    req.on('error', reject)
    req.end(body)
  })
}

export async function getJson<T> (url: string): Promise<T> {
  const answer = await http('GET', url)
  if (answer.status !== 200) throw new Error(`GET ${url}: ${answer.status} ${answer.text}`)
  return answer.json() as T
}

/** Polls `check` until it returns a value other than undefined; fails after `ms` with what it last saw. */
export async function until<T> (what: string, check: () => Promise<T | undefined>, ms = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + ms
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last === undefined ? '' : `; last error: ${String(last)}`}`)
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>(resolve => server.close(() => resolve()))
  if (typeof address !== 'object' || address === null) throw new Error('no port')
  return address.port
}
