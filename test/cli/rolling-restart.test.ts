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
 *
 * The same as an upgrade: the towers start on the previous release, built
 * from git (PREVIOUS_RELEASE, or CLACKS_PREVIOUS_RELEASE), and each comes
 * back on this tree's build; the wire protocol is the same.
 */
import t, { type Test } from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, symlinkSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getJson, http, started, until, type Up } from './helpers/operate.js'
import { assertBuilt, clacks, tempDir, type Clacks } from './helpers/spawn.js'

assertBuilt()

const TOWERS = 5
const INITIAL_PER_TOWER = 60
const LOAD_MAX_REQUESTS = 1000
/** The last commit before `clacks start` took its settings from the environment and had /readyz: the previous release. */
const PREVIOUS_RELEASE = process.env.CLACKS_PREVIOUS_RELEASE ?? 'fcc1e16'
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** A build of `clacks`. An old one is configured by flags alone and has neither /readyz nor --bootstrap. */
interface Build {
  cli?: string
  old: boolean
}

interface Running {
  host: string
  process: Clacks
  up: Up
}

async function rollingRestart (t: Test, first: Build, then: Build): Promise<void> {
  const dir = tempDir(t)
  const hosts = Array.from({ length: TOWERS }, (_, i) => `127.0.0.${i + 2}`)
  const towers: Running[] = []
  const address = (tower: Running): string => `${tower.host}:${tower.up.port}`

  /** A new build is configured through the environment, as a unit file or a manifest would. */
  function launch (build: Build, index: number, port: number, peers: string[]): Clacks {
    const host = hosts[index] as string
    const settings: Array<[string, string]> = [['hostname', host], ['state-dir', join(dir, host)], ['admin', '127.0.0.1:0'], ['sendrate', '50'], ['status-interval', '0']]
    if (build.old) {
      const flags = [...settings.flatMap(([name, value]) => [`--${name}`, value]), '--quiet', ...peers.flatMap(peer => ['--announce', peer])]
      return clacks(t, ['start', '--port', String(port), ...flags], build.cli === undefined ? {} : { cli: build.cli })
    }
    const env = Object.fromEntries(settings.map(([name, value]) => [`CLACKS_${name.replace('-', '_').toUpperCase()}`, value]))
    return clacks(t, ['start', '--port', String(port)], { env: { ...env, CLACKS_QUIET: 'true', CLACKS_BOOTSTRAP: peers.join(',') } })
  }
  async function ready (build: Build, tower: Running): Promise<void> {
    if (build.old) {
      await until(`${address(tower)} to know a live peer`, async () => (await getJson<{ stats: { peers: { alive: number } } }>(`${tower.up.admin}/status`)).stats.peers.alive > 0 ? true : undefined)
    } else {
      await until(`${address(tower)} ready`, async () => (await http('GET', `${tower.up.admin}/readyz`)).status === 200 ? true : undefined)
    }
  }

  for (let i = 0; i < TOWERS; i++) {
    const process = launch(first, i, 0, towers.slice(0, 1).map(address))
    towers.push({ host: hosts[i] as string, process, up: await started(process) })
  }
  for (const tower of towers.slice(1)) await ready(first, tower)

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

    const process = launch(then, i, tower.up.port, towers.filter(other => other !== tower).map(address))
    const up = await started(process)
    t.equal(up.port, tower.up.port, 'back at the same address')
    t.match(process.stderr, /certificate kept in /, 'with the same key and certificate')
    towers[i] = { host: tower.host, process, up }
    await ready(then, towers[i] as Running)
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
}

/** The previous release's tree from git, built into a temporary folder with this tree's node_modules; undefined without git or the commit. */
function buildPrevious (t: Test): string | undefined {
  if (spawnSync('git', ['-C', ROOT, 'cat-file', '-e', `${PREVIOUS_RELEASE}^{commit}`]).status !== 0) return undefined
  const dir = join(tempDir(t, 'clacks-previous-'), 'clacks')
  mkdirSync(dir)
  execFileSync('sh', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'sh', ROOT, PREVIOUS_RELEASE, dir])
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')])
  return join(dir, 'dist', 'cli', 'main.js')
}

t.test('five towers restarted one by one lose and duplicate nothing', async t => {
  await rollingRestart(t, { old: false }, { old: false })
})

t.test(`the same as an upgrade from the previous release (${PREVIOUS_RELEASE})`, async t => {
  const cli = buildPrevious(t)
  if (cli === undefined) {
    t.pass('upgrade', { skip: `${PREVIOUS_RELEASE} is not in this clone's history` })
    return
  }
  await rollingRestart(t, { cli, old: true }, { old: false })
})
