import t from 'tap'
import { Link } from '../../src/net/link.js'
import { MessageQueue } from '../../src/tower/queue.js'
import { FakeClock, Simulation } from '../../src/sim/index.js'
import { faultyScenario } from './scenario.js'

t.test('the same seed gives the same run, event for event; another seed another', async t => {
  const first = await new Simulation(faultyScenario(42)).run()
  const again = await new Simulation(faultyScenario(42)).run()
  const other = await new Simulation(faultyScenario(43)).run()
  t.equal(again.digest, first.digest, `same trace digest (${first.digest}, ${first.events} events)`)
  t.equal(again.events, first.events)
  t.same(again.series, first.series, 'same time series')
  t.not(other.digest, first.digest, 'seed 43 runs differently')
  t.ok(first.hops > 0, `messages moved (${first.hops} hops)`)
})

t.test('the simulator runs the production classes: a fault injected in the real acknowledgement path is caught by the oracle', async t => {
  // A tower that acknowledges a message it did not keep: every 50th record taken from a frame is dropped.
  const original = MessageQueue.prototype.pushRecord
  let calls = 0
  MessageQueue.prototype.pushRecord = function (this: MessageQueue, ...args: Parameters<typeof original>) {
    if (++calls % 50 === 0) return true
    return original.apply(this, args)
  }
  t.teardown(() => { MessageQueue.prototype.pushRecord = original })
  const simulation = new Simulation({ ...faultyScenario(7), faults: {} })
  await t.rejects(simulation.run(), { code: 'CLACKS_ERR_SIM_VIOLATION', message: /lost outside any crash.*seed 7.*replay: npm run simulate -- .*--seed 7/ },
    'the violation names the seed and the command that replays it')
  t.ok(calls > 50, `the patched queue was used by the simulated towers (${calls} records)`)
})

t.test('a healthy run without faults conserves everything and moves at the configured rate', async t => {
  const summary = await new Simulation({ towers: 20, messages: 200, duration: 10, seed: 3, topology: 'ring', towerOptions: { sendrate: 10 } }).run()
  t.equal(summary.conserved, 200)
  t.equal(summary.lostByCrash + summary.lostByLeave, 0)
  t.ok(summary.hopsPerTowerSecond > 8 && summary.hopsPerTowerSecond <= 10.5, `about 10 hops per tower-second (${summary.hopsPerTowerSecond.toFixed(2)})`)
})

t.test('FakeClock: timers in due order, ties in creation order; immediates after what is due now; ticks first', async t => {
  const clock = new FakeClock()
  const order: string[] = []
  clock.setTimeout(() => order.push('b@5'), 5)
  const cleared = clock.setTimeout(() => order.push('never'), 3)
  clock.setTimeout(() => {
    order.push('a@3')
    clock.setImmediate(() => order.push('immediate@3'))
    clock.nextTick(() => order.push('tick@3'))
  }, 3)
  clock.setTimeout(() => order.push('c@5'), 5)
  clock.clearTimeout(cleared)
  clock.advance(10)
  t.same(order, ['a@3', 'tick@3', 'immediate@3', 'b@5', 'c@5'])
  t.equal(clock.now(), 10)
  t.equal(clock.pending, 0)
})

t.test('FakeClock: an immediate waits for the timers already due at its instant, and for earlier immediates; pending counts both', async t => {
  const clock = new FakeClock()
  const order: string[] = []
  clock.setTimeout(() => {
    order.push('x@2')
    clock.setImmediate(() => {
      order.push('immediate 1')
      clock.setImmediate(() => order.push('immediate 3'))
    })
    clock.setImmediate(() => order.push('immediate 2'))
    t.equal(clock.pending, 4, 'y, z and two immediates')
  }, 2)
  clock.setTimeout(() => order.push('y@2'), 2)
  clock.setTimeout(() => order.push('z@3'), 3)
  clock.advance(5)
  t.same(order, ['x@2', 'y@2', 'immediate 1', 'immediate 2', 'immediate 3', 'z@3'])
  t.equal(clock.pending, 0)
  clock.clearTimeout(clock.setTimeout(() => order.push('never'), 1))
  t.equal(clock.pending, 0, 'a cleared timer is not pending')
  t.equal(clock.nextDue, undefined)
})

t.test('the ignore fault would have caught issue 16: with ignore() giving up in-flight messages at once, the oracle sees them held twice', async t => {
  const busy = { towers: 10, messages: 2000, duration: 5, seed: 11, topology: 'full' as const, latency: [20, 50] as [number, number], faults: { ignore: 60 }, towerOptions: { sendrate: 200 } }
  const healthy = await new Simulation(busy).run()
  t.ok(healthy.ignores > 0, `with Link.retire as it is: ${healthy.ignores} ignores, every message conserved`)
  t.equal(healthy.conserved, 2000)
  const retire = Link.prototype.retire
  Link.prototype.retire = function (this: Link) { this.abandon() }
  t.teardown(() => { Link.prototype.retire = retire })
  await t.rejects(new Simulation(busy).run(), { code: 'CLACKS_ERR_SIM_VIOLATION', message: /held twice/ }, 'the old ignore() (abandon at once) duplicates')
})
