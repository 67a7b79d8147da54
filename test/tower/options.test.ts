import t, { type Test } from 'tap'
import { ClacksError, DEFAULT_OPTIONS, InvalidOptionError, Tower, type TowerOptions } from '../../src/index.js'
import { FakeClock } from '../../src/core/clock.js'
import { resolveOptions } from '../../src/tower/options.js'
import { testCertificate } from '../helpers/towers.js'

/** init() with these options must reject with InvalidOptionError naming `option`. */
async function rejectsAtInit (t: Test, options: Record<string, unknown>, option: string, what: string, todo?: string): Promise<void> {
  const extra = todo === undefined ? {} : { todo }
  const { key, cert } = await testCertificate()
  const tower = new Tower()
  let error: unknown
  try {
    await tower.init(key, cert, { port: 0, hostname: '127.0.0.1', ...options } as Partial<TowerOptions>)
  } catch (caught) {
    error = caught
  }
  if (error === undefined) {
    await tower.close({ drain: false })
    t.fail(`${what}: init() accepted it`, extra)
    return
  }
  t.ok(error instanceof InvalidOptionError, `${what}: InvalidOptionError`, extra)
  t.ok(error instanceof ClacksError, `${what}: a ClacksError`, extra)
  t.equal((error as ClacksError).code, 'CLACKS_ERR_INVALID_OPTION', `${what}: code CLACKS_ERR_INVALID_OPTION`, extra)
  t.equal((error as InvalidOptionError).option, option, `${what}: names the option "${option}"`, extra)
}

t.test('defaults from the spec', async t => {
  t.equal(DEFAULT_OPTIONS.hostname, 'localhost')
  t.equal(DEFAULT_OPTIONS.port, 8080)
  t.equal(DEFAULT_OPTIONS.sendrate, 1)
  t.equal(DEFAULT_OPTIONS.killtimeout, 3_600_000, 'killtimeout: one hour, in milliseconds')
  t.ok(Object.isFrozen(DEFAULT_OPTIONS), 'the defaults cannot be changed by a caller')
  const resolved = resolveOptions()
  t.same(
    { hostname: resolved.hostname, port: resolved.port, sendrate: resolved.sendrate, killtimeout: resolved.killtimeout },
    { hostname: 'localhost', port: 8080, sendrate: 1, killtimeout: 3_600_000 },
    'resolveOptions() with nothing gives the spec defaults'
  )
  t.equal(resolveOptions({ sendrate: undefined }).sendrate, 1, 'undefined means "the default"')
  t.equal(resolveOptions({ sendrate: Infinity }).sendrate, Infinity, 'Infinity is an unlimited rate')
  t.equal(resolveOptions({ sendrate: 0 }).sendrate, Infinity, '0 is an unlimited rate, as for the CLI and setRate')
  t.equal(resolveOptions({ byterate: 0 }).byterate, Infinity, 'for bytes too')
})

t.test('a tower started with no options but a free port uses the spec defaults', async t => {
  const { key, cert } = await testCertificate()
  const tower = await new Tower().init(key, cert, { port: 0 })
  t.teardown(() => tower.close({ drain: false }))
  t.equal(tower.options.hostname, 'localhost')
  t.equal(tower.hostname, 'localhost', 'advertised as localhost')
  t.equal(tower.options.sendrate, 1)
  t.equal(tower.options.killtimeout, 3_600_000)
  t.ok(tower.port > 0, 'port 0 picks a free port')
})

t.test('an unknown option fails at init', async t => {
  await rejectsAtInit(t, { sendRate: 5 }, 'sendRate', 'a misspelt option (sendRate)')
  await rejectsAtInit(t, { killTimeout: 5 }, 'killTimeout', 'killTimeout')
  t.throws(() => resolveOptions({ nope: 1 } as Partial<TowerOptions>), { code: 'CLACKS_ERR_INVALID_OPTION', option: 'nope' })
  // Regression: names inherited from Object.prototype once passed as known options.
  await rejectsAtInit(t, { toString: 5 }, 'toString', 'an Object.prototype name (toString)')
  await rejectsAtInit(t, { constructor: 'x' }, 'constructor', 'an Object.prototype name (constructor)')
  await rejectsAtInit(t, JSON.parse('{"__proto__": {"sendrate": -1}}') as Record<string, unknown>, '__proto__', 'a __proto__ key from parsed JSON')
})

t.test('options that are not an object fail', async t => {
  t.throws(() => resolveOptions(null as unknown as Partial<TowerOptions>), { code: 'CLACKS_ERR_INVALID_OPTION' })
  t.throws(() => resolveOptions(42 as unknown as Partial<TowerOptions>), { code: 'CLACKS_ERR_INVALID_OPTION' })
})

