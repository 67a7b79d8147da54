import fc from 'fast-check'
import t from 'tap'
import { idToHex, newMessageId, toPublicMessage } from '../../src/core/message.js'

t.test('idToHex writes what Buffer#toString("hex") does, for any bytes, views included', async t => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(8), (bytes, skip) => {
    const backing = new Uint8Array(skip + bytes.length)
    backing.set(bytes, skip)
    const view = backing.subarray(skip)
    return idToHex(view) === Buffer.from(bytes).toString('hex')
  }), { numRuns: 500 })
  t.equal(idToHex(Uint8Array.of(0x00, 0x0f, 0xa0, 0xff)), '000fa0ff')
})

t.test('new message ids are 16 bytes and differ', async t => {
  const ids = new Set(Array.from({ length: 1000 }, () => idToHex(newMessageId())))
  t.equal(ids.size, 1000)
  t.ok([...ids].every(id => /^[0-9a-f]{32}$/.test(id)), 'each 32 lowercase hex digits')
  t.equal(toPublicMessage({ id: newMessageId(), payload: Buffer.from('x'), hops: 3 }).id.length, 32)
})
