/**
 * Writes from a browser must come from the dashboard's own page: a page on
 * another site could otherwise make the operator's browser POST to a
 * loopback admin endpoint (cross-site request forgery). Clients that are not
 * browsers send neither header and pass, as they do for POST /enqueue.
 */
import type { IncomingMessage } from 'node:http'

/** Why the request is refused, or undefined when it may write. */
export function crossSiteProblem (request: IncomingMessage): string | undefined {
  const site = request.headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `a ${site} request may not change the tower`
  const origin = request.headers.origin
  if (origin !== undefined && origin !== `http://${request.headers.host ?? ''}`) return `a request from ${origin} may not change the tower`
  return undefined
}
