import t from 'tap'
import { ClacksError, InvalidOptionError, InvalidPayloadError } from '../../src/errors.js'
import { type Clock, FakeClock, systemClock } from '../../src/tower/clock.js'
import { DEFAULT_BURST_MS, Pacer, type PacerRates } from '../../src/tower/pacer.js'
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'

/** A send, and whether it was the first of a batch that a wake let through. */
interface Send { at: number, bytes: number, afterWake: boolean }

/**
 * The tower's send loop against a queue that never runs dry: one tryTake per
 * message, and on refusal one wakeWhenReady with the loop itself as `wake`.
 * Records every send; counts wakes and refusals right after a wake (which the
 * pacer promises never happen).
 */
function backlog (pacer: Pacer, clock: Clock, size: () => number) {
  const sends: Send[] = []
  let head = size()
  let wakes = 0
  let refusedAfterWake = 0
  let stopped = false
  const pump = (woken: boolean): void => {
    if (woken) wakes++
    let first = true
    while (!stopped) {
      if (!pacer.tryTake(head)) {
        if (woken && first) refusedAfterWake++
        pacer.wakeWhenReady(head, () => { pump(true) })
        return
      }
      sends.push({ at: clock.now(), bytes: head, afterWake: woken && first })
      first = false
      head = size()
    }
  }
  return {
    sends,
    start: () => { pump(false) },
    stop: () => { stopped = true; pacer.cancel() },
    get wakes () { return wakes },
    get refusedAfterWake () { return refusedAfterWake },
    countIn: (from: number, to: number) => sends.filter(s => s.at >= from && s.at < to).length,
    bytesIn: (from: number, to: number) => sends.filter(s => s.at >= from && s.at < to).reduce((n, s) => n + s.bytes, 0)
  }
}

/** A seeded generator (pure-rand), so "random" sizes are the same on every run. */
function seeded (seed: number): () => number {
  const generator = xoroshiro128plus(seed)
  return () => uniformFloat64(generator)
}

/** Sizes from 64 B to 64 KiB, log-uniform: many small messages, some large. */
function mixedSizes (seed: number): () => number {
  const random = seeded(seed)
  return () => Math.round(64 * 1024 ** random())
}

/** A clock whose timers all fire `late` ms after they are due, as under a busy event loop. */
function lateClock (inner: FakeClock, late: number): Clock {
  return {
    now: () => inner.now(),
    setTimeout: (callback, ms) => inner.setTimeout(callback, ms + late),
    clearTimeout: handle => { inner.clearTimeout(handle) },
    setImmediate: callback => { inner.setImmediate(callback) },
    nextTick: callback => { inner.nextTick(callback) },
    wallTime: () => inner.wallTime()
  }
}

/** A clock whose timers of 2 ms or more fire 1 ms early, as Node's can against performance.now(). */
function earlyClock (inner: FakeClock): Clock {
  return {
    now: () => inner.now(),
    setTimeout: (callback, ms) => inner.setTimeout(callback, ms >= 2 ? ms - 1 : ms),
    clearTimeout: handle => { inner.clearTimeout(handle) },
    setImmediate: callback => { inner.setImmediate(callback) },
    nextTick: callback => { inner.nextTick(callback) },
    wallTime: () => inner.wallTime()
  }
}

const limitedMessages = (sendrate: number, extra: Partial<PacerRates> = {}): PacerRates =>
  ({ sendrate, byterate: Infinity, ...extra })
const limitedBytes = (byterate: number, extra: Partial<PacerRates> = {}): PacerRates =>
  ({ sendrate: Infinity, byterate, ...extra })

