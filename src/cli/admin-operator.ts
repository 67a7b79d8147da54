/**
 * The admin endpoint's routes for operators and orchestrators:
 *
 *   GET  /healthz   200 while the process serves
 *   GET  /readyz    200 when ready, 503 with the reasons when not (see health.ts)
 *   GET  /messages  the messages held, queued and in flight: [{id, hops, bytes}]
 *
 * /messages and a pause across the network (POST /pause, served with the
 * dashboard) give an exact census: paused towers settle what is in flight,
 * then every message is held by one tower.
 */
import type { Tower } from '../index.js'
import type { Health } from './health.js'

export interface OperatorRoute {
  method: 'GET' | 'POST'
  answer (): { status: number, body: unknown }
}

export function operatorRoutes (tower: Tower, health: Health | undefined): Map<string, OperatorRoute> {
  const routes = new Map<string, OperatorRoute>([
    ['/healthz', { method: 'GET', answer: () => ({ status: 200, body: { live: true } }) }],
    ['/messages', { method: 'GET', answer: () => ({ status: 200, body: heldMessages(tower) }) }]
  ])
  if (health !== undefined) {
    routes.set('/readyz', {
      method: 'GET',
      answer: () => {
        const readiness = health.readiness()
        return { status: readiness.ready ? 200 : 503, body: readiness }
      }
    })
  }
  return routes
}

function heldMessages (tower: Tower): { count: number, messages: Array<{ id: string, hops: number, bytes: number }> } {
  const messages = tower.peek({ inFlight: true }).map(message => ({ id: message.id, hops: message.hops, bytes: message.payload.length }))
  return { count: messages.length, messages }
}
