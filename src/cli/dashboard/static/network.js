// The demo's whole network: towers on a circle, the towers each knows as
// lines, and a dot for every message handed from one tower to another.
import { connect, el, perSecond, setText, STATUSES, svg } from './common.js'

const RADIUS = 250
/** Dots drawn per link per frame at most: beyond that they would only blur. */
const DOTS_PER_FLOW = 4
const DOT_TRAVEL_MS = 700
const EVENTS_SHOWN = 14

const state = { towers: [], frameMs: 500, drawLinks: true, links: [], frame: null, events: [] }
const dots = []

connect('/events', {
  snapshot (data) {
    state.towers = data.towers.map((t, i) => ({ ...t, ...position(i, data.towers.length) }))
    state.frameMs = data.frameMs
    state.drawLinks = data.links
    state.links = data.frame.links ?? []
    state.events = data.events.slice(-EVENTS_SHOWN).reverse()
    setText('title', data.title)
    buildTowers()
    show(data.frame)
    drawEvents()
  },
  frame (frame) {
    if (frame.links !== null) state.links = frame.links
    show(frame)
    launch(frame.flows)
    if (frame.events.length > 0) {
      state.events.unshift(...frame.events.slice().reverse())
      state.events.length = Math.min(state.events.length, EVENTS_SHOWN)
      drawEvents()
    }
  }
}, 'link')

function position (i, n) {
  const angle = (i / n) * 2 * Math.PI - Math.PI / 2
  return { x: Math.cos(angle) * RADIUS, y: Math.sin(angle) * RADIUS }
}

// Towers and links --------------------------------------------------------

function buildTowers () {
  const group = document.getElementById('towers')
  const small = state.towers.length > 24
  group.replaceChildren(...state.towers.map(t => {
    const g = svg('g', { class: 'tower', transform: `translate(${t.x.toFixed(1)} ${t.y.toFixed(1)})` })
    t.ring = svg('circle', { r: small ? 8 : 22, class: 'ring st-new' })
    t.body = svg('circle', { r: small ? 6 : 18, class: 'tower-node' })
    const title = svg('title')
    title.textContent = `${t.name} ${t.address}`
    t.body.append(title)
    g.append(t.ring, t.body)
    if (!small) {
      const name = svg('text', { y: 5, class: 'tower-name' })
      name.textContent = t.name
      t.queueLabel = svg('text', { class: 'tower-queue' })
      g.append(name, t.queueLabel)
    }
    return g
  }))
}

function show (frame) {
  state.frame = frame
  setText('elapsed', `${frame.elapsed.toFixed(1)}s`)
  let known = 0
  let held = 0
  let moving = 0
  frame.towers.forEach((s, i) => {
    const t = state.towers[i]
    known += s.peers.new + s.peers.alive + s.peers.lost + s.peers.dead
    held += s.queued + s.inFlight
    moving += s.out
    // The ring says how this tower stands with the others: its best peer status.
    const best = STATUSES.find(status => s.peers[status] > 0) ?? 'new'
    t.ring.setAttribute('class', `ring st-${best}`)
    const scale = Math.min(2.2, 1 + Math.sqrt(s.queued) / 8)
    t.body.setAttribute('transform', `scale(${scale.toFixed(2)})`)
    t.ring.setAttribute('transform', `scale(${scale.toFixed(2)})`)
    t.body.setAttribute('class', s.inFlight > 0 ? 'tower-node busy' : 'tower-node')
    if (t.queueLabel) {
      t.queueLabel.textContent = `${s.queued} queued`
      // Above the towers in the top half, below the others, clear of the ring as it grows.
      const offset = 22 * scale + 10
      t.queueLabel.setAttribute('y', (t.y < 0 ? -offset : offset + 10).toFixed(1))
    }
  })
  const possible = state.towers.length * (state.towers.length - 1)
  setText('discovery', `${known} / ${possible}`)
  setText('discovery-detail', known === possible ? 'everyone knows everyone' : 'peer entries known')
  document.getElementById('discovery-bar').style.width = `${possible === 0 ? 100 : Math.round(100 * known / possible)}%`
  setText('held', String(held))
  setText('moving', perSecond(moving))
  drawLinks()
  drawTable(frame)
}

function drawLinks () {
  if (!state.drawLinks) return
  // One line per pair, in the better of the two sides' statuses.
  const pairs = new Map()
  for (const [i, j, status] of state.links) {
    const key = i < j ? `${i}-${j}` : `${j}-${i}`
    const previous = pairs.get(key)
    if (previous === undefined || STATUSES.indexOf(status) < STATUSES.indexOf(previous)) pairs.set(key, status)
  }
  const lines = []
  for (const [key, status] of pairs) {
    const [a, b] = key.split('-').map(Number)
    const from = state.towers[a]
    const to = state.towers[b]
    lines.push(svg('line', { x1: from.x.toFixed(1), y1: from.y.toFixed(1), x2: to.x.toFixed(1), y2: to.y.toFixed(1), class: `edge st-${status}` }))
  }
  document.getElementById('edges').replaceChildren(...lines)
}

function drawTable (frame) {
  document.querySelector('#towers-table tbody').replaceChildren(...frame.towers.map((s, i) => {
    const t = state.towers[i]
    const tr = el('tr')
    tr.append(el('td', '', t.name), el('td', 'address', t.address))
    for (const value of [s.peers.new, s.peers.alive, s.peers.lost, s.peers.dead, s.queued, perSecond(s.in), perSecond(s.out), s.inFlight]) {
      tr.append(el('td', 'num', value))
    }
    return tr
  }))
}

function drawEvents () {
  document.getElementById('events').replaceChildren(...state.events.map(event => {
    const li = el('li')
    li.append(el('time', '', `${event.elapsed.toFixed(1)}s`), el('span', 'text', event.text))
    return li
  }))
}

// Messages moving ---------------------------------------------------------

function launch (flows) {
  const now = performance.now()
  for (const [from, to, count] of flows) {
    const shown = Math.min(count, DOTS_PER_FLOW)
    for (let k = 0; k < shown; k++) {
      const node = svg('circle', { r: 4, class: 'msg', cx: -9999, cy: -9999 })
      document.getElementById('dots').append(node)
      // Spread over the frame, as the hand-offs were.
      dots.push({ node, from: state.towers[from], to: state.towers[to], start: now + (k * state.frameMs) / shown })
    }
  }
  if (dots.length > 0 && !animating) {
    animating = true
    requestAnimationFrame(animate)
  }
}

let animating = false

function animate (now) {
  for (let i = dots.length - 1; i >= 0; i--) {
    const dot = dots[i]
    const progress = (now - dot.start) / DOT_TRAVEL_MS
    if (progress >= 1) {
      dot.node.remove()
      dots.splice(i, 1)
      continue
    }
    if (progress < 0) continue
    // Ease in and out, so that a dot leaves and arrives gently.
    const p = progress * progress * (3 - 2 * progress)
    dot.node.setAttribute('cx', (dot.from.x + (dot.to.x - dot.from.x) * p).toFixed(1))
    dot.node.setAttribute('cy', (dot.from.y + (dot.to.y - dot.from.y) * p).toFixed(1))
  }
  if (dots.length > 0) requestAnimationFrame(animate)
  else animating = false
}
