/**
 * --bootstrap-dns against a stub DNS server on loopback (dns2): the A records
 * of a name, as a Kubernetes headless Service gives, and SRV records, each a
 * tower's name and port. The towers found are announced to and answer.
 */
import t from 'tap'
import { join } from 'node:path'
import dns2 from 'dns2'
import { started, http, until } from './helpers/operate.js'
import { assertBuilt, clacks, tempDir } from './helpers/spawn.js'

assertBuilt()

const { Packet } = dns2
type Resource = InstanceType<typeof Packet>['answers'][number]

/** dns2's type wants the methods its encoder adds; a plain record is what it takes. */
function record (fields: Record<string, unknown>): Resource {
  return { class: Packet.CLASS.IN, ttl: 5, ...fields } as unknown as Resource
}

interface Zone {
  a: Map<string, string[]>
  srv: Map<string, Array<{ target: string, port: number }>>
  questions: string[]
}

async function stubDns (t: { teardown (fn: () => Promise<void>): void }, zone: Zone): Promise<string> {
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request)
      for (const question of request.questions) {
        zone.questions.push(`${question.name} ${question.type}`)
        if (question.type === Packet.TYPE.A) {
          for (const address of zone.a.get(question.name) ?? []) response.answers.push(record({ name: question.name, type: Packet.TYPE.A, address }))
        }
        if (question.type === Packet.TYPE.SRV) {
          for (const { target, port } of zone.srv.get(question.name) ?? []) {
            response.answers.push(record({ name: question.name, type: Packet.TYPE.SRV, priority: 0, weight: 10, port, target }))
          }
        }
      }
      send(response)
    }
  })
  const addresses = await server.listen({ udp: { port: 0, address: '127.0.0.1' } })
  t.teardown(() => server.close())
  if (addresses.udp === undefined) throw new Error('the stub DNS server has no UDP address')
  return `127.0.0.1:${addresses.udp.port}`
}

const COMMON = ['--port', '0', '--admin', '127.0.0.1:0', '--status-interval', '0']

t.test('bootstrap from A records and from SRV records', async t => {
  const dir = tempDir(t)
  const zone: Zone = { a: new Map(), srv: new Map(), questions: [] }
  const dns = await stubDns(t, zone)

  const first = clacks(t, ['start', '--hostname', '127.0.0.2', ...COMMON, '--state-dir', join(dir, 'first')])
  const { port } = await started(first)
  zone.a.set('towers.clacks.test', ['127.0.0.2'])
  zone.srv.set('_clacks._tcp.clacks.test', [{ target: '127.0.0.2', port }])

  for (const [host, name] of [['127.0.0.3', `towers.clacks.test:${port}`], ['127.0.0.4', '_clacks._tcp.clacks.test']] as const) {
    const tower = clacks(t, ['start', '--hostname', host, ...COMMON, '--state-dir', join(dir, host), '--bootstrap-dns', name, '--dns-server', dns])
    const { admin } = await started(tower)
    await tower.waitFor('stderr', new RegExp(`bootstrapped: 127\\.0\\.0\\.2:${port} answered`))
    t.pass(`${name}: found and announced to the first tower`)
    await first.waitFor('stderr', new RegExp(`discovered ${host.replace(/\./g, '\\.')}:\\d+`))
    t.pass(`${name}: the first tower learnt of it`)
    await until('ready', async () => (await http('GET', `${admin}/readyz`)).status === 200 ? true : undefined)
  }
  t.ok(zone.questions.includes(`towers.clacks.test ${Packet.TYPE.A}`), 'asked for A records')
  t.ok(zone.questions.includes(`towers.clacks.test ${Packet.TYPE.AAAA}`), 'and AAAA records')
  t.ok(zone.questions.includes(`_clacks._tcp.clacks.test ${Packet.TYPE.SRV}`), 'asked for SRV records')
})

t.test('a name that does not resolve yet is asked again until it does', async t => {
  const dir = tempDir(t)
  const zone: Zone = { a: new Map(), srv: new Map(), questions: [] }
  const dns = await stubDns(t, zone)
  const late = clacks(t, ['start', '--hostname', '127.0.0.3', ...COMMON, '--state-dir', join(dir, 'late'), '--bootstrap-dns', '_clacks._tcp.later.test', '--dns-server', dns])
  await started(late)
  await late.waitFor('stderr', /bootstrap: no tower to try yet; trying again in/)
  t.pass('nothing found: it waits and asks again')

  const first = clacks(t, ['start', '--hostname', '127.0.0.2', ...COMMON, '--state-dir', join(dir, 'first')])
  const { port } = await started(first)
  zone.srv.set('_clacks._tcp.later.test', [{ target: '127.0.0.2', port }])
  await late.waitFor('stderr', new RegExp(`bootstrapped: 127\\.0\\.0\\.2:${port} answered \\(round [2-9]\\d*\\)`), 40_000)
  t.pass('found once the record appeared')
})
