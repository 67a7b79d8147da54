/**
 * Pacer accuracy and cost, against the prototype's setInterval.
 *
 *   npx tsx bench/pacer.ts [--quick]
 *
 * Drives the real Pacer on the real clock with the tower's send loop, where
 * "sending" is counting: so what is measured is the pacer (tokens, timers,
 * batching), not sockets. For each setting it reports the configured and the
 * achieved rate, the error, the timer wakes, and the process CPU per message.
 *
 * How the rate is measured: the initial burst is skipped (it is the burst, not
 * the rate). The window runs from the first send after a wake (A) to the first
 * send after the last wake (B); at both ends the bucket has just come out of
 * debt, so what was sent in [A, B) is what accrued, and the end-to-end rate is
 * units sent in [A, B) / (B - A). That is what someone timing the sends on the
 * wire would compute, and it stays honest for slow settings (1 message/s,
 * 10 KB/s of up-to-64-KiB messages) where counting sends in a fixed window
 * would be off by up to one message. Its one noise is a late wake at B (the
 * tokens it holds are not yet sent): a 15-ms stall of the machine is 0.5 % of
 * a 3-s window. So the table leads with the slope of a least-squares fit of
 * units sent against time over every wake in the window, which averages that
 * noise out, and shows the end-to-end figure beside it.
 *
 * CPU is the main thread's (Linux `/proc/self/task/<pid>/schedstat`, in ns;
 * elsewhere the whole process's `process.cpuUsage()`), so the GC's and other
 * threads' background work is left out.
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { pathToFileURL } from 'node:url'
import { DEFAULT_BURST_MS, Pacer, type PacerRates } from '../src/tower/pacer.js'
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'

export interface PacerResult {
  /** `pacer`: the token-bucket Pacer; `setInterval`: one message per tick, the prototype's mechanism. */
  mechanism: 'pacer' | 'setInterval'
  unit: 'msg/s' | 'B/s'
  /** The configured rate, in `unit`. */
  configured: number
  /** The achieved rate over the window, in `unit`: slope of the least-squares fit of units sent against time. */
  achieved: number
  /** (achieved - configured) / configured, in percent. */
  errorPct: number
  /** The achieved rate end to end: units sent in the window / its length. */
  achievedEndToEnd: number
  /** (achievedEndToEnd - configured) / configured, in percent. */
  endToEndErrorPct: number
  /** The window the rate was measured over, in seconds. */
  windowS: number
  /** The window asked for, in seconds (the real one runs to the next send after it). */
  targetS: number
  /** Messages sent in the window. */
  messages: number
  /** Timer callbacks in the window. */
  wakes: number
  /**
   * The latest wake, in ms after it was due (pacer: when `readyIn` said tokens would be there;
   * setInterval: one interval, at least 1 ms, after the previous tick).
   */
  maxLateMs: number
  /** Wakes later than {@link DEFAULT_BURST_MS}: stalls of the machine longer than the default burst covers, which lose rate. */
  stalls: number
  /** CPU time in the window (main thread where the OS tells it, else the process), per message, in microseconds. */
  cpuUsPerMsg: number
  /** The same CPU time as a share of one core, in percent. */
  cpuPct: number
  /** Message sizes, for byte-rate settings. */
  sizes?: string
}

export interface PacerBenchOptions {
  /** About 0.2 s per setting instead of 3–10 s (the slowest settings still wait for one full interval). */
  quick: boolean
}

/** Message rates, and whether the full run gives them 10 s (key settings) rather than 3 s. */
const MESSAGE_RATES: Array<[rate: number, key: boolean]> = [
  [1, true], [100, false], [1000, false], [10_000, false], [100_000, true]
]
const BYTE_RATES: Array<[rate: number, key: boolean]> = [
  [10e3, true], [1e6, false], [100e6, true]
]
const KEY_S = 10
const OTHER_S = 3
const QUICK_S = 0.2

/** A seeded generator (pure-rand), so every run sends the same sizes. */
function seeded (seed: number): () => number {
  const generator = xoroshiro128plus(seed)
  return () => uniformFloat64(generator)
}

