// An ES module app using the installed package: the spec's default export, and compat.
import assert from 'node:assert'
import Clacks, { ClacksError } from 'clacks'
import { Clacks as CompatClacks } from 'clacks/compat'

const tower = await Clacks().init({ hostname: '127.0.0.1', port: 0 })
tower.enqueue('from an ES module')
assert.deepStrictEqual(await tower.close(), { left: 1 })
await assert.rejects(Clacks().init('a key without a certificate'), ClacksError)
assert.equal(typeof CompatClacks, 'function')
console.log('ES module consumer: ok')
