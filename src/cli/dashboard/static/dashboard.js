// One tower's live dashboard: a snapshot on connect, then one update a
// second from /events (see docs/dashboard.md). No polling.
import { ago, bytes, clock, connect, duration, el, perSecond, setText, STATUSES, svg } from './common.js'

/* global uPlot */

const HISTORY = 300
const TABLE_ROWS = 500
const GRAPH_NODES = 120
const EVENTS_SHOWN = 100
const MESSAGES_SHOWN = 50

const state = {
  tower: null,
  paused: false,
  history: [],
  peers: new Map(),
  peerCount: 0,
  events: [],
  messages: [],
  sort: { key: 'status', descending: false },
  filter: ''
}

const charts = {
  rates: lineChart('chart-rates', [{ label: 'in', stroke: '#4fc3f7' }, { label: 'out', stroke: '#ffb74d' }]),
  latency: lineChart('chart-latency', [{ label: 'ms', stroke: '#ba68c8' }]),
  queue: lineChart('chart-queue', [{ label: 'queued', stroke: '#81c784' }])
}

connect('/events', {
  snapshot (data) {
    state.tower = data.tower
    state.paused = data.paused
    state.history = data.history
    state.peers = new Map(data.peers.map(peer => [key(peer), peer]))
    state.peerCount = data.peerCount
    state.events = data.events.slice().reverse()
    state.messages = data.messages.slice().reverse()
    setText('tower-address', `${data.tower.hostname}:${data.tower.port}`)
    setText('tower-instance', data.tower.instanceId.slice(0, 12))
    document.title = `Clacks ${data.tower.hostname}:${data.tower.port}`
    document.getElementById('pause').disabled = false
    const last = data.history[data.history.length - 1]
    if (last) showTick(last)
    drawCharts()
    drawPeers()
    drawEvents()
    drawMessages()
  },
  tick (tick) {
    state.history.push(tick)
    if (state.history.length > HISTORY) state.history.shift()
    state.paused = tick.paused
    state.peerCount = STATUSES.reduce((sum, status) => sum + tick.peers[status], 0)
    showTick(tick)
    drawCharts()
    // Relative times ("12s ago") move every second.
    drawPeers()
  },
  peers (rows) {
    for (const row of rows) state.peers.set(key(row), row)
    drawPeers()
  },
  events (events) {
    // The snapshot may already hold the first of them.
    const newest = state.events[0]?.seq ?? 0
    state.events.unshift(...events.filter(e => e.seq > newest).reverse())
    state.events.length = Math.min(state.events.length, EVENTS_SHOWN)
    drawEvents()
  },
  messages ({ sample, unsampled }) {
    state.messages.unshift(...sample.slice().reverse())
    state.messages.length = Math.min(state.messages.length, MESSAGES_SHOWN)
    setText('messages-note', unsampled > 0 ? `· a sample: ${unsampled} more passed in the last second` : '')
    drawMessages()
  }
}, 'link')

function key (peer) {
  return `${peer.hostname}:${peer.port}`
}

function showTick (tick) {
  setText('uptime', duration(tick.uptimeSeconds))
  setText('queue-depth', String(tick.queued))
  setText('queue-bytes', bytes(tick.queuedBytes))
  setText('in-flight', String(tick.inFlight))
  setText('rate-in', perSecond(tick.in))
  setText('rate-out', perSecond(tick.out))
  setText('ack-latency', tick.ackLatencyMs === null ? '–' : `${tick.ackLatencyMs.toFixed(tick.ackLatencyMs >= 10 ? 0 : 1)} ms`)
  setText('peer-count', String(state.peerCount))
  setText('peer-statuses', STATUSES.filter(s => tick.peers[s] > 0).map(s => `${tick.peers[s]} ${s}`).join(' · ') || 'none yet')
  setText('connections', `${tick.connections.inbound} / ${tick.connections.outbound}`)
  const badge = document.getElementById('sending')
  badge.textContent = tick.paused ? 'paused' : 'sending'
  badge.className = tick.paused ? 'badge paused' : 'badge'
  setText('pause', tick.paused ? 'Resume sending' : 'Pause sending')
}

// Charts --------------------------------------------------------------------

function lineChart (id, series) {
  const host = document.getElementById(id)
  const options = {
    width: Math.max(200, host.clientWidth),
    height: 150,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] } },
    axes: [
      {
        stroke: '#9aa4b2',
        grid: { stroke: '#2a3140' },
        ticks: { stroke: '#2a3140' },
        space: 70,
        // Whole seconds and minutes only, as wall-clock times.
        incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300],
        values: (u, splits) => splits.map(at => new Date(at * 1000).toLocaleTimeString([], { hour12: false }))
      },
      { stroke: '#9aa4b2', grid: { stroke: '#2a3140' }, ticks: { stroke: '#2a3140' }, size: 50 }
    ],
    series: [{}, ...series.map(s => ({ ...s, width: 2, points: { show: false } }))]
  }
  const chart = new uPlot(options, [[], ...series.map(() => [])], host)
  new ResizeObserver(() => chart.setSize({ width: Math.max(200, host.clientWidth), height: 150 })).observe(host)
  return chart
}

function drawCharts () {
  const h = state.history
  const xs = h.map(t => t.at / 1000)
  charts.rates.setData([xs, h.map(t => t.in), h.map(t => t.out)])
  charts.latency.setData([xs, h.map(t => t.ackLatencyMs)])
  charts.queue.setData([xs, h.map(t => t.queued)])
}

// Peer table and graph ----------------------------------------------------

