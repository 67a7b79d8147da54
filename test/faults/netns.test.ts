/**
 * Faults between hosts: two towers, each in a network namespace of its own,
 * on a bridge in a third (ip netns, veth; all created here and removed when
 * the test ends). One host is cut off for longer than the ack timeout and
 * brought back: the other tower sees it lost, then alive again; the messages
 * it sent while the cable was out were in doubt and are settled exactly once.
 * Skipped, with the reason, where namespaces cannot be made (not root, no
 * iproute2, a container that forbids it).
 */
import { execFileSync } from 'node:child_process'
import t from 'tap'
import { conservation, sample, type TowerProcess } from '../../bench/volume/towers.js'
import { generateCertificate } from '../../src/net/certs.js'
import type { PeerView } from '../../src/index.js'
import { killAllWorkers, Worker } from '../../bench/lib/ipc.js'

const tag = `c18-${process.pid}`
const HUB = `${tag}-hub`
const HOSTS = [{ ns: `${tag}-a`, veth: 'va', address: '10.218.0.1' }, { ns: `${tag}-b`, veth: 'vb', address: '10.218.0.2' }]
const PREFIX = 'netns:'

const ip = (...args: string[]): void => { execFileSync('ip', args, { stdio: 'pipe' }) }

function removeNamespaces (): void {
  for (const ns of [HUB, ...HOSTS.map(host => host.ns)]) {
    try { ip('netns', 'del', ns) } catch { /* not there */ }
  }
}

/** Builds the namespaces; the reason they cannot be built, if so. */
function buildNetwork (): string | undefined {
  try {
    ip('netns', 'add', HUB)
  } catch (error) {
    return `cannot create network namespaces here (${(error as { stderr?: Buffer }).stderr?.toString().trim() ?? (error as Error).message})`
  }
  try {
    ip('-n', HUB, 'link', 'add', 'br0', 'type', 'bridge')
    ip('-n', HUB, 'link', 'set', 'br0', 'up')
    for (const host of HOSTS) {
      ip('netns', 'add', host.ns)
      ip('link', 'add', host.veth, 'netns', host.ns, 'type', 'veth', 'peer', 'name', `${host.veth}-br`, 'netns', HUB)
      ip('-n', host.ns, 'addr', 'add', `${host.address}/24`, 'dev', host.veth)
      ip('-n', host.ns, 'link', 'set', host.veth, 'up')
      ip('-n', host.ns, 'link', 'set', 'lo', 'up')
      ip('-n', HUB, 'link', 'set', `${host.veth}-br`, 'master', 'br0')
      ip('-n', HUB, 'link', 'set', `${host.veth}-br`, 'up')
    }
  } catch (error) {
    removeNamespaces()
    return `cannot build the bridge and veths (${(error as { stderr?: Buffer }).stderr?.toString().trim() ?? (error as Error).message})`
  }
  return undefined
}

const unavailable = buildNetwork()

t.test('a host cut off longer than the ack timeout and brought back', { skip: unavailable }, async t => {
  t.teardown(() => {
    killAllWorkers()
    removeNamespaces()
  })
  // The workers run from src through tsx: no build of the bench needed.
  process.env.CLACKS_BENCH_SOURCE = 'src'
  const { key, cert } = await generateCertificate({ hostname: 'localhost' })
  const options = { port: 0, sendrate: Infinity, ackTimeout: 1000, handshakeTimeout: 1000, backoffInitial: 100, backoffMax: 500, killtimeout: 60_000 }
  const towers: TowerProcess[] = []
  for (const host of HOSTS) {
    const worker = await Worker.spawn('volume-tower', { name: `tower in ${host.ns}`, wrap: ['ip', 'netns', 'exec', host.ns] })
    const address = await worker.call<{ hostname: string, port: number }>('start', { key, cert, options: { ...options, hostname: host.address } })
    towers.push({ worker, ...address })
  }
  const [a, b] = towers as [TowerProcess, TowerProcess]
  await a.worker.call('expand', { hostname: b.hostname, port: b.port })
  await b.worker.call('pause') // b keeps what it takes
  const statusOfB = async (): Promise<string | undefined> => (await a.worker.call<PeerView[]>('survey')).find(peer => peer.hostname === b.hostname)?.status

  const ids = await a.worker.call<string[]>('enqueueMany', { prefix: PREFIX, count: 50 })
  let acked = 0
  for (const deadline = Date.now() + 10_000; acked < 50 && Date.now() < deadline; await new Promise(resolve => setTimeout(resolve, 100))) acked = (await sample(a)).stats.acked
  t.equal(acked, 50, 'the first 50 crossed the bridge')
  t.equal(await statusOfB(), 'alive')

  ip('-n', HUB, 'link', 'set', 'vb-br', 'down')
  ids.push(...await a.worker.call<string[]>('enqueueMany', { prefix: PREFIX, count: 50 }))
  let sawLost = false
  const cutUntil = Date.now() + 3000 // three ack timeouts
  while (Date.now() < cutUntil) {
    if (await statusOfB() === 'lost') sawLost = true
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  const during = (await sample(a)).stats
  t.ok(sawLost, 'the cut-off tower went lost')
  t.ok(during.inDoubt > 0 || during.queued > 0, `the second 50 stayed with the sender (in doubt ${during.inDoubt}, queued ${during.queued})`)
  t.equal((await sample(b)).stats.received, 50, 'nothing crossed while the cable was out')

  ip('-n', HUB, 'link', 'set', 'vb-br', 'up')
  let settled = false
  for (const deadline = Date.now() + 20_000; !settled && Date.now() < deadline; await new Promise(resolve => setTimeout(resolve, 100))) {
    const s = (await sample(a)).stats
    settled = s.acked === 100 && s.inFlight === 0 && s.queued === 0
  }
  t.ok(settled, 'once back, every message was handed over')
  t.equal(await statusOfB(), 'alive', 'and the tower is alive again')
  const check = await conservation(towers, ids, PREFIX)
  t.same(check, { lost: 0, duplicated: 0, settled: true }, 'each message held exactly once')
  for (const tower of towers) await tower.worker.call('close', { drain: false })
})