t.test('FakeClock', async t => {
  t.test('runs due timers in time order, then creation order, each at its own time', async t => {
    const clock = new FakeClock(100)
    const log: string[] = []
    clock.setTimeout(() => log.push(`b@${clock.now()}`), 20)
    clock.setTimeout(() => log.push(`a@${clock.now()}`), 10)
    clock.setTimeout(() => log.push(`c@${clock.now()}`), 20)
    clock.setTimeout(() => log.push(`late@${clock.now()}`), 31)
    t.equal(clock.pending, 4)
    t.equal(clock.nextDue, 110)
    clock.advance(30)
    t.same(log, ['a@110', 'b@120', 'c@120'])
    t.equal(clock.now(), 130)
    t.equal(clock.pending, 1)
    t.ok(clock.runNext())
    t.same(log.at(-1), 'late@131')
    t.notOk(clock.runNext())
  })

  t.test('runs timers set by callbacks inside the advanced span', async t => {
    const clock = new FakeClock()
    const at: number[] = []
    const tick = (): void => { at.push(clock.now()); if (at.length < 5) clock.setTimeout(tick, 3) }
    clock.setTimeout(tick, 3)
    clock.advance(10)
    t.same(at, [3, 6, 9])
    clock.advance(100)
    t.same(at, [3, 6, 9, 12, 15])
  })

  t.test('clearTimeout cancels; unknown handles are ignored', async t => {
    const clock = new FakeClock()
    let fired = false
    const handle = clock.setTimeout(() => { fired = true }, 5)
    clock.clearTimeout(handle)
    clock.clearTimeout(handle)
    clock.clearTimeout('nonsense')
    clock.advance(10)
    t.notOk(fired)
    t.equal(clock.timersSet, 1)
  })

  t.test('follows Node: a delay under 1 ms (or NaN) is 1 ms', async t => {
    const clock = new FakeClock()
    const at: number[] = []
    clock.setTimeout(() => at.push(clock.now()), 0)
    clock.setTimeout(() => at.push(clock.now()), 0.4)
    clock.setTimeout(() => at.push(clock.now()), Number.NaN)
    clock.advance(0)
    t.same(at, [])
    clock.advance(1)
    t.same(at, [1, 1, 1])
  })

  t.test('time never goes back', async t => {
    const clock = new FakeClock(5)
    t.throws(() => { clock.advance(-1) }, RangeError)
    t.throws(() => { clock.advanceTo(4) }, RangeError)
  })
})

t.test('systemClock is monotonic and its timers fire and clear', async t => {
  const a = systemClock.now()
  const b = systemClock.now()
  t.ok(b >= a)
  const cleared = systemClock.setTimeout(() => { t.fail('cleared timer fired') }, 1)
  systemClock.clearTimeout(cleared)
  await new Promise<void>(resolve => { systemClock.setTimeout(resolve, 2) })
  t.ok(systemClock.now() - a >= 1)
})

t.test('validation', async t => {
  const bad: Array<[string, unknown]> = [
    ['sendrate', Number.NaN], ['sendrate', -1], ['sendrate', '10'], ['sendrate', undefined],
    ['byterate', Number.NaN], ['byterate', -0.5], ['byterate', null],
    ['sendburst', 0.5], ['sendburst', Number.NaN], ['sendburst', Infinity],
    ['byteburst', 0], ['byteburst', -1], ['byteburst', Infinity]
  ]
  for (const [option, value] of bad) {
    const rates = { sendrate: 10, byterate: 1000, [option]: value } as unknown as PacerRates
    t.throws(() => new Pacer(rates, new FakeClock()), { code: 'CLACKS_ERR_INVALID_OPTION', option },
      `${option} = ${String(value)} is refused`)
    if (value === undefined) continue // setRate leaves out what it does not change
    const pacer = new Pacer({ sendrate: 10, byterate: 1000 }, new FakeClock())
    const before = pacer.rates
    t.throws(() => { pacer.setRate({ [option]: value } as Partial<PacerRates>) }, InvalidOptionError)
    t.equal(pacer.rates, before, `a refused setRate(${option}) changes nothing`)
  }
  t.throws(() => new Pacer(null as unknown as PacerRates), { code: 'CLACKS_ERR_INVALID_OPTION' })

  const err = (() => { try { new Pacer({ sendrate: -1, byterate: 1 }) } catch (e) { return e } })()
  t.ok(err instanceof ClacksError)
  t.match((err as Error).message, /sendrate/)

  const pacer = new Pacer(limitedMessages(10), new FakeClock())
  for (const bytes of [-1, Number.NaN, Infinity]) {
    t.throws(() => pacer.tryTake(bytes), InvalidPayloadError, `tryTake(${bytes})`)
    t.throws(() => { pacer.wakeWhenReady(bytes, () => {}) }, InvalidPayloadError, `wakeWhenReady(${bytes})`)
  }
})