const SORTERS = {
  address: (a, b) => key(a).localeCompare(key(b)),
  status: (a, b) => STATUSES.indexOf(a.status) - STATUSES.indexOf(b.status) || key(a).localeCompare(key(b)),
  since: (a, b) => b.since - a.since,
  discovered: (a, b) => b.discovered - a.discovered,
  lastUp: (a, b) => (b.lastUp ?? 0) - (a.lastUp ?? 0),
  lastDown: (a, b) => (b.lastDown ?? 0) - (a.lastDown ?? 0)
}

document.querySelectorAll('#peers th').forEach(th => {
  th.addEventListener('click', () => {
    const k = th.dataset.key
    state.sort = { key: k, descending: state.sort.key === k ? !state.sort.descending : false }
    drawPeers()
  })
})
document.getElementById('peer-filter').addEventListener('input', event => {
  state.filter = event.target.value.trim().toLowerCase()
  drawPeers()
})

function drawPeers () {
  const all = [...state.peers.values()]
  const shown = all
    .filter(p => state.filter === '' || key(p).toLowerCase().includes(state.filter) || p.status.includes(state.filter))
    .sort(SORTERS[state.sort.key])
  if (state.sort.descending) shown.reverse()
  const now = Date.now()
  const body = document.querySelector('#peers tbody')
  const rows = shown.slice(0, TABLE_ROWS).map(p => {
    const tr = el('tr')
    tr.append(el('td', 'address', key(p)))
    const status = el('td')
    status.append(el('span', `status st-${p.status}`, p.status))
    tr.append(status, el('td', '', ago(p.since, now)), el('td', '', ago(p.discovered, now)), el('td', '', ago(p.lastUp, now)), el('td', '', ago(p.lastDown, now)))
    return tr
  })
  body.replaceChildren(...rows)
  document.querySelectorAll('#peers th').forEach(th => {
    th.className = th.dataset.key === state.sort.key ? (state.sort.descending ? 'sorted down' : 'sorted up') : ''
  })
  const unseen = state.peerCount - all.length
  setText('peers-note', [
    shown.length > TABLE_ROWS ? `showing ${TABLE_ROWS} of ${shown.length} matching` : `${shown.length} of ${all.length} shown`,
    unseen > 0 ? `${unseen} more towers not sent to the page` : ''
  ].filter(Boolean).join(' · '))
  drawGraph(all)
}

function drawGraph (peers) {
  const graph = document.getElementById('graph')
  const shown = peers.slice().sort(SORTERS.status).slice(0, GRAPH_NODES)
  const nodes = []
  const edges = []
  shown.forEach((p, i) => {
    // Two rings when there are many, so that dots do not overlap.
    const ring = shown.length > 40 ? (i % 2 === 0 ? 170 : 120) : 160
    const angle = (i / shown.length) * 2 * Math.PI - Math.PI / 2
    const x = Math.cos(angle) * ring
    const y = Math.sin(angle) * ring
    edges.push(svg('line', { x1: 0, y1: 0, x2: x.toFixed(1), y2: y.toFixed(1), class: `edge st-${p.status}` }))
    const node = svg('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: shown.length > 40 ? 5 : 9, class: `node st-${p.status}` })
    const title = svg('title')
    title.textContent = `${key(p)} · ${p.status}`
    node.append(title)
    nodes.push(node)
    if (shown.length <= 16) {
      const label = svg('text', { x: (x * 1.0).toFixed(1), y: (y + (y < 0 ? -14 : 22)).toFixed(1), class: 'label' })
      label.textContent = key(p)
      nodes.push(label)
    }
  })
  const self = svg('circle', { cx: 0, cy: 0, r: 16, class: 'node self' })
  const selfLabel = svg('text', { x: 0, y: 5, class: 'label self-label' })
  selfLabel.textContent = 'this'
  const more = svg('text', { x: 0, y: 205, class: 'label' })
  more.textContent = peers.length > shown.length ? `+${peers.length - shown.length} more` : ''
  graph.replaceChildren(...edges, ...nodes, self, selfLabel, more)
  const legend = document.getElementById('legend')
  legend.replaceChildren(...STATUSES.map(status => {
    const item = el('span', 'legend-item')
    item.append(el('span', `dot st-${status}`), document.createTextNode(`${status} ${peers.filter(p => p.status === status).length}`))
    return item
  }))
}

// Events and messages -----------------------------------------------------

function drawEvents () {
  document.getElementById('events').replaceChildren(...state.events.map(event => {
    const li = el('li')
    li.append(el('time', '', clock(event.at)), el('span', `kind k-${event.kind}`, event.kind), el('span', 'text', event.text))
    return li
  }))
}

function drawMessages () {
  document.querySelector('#messages tbody').replaceChildren(...state.messages.map(m => {
    const tr = el('tr')
    const payload = el('td', 'payload')
    payload.append(el('code', '', m.preview))
    tr.append(el('td', '', clock(m.at)), el('td', 'id', m.id.slice(0, 12)), el('td', '', bytes(m.bytes)), el('td', '', m.hops),
      el('td', 'address', m.from ?? 'enqueued here'), payload)
    return tr
  }))
}

// Pause / resume ------------------------------------------------------------

document.getElementById('pause').addEventListener('click', async () => {
  const button = document.getElementById('pause')
  button.disabled = true
  try {
    const response = await fetch(state.paused ? '/resume' : '/pause', { method: 'POST' })
    if (response.ok) {
      state.paused = (await response.json()).paused
      const badge = document.getElementById('sending')
      badge.textContent = state.paused ? 'paused' : 'sending'
      badge.className = state.paused ? 'badge paused' : 'badge'
      button.textContent = state.paused ? 'Resume sending' : 'Pause sending'
    }
  } finally {
    button.disabled = false
  }
})
