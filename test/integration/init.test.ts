import t from 'tap'
import { Tower } from '../../src/index.js'
import { testCertificate } from '../helpers/towers.js'

// init() as JavaScript callers reach it: no type checker between them and the arguments.
const init = (tower: Tower, ...args: unknown[]): Promise<Tower> => (tower.init as (...a: unknown[]) => Promise<Tower>)(...args)

t.test('init(options) takes the object as options, not as a key', async t => {
  const tower = await init(new Tower(), { hostname: '127.0.0.1', port: 0 })
  t.teardown(() => tower.close({ drain: false }))
  t.equal(tower.hostname, '127.0.0.1')
  t.not(tower.port, 8080, 'port 0 picked a free port, not the default')
  t.not(tower.port, 0)
})

t.test('init(key, cert, options) and init(undefined, undefined, options) start', async t => {
  const { key, cert } = await testCertificate()
  const withPair = await init(new Tower(), Buffer.from(key), cert, { hostname: '127.0.0.1', port: 0 })
  const generated = await init(new Tower(), undefined, undefined, { hostname: '127.0.0.1', port: 0 })
  t.teardown(async () => { await withPair.close({ drain: false }); await generated.close({ drain: false }) })
  t.ok(withPair.port > 0 && generated.port > 0)
})

t.test('any other shape is a ClacksError that says what init() takes, and the tower is not started', async t => {
  const { key, cert } = await testCertificate()
  const refused: Array<[string, unknown[], RegExp]> = [
    ['a key without its certificate', [key, undefined, { port: 0 }], /key without its certificate/],
    ['a certificate without its key', [undefined, cert, { port: 0 }], /certificate without its key/],
    ['null key and certificate', [null, null, { port: 0 }], /got null as the key/],
    ['a number as the key', [42, cert], /got a number as the key/],
    ['an object as the certificate', [key, { port: 0 }], /got an object as the certificate/],
    ['a string as the options', [key, cert, 'port=0'], /got a string as the options/],
    ['four arguments', [key, cert, {}, {}], /got 4 arguments/],
    ['the pair among the options', [{ key, cert, port: 0 }], /key and cert are arguments of their own, not options/],
    ['the pair among the third argument\'s options', [undefined, undefined, { key, cert }], /key and cert are arguments of their own/]
  ]
  for (const [what, args, message] of refused) {
    const tower = new Tower()
    await t.rejects(init(tower, ...args), { code: 'CLACKS_ERR_INVALID_ARGUMENT', message }, what)
    await t.rejects(init(tower, ...args), { message: /init\(\) takes \(options\) or \(key, cert, options\?\)/ }, `${what}: the message says what is expected`)
    t.throws(() => tower.stats(), { code: 'CLACKS_ERR_NOT_STARTED' }, `${what}: the tower did not start`)
  }
})

t.test('a second init() says the tower was started, not that it is closed', async t => {
  const tower = await init(new Tower(), { hostname: '127.0.0.1', port: 0 })
  await t.rejects(init(tower, { hostname: '127.0.0.1', port: 0 }), { code: 'CLACKS_ERR_ALREADY_STARTED', message: /already called: this tower is running/ })
  await tower.close({ drain: false })
  await t.rejects(init(tower, { hostname: '127.0.0.1', port: 0 }), { code: 'CLACKS_ERR_ALREADY_STARTED', message: /this tower is closed/ })
})

t.test('two init() calls at once: one starts, the other is refused', async t => {
  const tower = new Tower()
  const results = await Promise.allSettled([
    init(tower, { hostname: '127.0.0.1', port: 0 }),
    init(tower, { hostname: '127.0.0.1', port: 0 })
  ])
  t.teardown(() => tower.close({ drain: false }))
  t.equal(results.filter(r => r.status === 'fulfilled').length, 1)
  const rejected = results.find(r => r.status === 'rejected')
  t.match(rejected?.reason, { code: 'CLACKS_ERR_ALREADY_STARTED' })
})