t.test('rates and default bursts', async t => {
  t.equal(DEFAULT_BURST_MS, 20)
  const clock = new FakeClock()
  t.same(new Pacer({ sendrate: 1, byterate: 10_000 }, clock).rates,
    { sendrate: 1, byterate: 10_000, sendburst: 1.02, byteburst: 200 })
  t.same(new Pacer({ sendrate: 100_000, byterate: 100e6 }, clock).rates,
    { sendrate: 100_000, byterate: 100e6, sendburst: 2001, byteburst: 2e6 })
  t.same(new Pacer({ sendrate: 5, byterate: 10 }, clock).rates.byteburst, 1, 'byte burst is at least 1 byte')
  t.same(new Pacer({ sendrate: 0, byterate: Infinity }, clock).rates,
    { sendrate: Infinity, byterate: Infinity, sendburst: Infinity, byteburst: Infinity }, '0 means unlimited')
  t.same(new Pacer({ sendrate: 10, byterate: 10, sendburst: 4, byteburst: 64 }, clock).rates,
    { sendrate: 10, byterate: 10, sendburst: 4, byteburst: 64 }, 'explicit bursts')
  t.ok(Object.isFrozen(new Pacer(limitedMessages(1), clock).rates))
  const pacer = new Pacer({ sendrate: 7, byterate: 0 }, clock)
  t.notOk(pacer.unlimited)
  t.ok(new Pacer({ sendrate: Infinity, byterate: 0 }, clock).unlimited)
  // What `rates` reports can be passed back.
  const copy = new Pacer(new Pacer({ sendrate: Infinity, byterate: 50 }, clock).rates, clock)
  t.same(copy.rates, { sendrate: Infinity, byterate: 50, sendburst: Infinity, byteburst: 1 })
})

