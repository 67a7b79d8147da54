/**
 * A mixed network: two TypeScript towers and two Python towers (interop/python/)
 * on loopback. Messages are injected on both sides, connections are reset from
 * outside (`ss -K`) while they circulate, then every tower is paused and the
 * holdings counted: every message held exactly once, hops in both directions,
 * and each side's survey lists the other side.
 */
import { execFile } from 'node:child_process'
import { createServer, connect, type Socket } from 'node:net'
import { promisify } from 'node:util'
import t from 'tap'
import type { ClacksMessage, Tower } from '../../src/index.js'
import { tempDir } from '../cli/helpers/spawn.js'
import { heldIds, sleep, towerOn } from '../helpers/towers.js'
import { findPython, PythonTower } from './python-tower.js'

const found = findPython()
const skip = 'missing' in found ? `the Python tower needs protoc and python3-protobuf: ${found.missing}` : false
const python = 'python' in found ? found.python : ''

const MESSAGES_PER_TOWER = 100
const RESET_ROUNDS = 8

/** Whether `ss -K` really kills sockets here (root and a kernel with SOCK_DESTROY): tried on a loopback pair. */
async function canKillSockets (): Promise<boolean> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const accepted = new Promise<Socket>(resolve => server.once('connection', resolve))
  const client = connect(port, '127.0.0.1')
  client.on('error', () => {})
  const socket = await accepted
  const reset = new Promise<boolean>(resolve => {
    socket.once('error', () => resolve(true))
    socket.once('close', () => resolve(true))
    setTimeout(() => resolve(false), 1000)
  })
  const killed = await killConnectionsTo([port]).then(async () => await reset, () => false)
  client.destroy()
  socket.destroy()
  server.close()
  return killed
}

/** Kills every established TCP connection whose destination port is one of these (the dialers' side; the acceptor gets a reset); returns how many. */
async function killConnectionsTo (ports: number[]): Promise<number> {
  const filter = `( ${ports.map(port => `dport = :${port}`).join(' or ')} )`
  const { stdout } = await promisify(execFile)('ss', ['-K', '-t', 'state', 'established', filter])
  return stdout.split('\n').filter(line => /:\d+\s/.test(line)).length
}

t.test('two TypeScript and two Python towers: resets while circulating, then every message held once', { skip, timeout: 120_000 }, async t => {
  const dir = tempDir(t)
  const tsTowers = [await towerOn(t, '127.0.0.31', { sendrate: 200, backoffInitial: 50, backoffMax: 500 }), await towerOn(t, '127.0.0.32', { sendrate: 200, backoffInitial: 50, backoffMax: 500 })]
  const pyTowers = [await PythonTower.start(t, python, '127.0.0.33', dir, ['--sendrate', '200']), await PythonTower.start(t, python, '127.0.0.34', dir, ['--sendrate', '200'])]
  const [a, b] = tsTowers as [Tower, Tower]
  const [c, d] = pyTowers as [PythonTower, PythonTower]
  const pyKeys = new Set(pyTowers.map(p => `${p.hostname}:${p.port}`))
  const tsKeys = new Set(tsTowers.map(tower => `${tower.hostname}:${tower.port}`))

  const fromPython: ClacksMessage[] = []
  for (const tower of tsTowers) tower.onMessageReceived(m => { if (m.from !== undefined && pyKeys.has(`${m.from.hostname}:${m.from.port}`)) fromPython.push(m) })

  // Each side knows one tower of the other; the rest is discovery (Hello, friends).
  a.expand(c.hostname, c.port)
  b.expand(d.hostname, d.port)
  a.expand(b.hostname, b.port)
  await c.command('expand', { hostname: a.hostname, port: a.port, announce: true })
  await d.command('expand', { hostname: c.hostname, port: c.port })

  const injected = new Set<string>()
  for (let i = 0; i < MESSAGES_PER_TOWER; i++) {
    for (const tower of tsTowers) injected.add(tower.enqueue(`from ${tower.hostname} #${i}`))
    for (const tower of pyTowers) injected.add(await tower.enqueue(`from ${tower.hostname} #${i}`))
  }
  t.equal(injected.size, 4 * MESSAGES_PER_TOWER, 'every injected id is distinct')

  const ports = [...tsTowers.map(tower => tower.port), ...pyTowers.map(p => p.port)]
  if (await canKillSockets()) {
    let killed = 0
    for (let round = 0; round < RESET_ROUNDS; round++) {
      await sleep(300)
      killed += await killConnectionsTo(ports)
    }
    t.ok(killed >= RESET_ROUNDS, `${killed} connections reset by ss -K in ${RESET_ROUNDS} rounds while messages circulated`)
  } else {
    t.comment('SKIPPED the resets: ss -K cannot kill sockets here (needs root and a kernel with SOCK_DESTROY); messages circulate without them')
    await sleep(RESET_ROUNDS * 300)
  }
  await sleep(500)

  for (const tower of tsTowers) tower.pause()
  for (const tower of pyTowers) await tower.command('pause')
  // In-doubt messages settle on the reconnections that follow the resets, paused or not.
  const settled = async (): Promise<boolean> => {
    const py = await Promise.all(pyTowers.map(p => p.stats()))
    return tsTowers.every(tower => tower.stats().inFlight === 0) && py.every(s => s.in_flight === 0 && s.in_doubt === 0)
  }
  let quiet = false
  const deadline = Date.now() + 60_000
  while (!(quiet = await settled()) && Date.now() < deadline) await sleep(100)
  t.ok(quiet, 'nothing in flight or in doubt anywhere')

  const held = [...heldIds(tsTowers), ...(await Promise.all(pyTowers.map(p => p.held()))).flat().map(h => h.id)]
  const counts = new Map<string, number>()
  for (const id of held) counts.set(id, (counts.get(id) ?? 0) + 1)
  const missing = [...injected].filter(id => !counts.has(id))
  const doubled = [...counts].filter(([, n]) => n > 1).map(([id]) => id)
  const strangers = [...counts.keys()].filter(id => !injected.has(id))
  t.same({ missing: missing.length, doubled: doubled.length, strangers: strangers.length }, { missing: 0, doubled: 0, strangers: 0 }, `${held.length} held for ${injected.size} injected`)

  const pyStats = await Promise.all(pyTowers.map(p => p.stats()))
  const fromTs = pyStats.reduce((sum, s) => sum + Object.entries(s.received_from).filter(([key]) => tsKeys.has(key)).reduce((n, [, count]) => n + count, 0), 0)
  t.ok(fromPython.length > 0, `TypeScript towers received ${fromPython.length} hand-offs from Python towers`)
  t.ok(fromTs > 0, `Python towers received ${fromTs} hand-offs from TypeScript towers`)
  t.ok(fromPython.some(m => m.hops > 1), 'some messages crossed more than once')

  for (const tower of tsTowers) {
    const listed = new Set(tower.survey().map(p => `${p.hostname}:${p.port}`))
    t.ok([...pyKeys].every(key => listed.has(key)), `${tower.hostname}'s survey lists both Python towers`)
  }
  for (const [i, tower] of pyTowers.entries()) {
    const listed = new Set((await tower.survey()).map(p => `${p.hostname}:${p.port}`))
    t.ok([...tsKeys].every(key => listed.has(key)), `${tower.hostname}'s survey lists both TypeScript towers`)
    t.comment(`python ${tower.hostname}: ${JSON.stringify(pyStats[i]?.counters)}`)
  }
  t.comment(`typescript: ${tsTowers.map(tower => JSON.stringify({ sent: tower.stats().sent, received: tower.stats().received })).join(' ')}`)
})
