/**
 * The admin endpoint of a running tower, plain HTTP, loopback only unless
 * told otherwise:
 *
 *   GET  /metrics   Prometheus text format
 *   GET  /status    JSON: the tower, its options' rates, stats() and survey()
 *   POST /enqueue   the request body, as it is, is the payload (not empty); 201 {"id": "…"}
 *
 * the operator's routes of admin-operator.ts (/healthz, /readyz, /messages),
 * and the live dashboard (./dashboard/dashboard.ts): GET /, GET /events,
 * POST /pause, POST /resume.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { ClacksError, type Tower } from '../index.js'
import { formatHostPort, type HostPort } from './args.js'
import { describeErrno, runtimeError } from './exit.js'
import { operatorRoutes } from './admin-operator.js'
import { Dashboard } from './dashboard/dashboard.js'
import type { Health } from './health.js'
import { TowerMetrics } from './metrics.js'

/** What GET /status answers. Rates are null when unlimited (JSON has no Infinity). */
export interface StatusDocument {
  tower: { hostname: string, port: number, instanceId: string }
  uptimeSeconds: number
  options: { sendrate: number | null, byterate: number | null, killtimeout: number }
  stats: ReturnType<Tower['stats']>
  survey: ReturnType<Tower['survey']>
}

export interface AdminServer {
  /** e.g. http://127.0.0.1:9090 */
  readonly url: string
  close (): Promise<void>
}

export async function startAdmin (tower: Tower, at: HostPort, health?: Health): Promise<AdminServer> {
  const metrics = new TowerMetrics(tower)
  const operator = operatorRoutes(tower, health)
  const started = Date.now()
  const dashboard = new Dashboard(tower)
  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      reply(response, 500, { error: error instanceof Error ? error.message : String(error) })
    })
  })
  // A slow or idle client must not hold the endpoint, nor keep the process alive at shutdown.
  server.requestTimeout = 10_000
  server.headersTimeout = 5_000
  server.keepAliveTimeout = 1_000

  async function route (request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://admin').pathname
    const operatorRoute = operator.get(path)
    if (operatorRoute !== undefined) {
      const allowed = operatorRoute.method === 'GET' ? request.method === 'GET' || request.method === 'HEAD' : request.method === 'POST'
      if (!allowed) response.setHeader('Allow', operatorRoute.method === 'GET' ? 'GET, HEAD' : 'POST')
      const { status, body } = allowed ? operatorRoute.answer() : { status: 405, body: { error: `${path} takes ${operatorRoute.method}` } }
      return reply(response, status, body)
    }
    if (dashboard.route(request, response, path)) return
    const allow = path === '/enqueue' ? 'POST' : 'GET, HEAD'
    if (path !== '/metrics' && path !== '/status' && path !== '/enqueue') return reply(response, 404, { error: 'not found: try /metrics, /status or POST /enqueue' })
    if (path === '/enqueue' ? request.method !== 'POST' : request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', allow)
      return reply(response, 405, { error: `${path} takes ${allow}` })
    }
    if (path === '/metrics') {
      const body = await metrics.render(tower.stats())
      response.writeHead(200, { 'Content-Type': metrics.contentType })
      response.end(body)
      return
    }
    if (path === '/status') return reply(response, 200, status(tower, started))
    await enqueue(tower, request, response)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', error => {
      dashboard.close()
      const why = describeErrno(error) ?? error.message
      const fix = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? ' (choose another port, or port 0 for any free one)' : ''
      reject(runtimeError(`cannot serve the admin endpoint on ${formatHostPort(at)}: ${why}${fix}`, error))
    })
    server.listen(at.port, at.hostname, () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : at.port
  const close = (): Promise<void> => {
    dashboard.close()
    return closeServer(server)
  }
  return { url: `http://${formatHostPort({ hostname: at.hostname, port })}`, close }
}

function status (tower: Tower, started: number): StatusDocument {
  const finite = (n: number): number | null => Number.isFinite(n) ? n : null
  return {
    tower: { hostname: tower.hostname, port: tower.port, instanceId: tower.instanceId },
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
    options: { sendrate: finite(tower.options.sendrate), byterate: finite(tower.options.byterate), killtimeout: tower.options.killtimeout },
    stats: tower.stats(),
    survey: tower.survey()
  }
}

async function enqueue (tower: Tower, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const limit = tower.options.maxPayloadBytes
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) {
      response.setHeader('Connection', 'close')
      return reply(response, 413, { error: `the payload is over the ${limit}-byte limit` })
    }
    chunks.push(chunk)
  }
  // An empty body is far likelier a client's mistake (a forgotten -d) than a message meant to be empty.
  if (size === 0) return reply(response, 400, { error: 'the request body is the payload, and it is empty: send the message as the body, as it is (any bytes, any Content-Type)' })
  try {
    reply(response, 201, { id: tower.enqueue(Buffer.concat(chunks)) })
  } catch (error) {
    if (!(error instanceof ClacksError)) throw error
    const code = error.code === 'CLACKS_ERR_QUEUE_FULL' || error.code === 'CLACKS_ERR_CLOSED' ? 503 : 400
    reply(response, code, { error: error.message, code: error.code })
  }
}

function reply (response: ServerResponse, statusCode: number, body: unknown): void {
  if (response.headersSent) {
    response.destroy()
    return
  }
  response.writeHead(statusCode, { 'Content-Type': 'application/json; charset=utf-8' })
  response.end(JSON.stringify(body) + '\n')
}

function closeServer (server: Server): Promise<void> {
  return new Promise(resolve => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