t.test('steady message rates', async t => {
  t.test('10 messages/s: one at once, then exactly every 100 ms', async t => {
    const clock = new FakeClock()
    const loop = backlog(new Pacer(limitedMessages(10), clock), clock, () => 100)
    loop.start()
    clock.advance(1000)
    // The bucket starts full with 1.2 tokens: the 0.2 of slack brings the second send forward by 20 ms.
    t.same(loop.sends.map(s => s.at), [0, 80, 180, 280, 380, 480, 580, 680, 780, 880, 980])
    t.equal(loop.wakes, 10, 'one wake per send at this rate, and no more')
    t.equal(clock.timersSet, 11, 'one timer per wake, and one pending')
    t.equal(loop.refusedAfterWake, 0)
  })

  for (const rate of [1, 3, 100, 1000, 7919]) {
    t.test(`${rate} messages/s over 60 s`, async t => {
      const clock = new FakeClock()
      const pacer = new Pacer(limitedMessages(rate), clock)
      const loop = backlog(pacer, clock, () => 100)
      loop.start()
      clock.advance(60_000)
      const expected = rate * 60 + Math.floor(pacer.rates.sendburst)
      // Ceil to whole milliseconds costs nothing: the oversleep stays in the bucket.
      t.ok(Math.abs(loop.sends.length - expected) <= 1, `${loop.sends.length} sends, expected ${expected} ± 1`)
      t.equal(loop.refusedAfterWake, 0)
    })
  }

  t.test('100,000 messages/s: batches per 1-ms tick, at most one timer per millisecond', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer(limitedMessages(100_000), clock)
    const loop = backlog(pacer, clock, () => 100)
    loop.start()
    t.equal(loop.sends.length, 2001, 'the initial burst goes at once')
    clock.advance(1000)
    t.ok(Math.abs(loop.sends.length - (100_000 + 2001)) <= 1, `${loop.sends.length} sends`)
    t.ok(loop.wakes <= 1000 && clock.timersSet <= loop.wakes + 1, `${clock.timersSet} timers, ${loop.wakes} wakes for 100,000 messages`)
    t.ok(loop.countIn(500, 501) >= 99, 'about 100 messages in each tick')
    t.equal(loop.refusedAfterWake, 0)
  })

  t.test('late timers (event loop busy) lose nothing up to the burst slack', async t => {
    const inner = new FakeClock()
    for (const [rate, late] of [[1000, 5], [1000, 15], [1, 19], [50, 10]]) {
      const clock = lateClock(inner, late)
      const start = inner.now()
      const pacer = new Pacer(limitedMessages(rate), clock)
      const loop = backlog(pacer, clock, () => 100)
      loop.start()
      inner.advance(10_000)
      loop.stop()
      // Whatever a late timer has not sent yet is still in the bucket: nothing was lost.
      let owed = 0
      while (pacer.tryTake(100)) owed++
      const expected = rate * 10 + Math.floor(pacer.rates.sendburst)
      const total = loop.sends.length + owed
      t.ok(total >= expected - 1 && total <= expected,
        `${rate}/s with timers ${late} ms late: ${loop.sends.length} sent + ${owed} due, expected ${expected}`)
      t.equal(loop.sends[0]?.at, start)
    }
  })

  t.test('a timer that fires early sleeps again rather than waking for nothing', async t => {
    const inner = new FakeClock()
    const clock = earlyClock(inner)
    const loop = backlog(new Pacer(limitedMessages(10), clock), clock, () => 1)
    loop.start()
    inner.advance(1000)
    t.equal(loop.refusedAfterWake, 0)
    t.same(loop.sends.map(s => s.at), [0, 80, 180, 280, 380, 480, 580, 680, 780, 880, 980])
  })
})

t.test('bursts', async t => {
  t.test('an explicit message burst goes at once, then the rate rules', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer(limitedMessages(10, { sendburst: 5 }), clock)
    for (let i = 0; i < 5; i++) t.ok(pacer.tryTake(10), `message ${i + 1} of the burst`)
    t.notOk(pacer.tryTake(10))
    t.equal(pacer.readyIn(10), 100)
    clock.advance(100)
    t.ok(pacer.tryTake(10))
    t.notOk(pacer.tryTake(10))
    clock.advance(60_000)
    let n = 0
    while (pacer.tryTake(10)) n++
    t.equal(n, 5, 'a long idle spell saves no more than the burst')
  })

  t.test('the byte burst plus one frame goes at once', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer(limitedBytes(1000, { byteburst: 1000 }), clock)
    let n = 0
    while (pacer.tryTake(100)) n++
    t.equal(n, 11, '10 × 100 B fill the burst; the 11th borrows')
    t.equal(pacer.readyIn(100), 100, 'and the next waits for the 100-B debt')
  })

  t.test('the default burst absorbs a 20-ms stall at 100,000 messages/s', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer(limitedMessages(100_000), clock)
    while (pacer.tryTake(1));
    clock.advance(20)
    let n = 0
    while (pacer.tryTake(1)) n++
    t.equal(n, 2000)
  })
})