/** 64 B to 64 KiB, log-uniform (as many 64–128 B messages as 32–64 KiB ones; mean about 9.4 KB). */
function mixedSizes (seed: number): () => number {
  const random = seeded(seed)
  return () => Math.round(64 * 1024 ** random())
}

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`

/** Main-thread CPU time in µs (Linux), else the whole process's. */
const cpuSource: { name: string, micros: () => number } = (() => {
  try {
    if (Number.isFinite(Number(readFileSync(SCHEDSTAT, 'latin1').split(' ')[0]))) {
      return { name: 'main-thread CPU time (schedstat)', micros: () => Number(readFileSync(SCHEDSTAT, 'latin1').split(' ')[0]) / 1000 }
    }
  } catch {
    // not Linux: fall through
  }
  return { name: 'process CPU time (process.cpuUsage, all threads)', micros: () => { const c = process.cpuUsage(); return c.user + c.system } }
})()
const cpuMicros = cpuSource.micros

/** Online least-squares slope (Welford-style co-moments: stable over a million points). */
class Slope {
  #n = 0
  #meanT = 0
  #meanU = 0
  #ctu = 0
  #ctt = 0
  add (t: number, u: number): void {
    this.#n++
    const dt = t - this.#meanT
    this.#meanT += dt / this.#n
    this.#meanU += (u - this.#meanU) / this.#n
    this.#ctu += dt * (u - this.#meanU)
    this.#ctt += dt * (t - this.#meanT)
  }

  /** Units per millisecond. */
  get value (): number {
    return this.#ctu / this.#ctt
  }
}

/** How late wakes are: the latest, and how many were later than the default burst covers. */
class Lateness {
  max = 0
  stalls = 0
  see (late: number): void {
    if (late > this.max) this.max = late
    if (late > DEFAULT_BURST_MS) this.stalls++
  }
}

interface Window {
  maxLateMs: number
  stalls: number
  /** Per second, from the fit. */
  achieved: number
  /** Per second, end to end. */
  achievedEndToEnd: number
  windowS: number
  messages: number
  wakes: number
  cpuUs: number
}

/**
 * The tower's send loop over a queue that never runs dry, until the window has
 * lasted `targetMs` and held at least `minIntervals` wakes.
 */
function runPacer (rates: PacerRates, size: () => number, countBytes: boolean, targetMs: number, minIntervals: number): Promise<Window> {
  return new Promise(resolve => {
    const pacer = new Pacer(rates)
    let head = size()
    let sentUnits = 0
    let sentMessages = 0
    let wakes = 0
    // Start of the window (A): set at the first send after a wake.
    let aTime = -1
    let aUnits = 0
    let aMessages = 0
    let aWakes = 0
    let aCpu = 0
    const slope = new Slope()
    const lateness = new Lateness()
    let due = 0
    const sleep = (): void => {
      due = performance.now() + pacer.readyIn(head)
      pacer.wakeWhenReady(head, wakeUp)
    }

    const pump = (woken: boolean): void => {
      if (woken) {
        wakes++
        // The first send of a batch: the bucket has just come out of debt.
        if (pacer.tryTake(head)) {
          const now = performance.now()
          if (aTime < 0) {
            aTime = now; aUnits = sentUnits; aMessages = sentMessages; aWakes = wakes; aCpu = cpuMicros()
          }
          slope.add(now - aTime, sentUnits - aUnits)
          lateness.see(now - due)
          if (now - aTime >= targetMs && wakes - aWakes >= minIntervals) {
            // B: stop before counting this send. The tokens it took belong after the window.
            const cpu = cpuMicros() - aCpu
            const messages = sentMessages - aMessages
            resolve({
              achieved: slope.value * 1000,
              achievedEndToEnd: (sentUnits - aUnits) / (now - aTime) * 1000,
              windowS: (now - aTime) / 1000,
              messages,
              wakes: wakes - aWakes,
              maxLateMs: lateness.max,
              stalls: lateness.stalls,
              cpuUs: cpu
            })
            return
          }
          sentUnits += countBytes ? head : 1
          sentMessages++
          head = size()
        } else {
          sleep()
          return
        }
      }
      while (pacer.tryTake(head)) {
        sentUnits += countBytes ? head : 1
        sentMessages++
        head = size()
      }
      sleep()
    }
    const wakeUp = (): void => { pump(true) }
    pump(false)
  })
}

/** The prototype: `setInterval(send, 1000 / rate)`, one message per tick. */
function runInterval (rate: number, targetMs: number, minIntervals: number): Promise<Window> {
  return new Promise(resolve => {
    let ticks = 0
    let aTime = -1
    let aCpu = 0
    const slope = new Slope()
    const lateness = new Lateness()
    const interval = Math.max(1, 1000 / rate)
    let last = -1
    const timer = setInterval(() => {
      const now = performance.now()
      if (aTime < 0) {
        aTime = now
        aCpu = cpuMicros()
      }
      slope.add(now - aTime, ticks)
      if (last >= 0) lateness.see(now - last - interval)
      last = now
      if (now - aTime >= targetMs && ticks >= minIntervals) {
        clearInterval(timer)
        const cpu = cpuMicros() - aCpu
        resolve({
          achieved: slope.value * 1000,
          achievedEndToEnd: ticks / (now - aTime) * 1000,
          windowS: (now - aTime) / 1000,
          messages: ticks,
          wakes: ticks,
          maxLateMs: lateness.max,
          stalls: lateness.stalls,
          cpuUs: cpu
        })
        return
      }
      ticks++ // "send" one message
    }, 1000 / rate)
  })
}

/** CPU cost of one bare timer wake (a chain of 1-ms setTimeouts, nothing else), in microseconds: the floor per wake. */
function timerWakeCost (wakes: number): Promise<number> {
  return new Promise(resolve => {
    let n = 0
    const start = cpuMicros()
    const tick = (): void => {
      if (++n === wakes) resolve((cpuMicros() - start) / wakes)
      else setTimeout(tick, 1)
    }
    setTimeout(tick, 1)
  })
}

/** CPU cost of tryTake alone, in a hot loop (every call refills and takes). */
function tryTakeCost (calls: number): { limitedNs: number, unlimitedNs: number } {
  const measure = (pacer: Pacer): number => {
    let ok = 0
    const start = cpuMicros()
    for (let i = 0; i < calls; i++) if (pacer.tryTake(1000)) ok++
    const ns = (cpuMicros() - start) * 1000 / calls
    if (ok !== calls) throw new RangeError(`tryTake refused ${calls - ok} times in the cost loop`)
    return ns
  }
  const limited = new Pacer({ sendrate: 1e12, byterate: 1e15, sendburst: 1e12, byteburst: 1e15 })
  const unlimited = new Pacer({ sendrate: Infinity, byterate: Infinity })
  measure(limited) // warm up
  return { limitedNs: measure(limited), unlimitedNs: measure(unlimited) }
}

const result = (mechanism: PacerResult['mechanism'], unit: PacerResult['unit'], configured: number, targetS: number, w: Window, sizes?: string): PacerResult => ({
  mechanism,
  unit,
  configured,
  achieved: w.achieved,
  errorPct: (w.achieved - configured) / configured * 100,
  achievedEndToEnd: w.achievedEndToEnd,
  endToEndErrorPct: (w.achievedEndToEnd - configured) / configured * 100,
  windowS: w.windowS,
  targetS,
  messages: w.messages,
  wakes: w.wakes,
  maxLateMs: w.maxLateMs,
  stalls: w.stalls,
  cpuUsPerMsg: w.cpuUs / w.messages,
  cpuPct: w.cpuUs / (w.windowS * 1e6) * 100,
  ...(sizes === undefined ? {} : { sizes })
})

/** Runs every setting in turn (never two at once: they would share the event loop) and returns the results. */
export async function runPacerBench (opts: PacerBenchOptions): Promise<PacerResult[]> {
  const results: PacerResult[] = []
  const target = (key: boolean): number => opts.quick ? QUICK_S : key ? KEY_S : OTHER_S
  // At least one full interval after the window opens, so that 1 message/s and 10 KB/s are measured at all.
  const minIntervals = opts.quick ? 1 : 2

  for (const [rate, key] of MESSAGE_RATES) {
    const s = target(key)
    const w = await runPacer({ sendrate: rate, byterate: Infinity }, () => 100, false, s * 1000, minIntervals)
    results.push(result('pacer', 'msg/s', rate, s, w))
  }
  for (const [rate, key] of BYTE_RATES) {
    const s = target(key)
    const w = await runPacer({ sendrate: Infinity, byterate: rate }, mixedSizes(0xc1ac5), true, s * 1000, minIntervals)
    results.push(result('pacer', 'B/s', rate, s, w, '64 B–64 KiB log-uniform, seeded'))
  }
  for (const [rate, key] of MESSAGE_RATES) {
    const s = target(key)
    const w = await runInterval(rate, s * 1000, minIntervals)
    results.push(result('setInterval', 'msg/s', rate, s, w))
  }
  return results
}

/** A human unit for a rate. */
function rate (value: number, unit: PacerResult['unit']): string {
  if (unit === 'msg/s') return `${value.toLocaleString('en-US', { maximumFractionDigits: value < 100 ? 3 : 0 })} msg/s`
  if (value >= 1e6) return `${(value / 1e6).toLocaleString('en-US', { maximumFractionDigits: 3 })} MB/s`
  return `${(value / 1e3).toLocaleString('en-US', { maximumFractionDigits: 3 })} KB/s`
}

const pct = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(3)} %`

