/**
 * A rolling restart without loss, as docs/deploy.md tells an operator to do
 * it: five towers in their own processes, messages circulating and more
 * arriving; each tower in turn gets SIGTERM (it hands everything to the
 * others), exits, and starts again at the same address with the same state
 * dir, and the next goes only once it is ready. Afterwards every message
 * accepted, before or during the restarts, is held by exactly one tower.
 *
 * The census pauses every tower (POST /pause), waits until nothing is in
 * flight, then reads each one's /messages.
 */
import t from 'tap'
import { join } from 'node:path'
import { getJson, http, started, until, type Up } from './helpers/operate.js'
import { assertBuilt, clacks, tempDir, type Clacks } from './helpers/spawn.js'

assertBuilt()

const TOWERS = 5
const INITIAL_PER_TOWER = 60
const LOAD_MAX_REQUESTS = 1000

interface Running {
  host: string
  process: Clacks
  up: Up
}

t.test('five towers restarted one by one lose and duplicate nothing', async t => {
  const dir = tempDir(t)
  const hosts = Array.from({ length: TOWERS }, (_, i) => `127.0.0.${i + 2}`)
  const towers: Running[] = []

  /** Configured through the environment, as a unit file or a manifest would. */
  function launch (index: number, port: number, bootstrap: string[]): Clacks {
    const host = hosts[index] as string
    return clacks(t, ['start', '--port', String(port)], {
      env: {
        CLACKS_HOSTNAME: host,
        CLACKS_STATE_DIR: join(dir, host),
        CLACKS_ADMIN: '127.0.0.1:0',
        CLACKS_SENDRATE: '50',
        CLACKS_STATUS_INTERVAL: '0',
        CLACKS_QUIET: 'true',
        CLACKS_BOOTSTRAP: bootstrap.join(',')
      }
    })
  }
  const address = (tower: Running): string => `${tower.host}:${tower.up.port}`

  for (let i = 0; i < TOWERS; i++) {
    const process = launch(i, 0, towers.slice(0, 1).map(address))
    towers.push({ host: hosts[i] as string, process, up: await started(process) })
  }
  for (const tower of towers.slice(1)) await until(`${address(tower)} ready`, async () => (await http('GET', `${tower.up.admin}/readyz`)).status === 200 ? true : undefined)

  const accepted: string[] = []
  async function enqueue (tower: Running, payload: string): Promise<void> {
    const answer = await http('POST', `${tower.up.admin}/enqueue`, payload)
    // A draining tower refuses (503); what it refuses was never the network's.
    if (answer.status === 201) accepted.push((answer.json() as { id: string }).id)
  }
  for (const tower of towers) {
    for (let i = 0; i < INITIAL_PER_TOWER; i++) await enqueue(tower, `before ${address(tower)} #${i}`)
  }
  t.equal(accepted.length, TOWERS * INITIAL_PER_TOWER, 'every message injected before the restarts was accepted')

  // Load while the restarts go on: bounded in count, stopped when they end.
  let restarting = true
  let sent = 0
  const load = (async () => {
    while (restarting && sent < LOAD_MAX_REQUESTS) {
      const tower = towers[sent % TOWERS] as Running
      sent++
      await enqueue(tower, `during #${sent}`).catch(() => {})
      await new Promise(resolve => setTimeout(resolve, 10))
    }
  })()

  for (let i = 0; i < TOWERS; i++) {
    const tower = towers[i] as Running
    tower.process.child.kill('SIGTERM')
    t.same(await tower.process.exit(), { code: 0, signal: null }, `${address(tower)} exits 0`)
    t.match(tower.process.stderr, /stopped(: every message was handed on)?\n/, `${address(tower)} handed everything on`)
    t.notMatch(tower.process.stderr, /could not be handed on/)

    const others = towers.filter(other => other !== tower).map(address)
    const process = launch(i, tower.up.port, others)
    const up = await started(process)
    t.equal(up.port, tower.up.port, 'back at the same address')
    t.match(process.stderr, /certificate kept in /, 'with the same key and certificate')
    towers[i] = { host: tower.host, process, up }
    await until(`${address(towers[i] as Running)} ready again`, async () => (await http('GET', `${up.admin}/readyz`)).status === 200 ? true : undefined)
  }
  restarting = false
  await load
  t.ok(accepted.length > TOWERS * INITIAL_PER_TOWER, `load went on during the restarts (${accepted.length - TOWERS * INITIAL_PER_TOWER} more accepted)`)

  // The census: nobody sends, nothing in flight, then who holds what.
  for (const tower of towers) t.equal((await http('POST', `${tower.up.admin}/pause`)).status, 200)
  await until('nothing in flight anywhere', async () => {
    const stats = await Promise.all(towers.map(async tower => (await getJson<{ stats: { inFlight: number } }>(`${tower.up.admin}/status`)).stats))
    return stats.every(s => s.inFlight === 0) ? true : undefined
  })
  const held = new Map<string, number>()
  for (const tower of towers) {
    const { messages } = await getJson<{ messages: Array<{ id: string }> }>(`${tower.up.admin}/messages`)
    for (const { id } of messages) held.set(id, (held.get(id) ?? 0) + 1)
  }
  const missing = accepted.filter(id => !held.has(id))
  const duplicated = [...held].filter(([, count]) => count > 1).map(([id]) => id)
  const unknown = [...held.keys()].filter(id => !accepted.includes(id))
  t.same({ missing, duplicated, unknown }, { missing: [], duplicated: [], unknown: [] }, `all ${accepted.length} messages held exactly once`)
})