t.test('large messages borrow, nothing starves, FIFO is kept', async t => {
  t.test('a message larger than the burst goes at once and its debt delays the next', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer(limitedBytes(1000, { byteburst: 100 }), clock)
    t.ok(pacer.tryTake(10_000), 'the bucket is not in debt, so 10 KB go though the burst is 100 B')
    t.equal(pacer.readyIn(1), 9900, 'the next message waits for 9,900 B of debt')
    t.equal(pacer.readyIn(1_000_000), 9900, 'whatever its size: size never decides admission')
    clock.advance(9899)
    t.notOk(pacer.tryTake(1))
    clock.advance(1)
    t.ok(pacer.tryTake(1))
  })

  t.test('a small message behind a large one waits for no more than the large one\'s own cost', async t => {
    const clock = new FakeClock()
    const sizes = [64, 65_536, 64, 64, 65_536, 64]
    let i = 0
    const loop = backlog(new Pacer(limitedBytes(10_000), clock), clock, () => sizes[i++ % sizes.length]!)
    loop.start()
    clock.advance(30_000)
    const sent = loop.sends.slice(0, 7)
    t.same(sent.map(s => s.bytes), [64, 65_536, 64, 64, 65_536, 64, 64], 'sent in queue order')
    // Each gap is the previous message's size at 10 B/ms (rounded up to whole ms; the rounding is repaid in the next
    // gap), and the 200-B burst saved at the start lets the first two go together.
    t.same(sent.map(s => s.at), [0, 0, 6540, 6547, 6553, 13107, 13113])
  })

  t.test('a stream of max-size frames at 10 KB/s keeps going', async t => {
    const clock = new FakeClock()
    const frame = 1024 * 1024 + 1024 + 5
    const loop = backlog(new Pacer(limitedBytes(10_000), clock), clock, () => frame)
    loop.start()
    clock.advance(10 * 60_000)
    t.equal(loop.sends.length, 6, `6 frames in 10 minutes (one per ${Math.ceil(frame / 10)} ms)`)
    t.equal(loop.refusedAfterWake, 0)
  })

  t.test('mixed sizes 64 B – 64 KiB at 1 MB/s over 10 s: within 0.1 % ', async t => {
    const clock = new FakeClock()
    const loop = backlog(new Pacer(limitedBytes(1e6), clock), clock, mixedSizes(42))
    loop.start()
    clock.advance(10_000)
    loop.stop()
    // What a wire observer sees once the initial burst is spent: the bytes from the first send after a wake up
    // to (not including) the last such send, over the time between them. At both ends the bucket has just
    // come out of debt, so the bytes sent in between are what accrued, without the burst.
    const starts = loop.sends.flatMap((s, i) => s.afterWake ? [i] : [])
    const first = starts[0]!
    const last = starts.at(-1)!
    const span = loop.sends[last]!.at - loop.sends[first]!.at
    const bytes = loop.sends.slice(first, last).reduce((n, s) => n + s.bytes, 0)
    const rate = bytes / span * 1000
    t.ok(Math.abs(rate / 1e6 - 1) < 0.001, `achieved ${rate.toFixed(0)} B/s`)
    t.ok(last - first > 500, `${last - first} messages`)
    t.equal(loop.refusedAfterWake, 0)
  })
})

