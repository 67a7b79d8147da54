/**
 * `clacks start` as deployed: two processes announce to each other, lines
 * typed into one come out of the other, the admin endpoint answers, signals
 * drain and exit.
 */
import t from 'tap'
import { request } from 'node:http'
import { connect, createServer, type Socket } from 'node:net'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { assertBuilt, clacks, run, tempDir, type Clacks } from './helpers/spawn.js'

assertBuilt()

interface Up {
  port: number
  admin?: string
}

/** Waits for the start-up lines; resolves with the tower's port and the admin URL. */
async function up (tower: Clacks): Promise<Up> {
  const [, port] = await tower.waitFor('stderr', /tower 127\.0\.0\.1:(\d+) is up/) as unknown as [string, string]
  await tower.waitFor('stderr', /type lines to enqueue them/)
  const admin = /admin endpoint (http:\/\/\S+)/.exec(tower.stderr)?.[1]
  return admin === undefined ? { port: Number(port) } : { port: Number(port), admin }
}

function http (method: string, url: string, body?: Buffer): Promise<{ status: number, type: string, text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, timeout: 5000 }, response => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), text: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within 5 s`)))
    req.on('error', reject)
    req.end(body)
  })
}

/** The JSON line printed for the message whose payload is `payload`. */
async function printed (tower: Clacks, payload: string): Promise<Record<string, unknown>> {
  const [line] = await tower.waitFor('stdout', new RegExp(`^.*"payload":${JSON.stringify(payload).replace(/[+/]/g, '\\$&')}.*$`, 'm')) as unknown as [string]
  return JSON.parse(line) as Record<string, unknown>
}

t.test('two towers announce, exchange typed lines, serve admin, and drain on a signal', async t => {
  const dir = tempDir(t)
  const a = clacks(t, ['start', '--hostname', '127.0.0.1', '--port', '0', '--state-dir', join(dir, 'a'), '--print', '--sendrate', '5',
    '--admin', '127.0.0.1:0', '--status-interval', '0'])
  const upA = await up(a)
  // A peer that takes connections and never answers: b's drain keeps trying it (see the second signal below).
  const held: Socket[] = []
  const silent = createServer(socket => { held.push(socket) })
  await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const socket of held) socket.destroy(); silent.close() })
  const silentPort = (silent.address() as { port: number }).port
  // The second tower is configured by a file whose keys are the flags.
  const config = join(dir, 'b.json')
  writeFileSync(config, JSON.stringify({
    hostname: '127.0.0.1', port: 0, 'state-dir': 'b', announce: [`127.0.0.1:${upA.port}`], expand: [`127.0.0.1:${silentPort}`], print: true, sendrate: 5, 'drain-timeout': 60_000, 'status-interval': 0
  }))
  const b = clacks(t, ['start', '--config', config])
  const upB = await up(b)
  await a.waitFor('stderr', new RegExp(`discovered 127\\.0\\.0\\.1:${upB.port}`))
  t.pass('a learns of b from its announce')

  a.write('hello from a')
  const fromA = await printed(b, 'hello from a')
  t.match(fromA, { hops: Number, encoding: 'utf8', from: `127.0.0.1:${upA.port}` }, 'b prints what was typed into a')
  t.match(fromA.id, /^[0-9a-f]{32}$/)
  await a.waitFor('stderr', new RegExp(`queued ${String(fromA.id)}`))
  t.pass('a confirmed the line on stderr')
  b.write('héllo from b ✓')
  t.match(await printed(a, 'héllo from b ✓'), { from: `127.0.0.1:${upB.port}` }, 'and the other way, UTF-8 intact')

  const admin = upA.admin as string
  await t.test('/metrics', async t => {
    const metrics = await http('GET', `${admin}/metrics`)
    t.equal(metrics.status, 200)
    t.match(metrics.type, /^text\/plain; version=0\.0\.4/)
    t.match(metrics.text, /# TYPE clacks_messages_received_total counter\nclacks_messages_received_total [1-9]/)
    t.match(metrics.text, /clacks_peers\{status="alive"\} 1\n/)
    t.match(metrics.text, new RegExp(`clacks_tower_info\\{hostname="127\\.0\\.0\\.1",port="${upA.port}",instance="[0-9a-f]{32}"\\} 1`))
    t.match(metrics.text, /process_resident_memory_bytes/, 'process metrics too')
  })
  await t.test('/status', async t => {
    const status = await http('GET', `${admin}/status`)
    t.equal(status.status, 200)
    const doc = JSON.parse(status.text) as { tower: { port: number }, stats: { enqueued: number }, survey: Array<{ port: number, status: string }>, options: { sendrate: number } }
    t.equal(doc.tower.port, upA.port)
    t.equal(doc.stats.enqueued, 1)
    t.equal(doc.options.sendrate, 5)
    t.match(doc.survey, [{ port: upB.port, status: 'alive' }])
  })
  await t.test('POST /enqueue', async t => {
    const queued = await http('POST', `${admin}/enqueue`, Buffer.from([0xff, 0x00, 0x01]))
    t.equal(queued.status, 201)
    const { id } = JSON.parse(queued.text) as { id: string }
    t.match(await printed(b, '/wAB'), { id, encoding: 'base64' }, 'bytes that are not UTF-8 print as base64')
    const empty = await http('POST', `${admin}/enqueue`, Buffer.alloc(0))
    t.equal(empty.status, 400, 'an empty body is refused, not enqueued')
    t.match(empty.text, /the request body is the payload, and it is empty/)
    t.equal((await http('GET', `${admin}/enqueue`)).status, 405)
    t.equal((await http('GET', `${admin}/nowhere`)).status, 404)
  })
  await t.test('clacks status', async t => {
    const address = admin.replace('http://', '')
    const human = await run(t, ['status', '--admin', address])
    t.equal(human.code, 0)
    t.match(human.stdout, new RegExp(`tower +127\\.0\\.0\\.1:${upA.port}`))
    t.match(human.stdout, new RegExp(`alive +127\\.0\\.0\\.1:${upB.port}`))
    const json = await run(t, ['status', '--admin', address, '--json'])
    t.equal((JSON.parse(json.stdout) as { tower: { port: number } }).tower.port, upA.port)
  })

  a.child.kill('SIGTERM')
  t.same(await a.exit(), { code: 0, signal: null }, 'SIGTERM: a hands its messages to b and exits 0')
  t.match(a.stderr, /SIGTERM: (handing \d+ messages? to peers|stopping)/)
  t.match(a.stderr, /stopped(: every message was handed on)?\n/)

  // b now holds every message; a is gone, and the silent peer keeps its drain waiting: a second signal ends it at once.
  b.child.kill('SIGINT')
  await b.waitFor('stderr', /SIGINT: handing [1-9]\d* messages? to peers/)
  b.child.kill('SIGINT')
  t.same(await b.exit(10_000), { code: 130, signal: null }, 'a second signal exits at once (128 + SIGINT)')
  t.match(b.stderr, /SIGINT again: exiting now/)
})

t.test('the generated certificate is made once and kept in the state folder', async t => {
  const state = join(tempDir(t), 'state')
  const args = ['start', '--hostname', '127.0.0.1', '--port', '0', '--state-dir', state, '--status-interval', '0']
  const first = clacks(t, args)
  await up(first)
  t.match(first.stderr, /new self-signed certificate for 127\.0\.0\.1, kept in /)
  t.equal(statSync(join(state, 'key.pem')).mode & 0o777, 0o600, 'the key is readable by its owner only')
  const cert = readFileSync(join(state, 'cert.pem'), 'utf8')
  first.write('nobody to hand this to')
  await first.waitFor('stderr', /queued [0-9a-f]{32}/)
  first.child.kill('SIGINT')
  t.same(await first.exit(), { code: 0, signal: null }, 'SIGINT exits 0')
  t.match(first.stderr, /SIGINT: no peer to hand 1 message to\n.*stopped: 1 message could not be handed on: lost with this tower/)

  const second = clacks(t, args)
  await up(second)
  t.match(second.stderr, /certificate kept in /, 'the second start reuses the pair')
  t.equal(readFileSync(join(state, 'cert.pem'), 'utf8'), cert, 'unchanged')
  second.child.kill('SIGTERM')
  t.same(await second.exit(), { code: 0, signal: null })
})

t.test('a slow admin client does not keep a stopping tower alive', async t => {
  const tower = clacks(t, ['start', '--hostname', '127.0.0.1', '--port', '0', '--state-dir', tempDir(t), '--admin', '0', '--status-interval', '0'])
  const { admin } = await up(tower)
  // A connection that never sends a request.
  const url = new URL(admin as string)
  const idle = connect(Number(url.port), url.hostname)
  idle.on('error', () => {})
  await new Promise(resolve => idle.once('connect', resolve))
  tower.child.kill('SIGTERM')
  t.same(await tower.exit(10_000), { code: 0, signal: null })
  idle.destroy()
})