export function pacerTable (results: PacerResult[]): string {
  const rows = [
    '| mechanism | configured | achieved (fit) | error (fit) | error (end to end) | window (asked) | messages | wakes | msgs/wake | latest wake | stalls | CPU µs/msg | CPU % core |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
  ]
  for (const r of results) {
    rows.push(`| ${r.mechanism} | ${rate(r.configured, r.unit)} | ${rate(r.achieved, r.unit)} | ` +
      `${pct(r.errorPct)} | ${pct(r.endToEndErrorPct)} | ${r.windowS.toFixed(2)} s (${r.targetS} s) | ` +
      `${r.messages.toLocaleString('en-US')} | ${r.wakes.toLocaleString('en-US')} | ` +
      `${(r.messages / Math.max(1, r.wakes)).toFixed(1)} | +${r.maxLateMs.toFixed(1)} ms | ${r.stalls} | ${r.cpuUsPerMsg.toFixed(2)} | ${r.cpuPct.toFixed(2)} |`)
  }
  return rows.join('\n')
}

async function main (): Promise<void> {
  const quick = process.argv.includes('--quick')
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  console.log(`# Pacer benchmark (${quick ? 'quick: ~0.2 s per setting' : `full: ${KEY_S} s for 1 msg/s, 100,000 msg/s, 10 KB/s and 100 MB/s; ${OTHER_S} s for the others`})`)
  const load = os.loadavg().map(l => l.toFixed(2)).join(' ')
  console.log(`Node ${process.version}, ${cpu} × ${os.cpus().length}, ${os.platform()} ${os.arch()}, load average ${load} at start\n`)
  const results = await runPacerBench({ quick })
  console.log(pacerTable(results))
  const cost = tryTakeCost(quick ? 1_000_000 : 10_000_000)
  const wake = await timerWakeCost(quick ? 200 : 1000)
  console.log(`\ntryTake alone (hot loop, CPU time): ${cost.limitedNs.toFixed(1)} ns/call with both buckets limited, ` +
    `${cost.unlimitedNs.toFixed(1)} ns/call unlimited. A bare 1-ms timer wake on this machine: ${wake.toFixed(1)} µs of CPU, ` +
    'so below ~1,000 msg/s the CPU per message is one timer wake, whatever the mechanism.')
  console.log('\nWindow: from the first send after a wake to the first send after the last wake once the asked time has ' +
    'passed (so the initial burst is excluded and slow settings run to a whole interval). ' +
    `Achieved (fit): slope of units sent against time over every wake in the window; end to end: units sent / window. CPU: ${cpuSource.name} in the window divided by messages, loop and timers included. ` +
    'setInterval: one message per tick, as the prototype did; Node runs intervals under 1 ms at 1 ms. ' +
    'Latest wake: how long after it was due the latest timer fired (pacer: due when the tokens were there; setInterval: one interval after the ' +
    `previous tick). Stalls: wakes more than ${DEFAULT_BURST_MS} ms late, longer than the default burst covers: rate the pacer cannot make up.`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch(err => {
    console.error(err)
    process.exitCode = 1
  })
}
