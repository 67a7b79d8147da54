// Helpers both pages share. Everything that comes from the network (peers'
// hostnames, payloads) reaches the page through textContent only.

/** A new element with a class and text (as text, never as markup). */
export function el (tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = String(text)
  return node
}

const SVG = 'http://www.w3.org/2000/svg'

/** A new SVG element with attributes (never a style attribute: the page's CSP forbids those). */
export function svg (tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value))
  return node
}

export function setText (id, text) {
  const node = document.getElementById(id)
  if (node.textContent !== text) node.textContent = text
}

export function bytes (n) {
  if (n < 1000) return `${n} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let value = n
  let unit = 'B'
  for (const next of units) {
    if (value < 1000) break
    value /= 1000
    unit = next
  }
  return `${value.toFixed(value >= 100 ? 0 : 1)} ${unit}`
}

export function duration (totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds))
  const parts = []
  if (s >= 86400) parts.push(`${Math.floor(s / 86400)}d`)
  if (s >= 3600) parts.push(`${Math.floor(s / 3600) % 24}h`)
  if (s >= 60) parts.push(`${Math.floor(s / 60) % 60}m`)
  parts.push(`${s % 60}s`)
  return parts.slice(0, 2).join(' ')
}

export function perSecond (n) {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1)
}

/** "12s ago", or "—" for null. */
export function ago (at, now = Date.now()) {
  return at === null || at === undefined ? '—' : `${duration((now - at) / 1000)} ago`
}

export function clock (at) {
  return new Date(at).toLocaleTimeString([], { hour12: false })
}

/**
 * Opens the event stream at `url` and calls handlers[event](data) for each
 * event; the element `statusId` says whether the stream is live.
 */
export function connect (url, handlers, statusId) {
  const source = new EventSource(url)
  const status = document.getElementById(statusId)
  source.addEventListener('open', () => {
    status.textContent = 'live'
    status.className = 'link live'
  })
  source.addEventListener('error', () => {
    status.textContent = source.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…'
    status.className = 'link down'
  })
  for (const [event, handle] of Object.entries(handlers)) {
    source.addEventListener(event, message => handle(JSON.parse(message.data)))
  }
  return source
}

/** Peer statuses from best to worst, as the pages colour them. */
export const STATUSES = ['alive', 'new', 'lost', 'dead', 'ignored']