t.test('rate changes at run time', async t => {
  t.test('a pending wake is re-timed to the new rate', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer(limitedMessages(1), clock)
    t.ok(pacer.tryTake(1))
    let wokenAt = -1
    pacer.wakeWhenReady(1, () => { wokenAt = clock.now() })
    t.equal(clock.nextDue, 980)
    clock.advance(100)
    pacer.setRate({ sendrate: 10 })
    // Tokens at 100 ms: 0.02 + 0.1 = 0.12; the new rate needs 0.88 more at 0.01/ms.
    t.equal(clock.nextDue, 188)
    t.equal(clock.pending, 1, 'the old timer is gone')
    clock.advance(1000)
    t.equal(wokenAt, 188)
  })

  t.test('a lower rate pushes a pending wake back', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer(limitedMessages(10, { sendburst: 1 }), clock)
    pacer.tryTake(1)
    let woken = 0
    pacer.wakeWhenReady(1, () => { woken++ })
    clock.advance(50)
    pacer.setRate({ sendrate: 1 })
    t.equal(clock.nextDue, 550, '0.5 token at the old rate by 50 ms, 0.5 more at the new takes 500 ms')
    clock.advance(499)
    t.equal(woken, 0)
    clock.advance(1)
    t.equal(woken, 1)
  })

  t.test('a pending wake fires on the next tick when the rate becomes unlimited', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer(limitedMessages(0.001), clock)
    pacer.tryTake(1)
    let woken = 0
    pacer.wakeWhenReady(1, () => { woken++ })
    pacer.setRate({ sendrate: Infinity })
    t.equal(woken, 0, 'not synchronously')
    t.ok(pacer.unlimited)
    clock.advance(1)
    t.equal(woken, 1)
  })

  t.test('a byte debt survives a rate change and is repaid at the new rate', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer(limitedBytes(1000), clock)
    pacer.tryTake(5020) // 20 B of burst: 5,000 B of debt
    t.equal(pacer.readyIn(1), 5000)
    clock.advance(1000)
    pacer.setRate({ byterate: 4000 })
    t.equal(pacer.readyIn(1), 1000, '4,000 B left at 4 B/ms')
  })

  t.test('derived bursts follow the rate; explicit ones stay', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer({ sendrate: 100, byterate: 1e6, byteburst: 5000 }, clock)
    pacer.setRate({ sendrate: 1000, byterate: 2e6 })
    t.same(pacer.rates, { sendrate: 1000, byterate: 2e6, sendburst: 21, byteburst: 5000 })
    pacer.setRate({ sendburst: 7 })
    pacer.setRate({ sendrate: 50 })
    t.equal(pacer.rates.sendburst, 7)
    pacer.setRate({ sendrate: Infinity })
    t.equal(pacer.rates.sendburst, 7, 'kept while unlimited')
    pacer.setRate({ sendrate: 20 })
    t.equal(pacer.rates.sendburst, 7)
  })

  t.test('a smaller burst caps the saved tokens at once', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer(limitedMessages(10, { sendburst: 10 }), clock)
    pacer.setRate({ sendburst: 3 })
    let n = 0
    while (pacer.tryTake(1)) n++
    t.equal(n, 3)
  })

  t.test('unlimited → limited starts with a full bucket', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer({ sendrate: Infinity, byterate: Infinity }, clock)
    for (let i = 0; i < 1000; i++) pacer.tryTake(1e6)
    pacer.setRate({ sendrate: 100 })
    let n = 0
    while (pacer.tryTake(1e6)) n++
    t.equal(n, 3, 'burst of 1 + 100 × 20 ms = 3')
  })

  t.test('the send loop follows a rate change without a restart', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer(limitedMessages(100, { sendburst: 1 }), clock)
    const loop = backlog(pacer, clock, () => 1)
    loop.start()
    clock.advance(1000)
    pacer.setRate({ sendrate: 1000 })
    clock.advance(1000)
    pacer.setRate({ sendrate: 10 })
    clock.advance(1000)
    t.equal(loop.countIn(0, 1000), 100)
    t.equal(loop.countIn(1000, 2000), 1000)
    t.equal(loop.countIn(2000, 3000), 10)
    t.equal(loop.refusedAfterWake, 0)
  })
})