const INVALID: Array<[option: keyof TowerOptions, value: unknown, what: string]> = [
  ['hostname', '', 'empty hostname'],
  ['hostname', 'bad host', 'hostname with a space'],
  ['hostname', 'evil\nhost', 'hostname with a newline'],
  ['hostname', 'a'.repeat(254), 'hostname of 254 characters'],
  ['hostname', 42, 'hostname that is a number'],
  ['hostname', 'host/path', 'hostname with a slash'],
  ['port', -1, 'negative port'],
  ['port', 65536, 'port over 65535'],
  ['port', 80.5, 'fractional port'],
  ['port', '8080', 'port as a string'],
  ['port', NaN, 'NaN port'],
  ['sendrate', -1, 'negative sendrate'],
  ['sendrate', NaN, 'NaN sendrate'],
  ['sendrate', '1', 'sendrate as a string'],
  ['sendburst', -3, 'negative sendburst'],
  ['byteburst', 'big', 'byteburst as a string'],
  ['killtimeout', 0, 'zero killtimeout'],
  ['killtimeout', -1000, 'negative killtimeout'],
  ['killtimeout', 1.5, 'fractional killtimeout'],
  ['killtimeout', Infinity, 'infinite killtimeout'],
  ['killtimeout', '3600000', 'killtimeout as a string'],
  ['maxPayloadBytes', 0, 'zero maxPayloadBytes'],
  ['maxPayloadBytes', 64 * 1024 * 1024 + 1, 'maxPayloadBytes over 64 MiB'],
  ['maxQueueMessages', 0, 'zero maxQueueMessages'],
  ['maxQueueBytes', -1, 'negative maxQueueBytes'],
  ['maxInFlight', 2.5, 'fractional maxInFlight'],
  ['maxInFlightBytes', 0, 'zero maxInFlightBytes'],
  ['maxPeers', 0, 'zero maxPeers'],
  ['maxConnections', -5, 'negative maxConnections'],
  ['handshakeTimeout', 0, 'zero handshakeTimeout'],
  ['idleTimeout', NaN, 'NaN idleTimeout'],
  ['ackTimeout', -1, 'negative ackTimeout'],
  ['backoffInitial', 0, 'zero backoffInitial'],
  ['backoffMax', 1.5, 'fractional backoffMax'],
  ['drainTimeout', 0, 'zero drainTimeout'],
  ['ca', 123, 'ca that is a number'],
  ['inboundFilter', 'reverse', 'inboundFilter that is a string'],
  ['outboundFilter', {}, 'outboundFilter that is an object'],
  ['peerPolicy', 'newest', 'peerPolicy that is not a policy'],
  ['random', 0.5, 'random that is a number'],
  ['clock', {}, 'clock without now()'],
  ['clock', 5, 'clock that is a number'],
  ['bind', '', 'empty bind address']
]

t.test('each kind of invalid value fails at init with CLACKS_ERR_INVALID_OPTION', async t => {
  for (const [option, value, what] of INVALID) {
    await rejectsAtInit(t, { [option]: value }, option, what)
  }
})

t.test('backoffMax below backoffInitial fails', async t => {
  await rejectsAtInit(t, { backoffInitial: 1000, backoffMax: 500 }, 'backoffMax', 'backoffMax < backoffInitial')
  t.doesNotThrow(() => resolveOptions({ backoffInitial: 500, backoffMax: 500 }), 'equal is fine')
})

t.test('valid edge values are accepted', async t => {
  t.doesNotThrow(() => resolveOptions({ port: 0 }), 'port 0')
  t.doesNotThrow(() => resolveOptions({ port: 65535 }), 'port 65535')
  t.doesNotThrow(() => resolveOptions({ hostname: 'a'.repeat(253) }), 'a 253-character hostname')
  t.doesNotThrow(() => resolveOptions({ hostname: '::1' }), 'an IPv6 literal')
  t.doesNotThrow(() => resolveOptions({ sendrate: 0.5 }), 'a fractional sendrate')
  t.doesNotThrow(() => resolveOptions({ killtimeout: 1 }), 'killtimeout of 1 ms')
  t.doesNotThrow(() => resolveOptions({ maxPayloadBytes: 64 * 1024 * 1024 }), 'maxPayloadBytes of exactly 64 MiB')
  t.doesNotThrow(() => resolveOptions({ clock: new FakeClock() }), 'a FakeClock')
  t.doesNotThrow(() => resolveOptions({ random: () => 0.5, inboundFilter: () => true, outboundFilter: () => {} }), 'functions')
  t.doesNotThrow(() => resolveOptions({ ca: Buffer.from('pem') }), 'a Buffer ca')
})

t.test('a failed init leaves nothing listening and the tower can be started properly', async t => {
  const { key, cert } = await testCertificate()
  const tower = new Tower()
  await t.rejects(tower.init(key, cert, { port: 0, sendrate: -1 }), { code: 'CLACKS_ERR_INVALID_OPTION' })
  t.throws(() => tower.survey(), { code: 'CLACKS_ERR_NOT_STARTED' }, 'not started after a rejected init')
  await tower.init(key, cert, { port: 0, hostname: '127.0.0.1' })
  t.teardown(() => tower.close({ drain: false }))
  t.ok(tower.port > 0, 'started on the second try')
})

t.test('a hostname that is too long is said to be too long, not to have bad characters', async t => {
  t.throws(() => resolveOptions({ hostname: 'a'.repeat(300) }), { message: /hostname of 300 characters is too long \(a DNS name has at most 253\)/ })
})