t.test('both buckets at once: the tighter one rules', async t => {
  for (const [bytes, expected, bound] of [[200, 50, 'bytes'], [10, 100, 'messages']] as const) {
    const clock = new FakeClock()
    const pacer = new Pacer({ sendrate: 10, byterate: 1000, sendburst: 1, byteburst: 1 }, clock)
    const loop = backlog(pacer, clock, () => bytes)
    loop.start()
    clock.advance(10_000)
    // Both start full (1 message, 1 byte): the first message is free.
    t.ok(Math.abs(loop.countIn(0, 10_000) - 1 - expected) <= 1,
      `${bytes}-B messages are bound by ${bound}: ${loop.sends.length} in 10 s`)
    t.equal(loop.refusedAfterWake, 0)
  }

  const clock = new FakeClock()
  const pacer = new Pacer({ sendrate: 10, byterate: 1000, sendburst: 1, byteburst: 1 }, clock)
  t.ok(pacer.tryTake(500))
  t.equal(pacer.readyIn(1), 499, 'bytes need 499 ms, messages 100 ms')
  clock.advance(499)
  t.ok(pacer.tryTake(1))
  t.equal(pacer.readyIn(1), 100, 'now messages need 100 ms, bytes 0.001 ms')
  t.notOk(pacer.tryTake(1), 'a refusal takes nothing from either bucket')
  clock.advance(100)
  t.ok(pacer.tryTake(1))
})

t.test('unlimited: every tryTake succeeds, with no timer', async t => {
  const clock = new FakeClock()
  const pacer = new Pacer({ sendrate: Infinity, byterate: 0 }, clock)
  t.ok(pacer.unlimited)
  for (let i = 0; i < 100_000; i++) {
    if (!pacer.tryTake(1024 * 1024)) { t.fail('refused'); break }
  }
  t.equal(pacer.readyIn(1e9), 0)
  t.equal(clock.timersSet, 0)
  let woken = 0
  pacer.wakeWhenReady(1, () => { woken++ })
  t.equal(woken, 0, 'wake is never synchronous')
  clock.advance(1)
  t.equal(woken, 1)
  t.notOk(new Pacer({ sendrate: Infinity, byterate: 1 }, clock).unlimited)
})

t.test('wakeWhenReady and cancel', async t => {
  t.test('one timer at most; a later wake replaces an earlier one', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer(limitedMessages(1, { sendburst: 1 }), clock)
    pacer.tryTake(1)
    const calls: string[] = []
    pacer.wakeWhenReady(1, () => calls.push('first'))
    pacer.wakeWhenReady(1, () => calls.push('second'))
    pacer.wakeWhenReady(1, () => calls.push('third'))
    t.equal(clock.pending, 1)
    t.ok(pacer.waiting)
    clock.advance(5000)
    t.same(calls, ['third'])
    t.notOk(pacer.waiting)
    t.equal(clock.pending, 0)
  })

  t.test('cancel drops the wake and its timer', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer(limitedMessages(1, { sendburst: 1 }), clock)
    pacer.tryTake(1)
    let woken = 0
    pacer.wakeWhenReady(1, () => { woken++ })
    pacer.cancel()
    t.equal(clock.pending, 0)
    t.notOk(pacer.waiting)
    pacer.cancel()
    clock.advance(5000)
    t.equal(woken, 0)
    pacer.setRate({ sendrate: 2 })
    t.equal(clock.pending, 0, 'setRate arms nothing without a pending wake')
  })

  t.test('a wake that would succeed already fires on the next tick', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer(limitedMessages(1), clock)
    let woken = 0
    pacer.wakeWhenReady(1, () => { woken++ })
    t.equal(woken, 0)
    clock.advance(1)
    t.equal(woken, 1)
  })

  t.test('a wake more than 24.8 days away is taken in steps', async t => {
    const clock = new FakeClock()
    const pacer = new Pacer(limitedBytes(1, { byteburst: 1 }), clock)
    pacer.tryTake(3e9) // 3e9 B at 1 B/s: about 34.7 days
    let wokenAt = -1
    pacer.wakeWhenReady(1, () => { wokenAt = clock.now() })
    t.equal(clock.nextDue, 2 ** 31 - 1)
    clock.advance(3e9 * 1000)
    const due = (3e9 - 1) * 1000
    t.ok(wokenAt >= due && wokenAt <= due + 1, `woken at ${wokenAt}, due ${due}`)
    t.ok(clock.timersSet > 1000, 'in ~1,400 steps')
  })
})
