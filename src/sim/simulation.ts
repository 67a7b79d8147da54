import { createHash } from 'node:crypto'
import { FakeClock } from '../core/clock.js'
import type { TowerOptions } from '../tower/options.js'
import { Tower } from '../tower/tower.js'
import { ConservationViolation, gini, Ledger } from './oracle.js'
import { SimNetwork, type Latency } from './network.js'
import { ProcessClock } from './process-clock.js'
import { exponential, pick, seededRandom } from './random.js'

export type Topology = 'full' | 'ring' | 'grid' | 'random'

/** Fault rates, in events per simulated minute across the whole network. */
export interface FaultRates {
  /** A tower's process dies (SIGKILL): its holdings vanish. */
  crash: number
  /** A tower closes gracefully, draining to its peers. */
  leave: number
  /** A new tower starts and announces itself to `joinAnnounces` random towers. */
  join: number
  /** An open connection is reset. */
  reset: number
  /** The network splits in two random halves for `partitionSeconds`. */
  partition: number
  /** A tower's application ignores one of the peers it knows (Tower.ignore), whatever it has in flight to it. */
  ignore: number
}

/** A fault at a given moment, for scripted scenarios ("30 % of towers crash at 60 s"). */
export interface TimelineEvent {
  /** Simulated seconds from the start. */
  at: number
  fault: keyof FaultRates
  /** How many times: a count, or a fraction of the live towers (default: once). */
  count?: number
  fraction?: number
  /** For a partition: how long it lasts (default: partitionSeconds). */
  seconds?: number
}

export interface SimulationOptions {
  /** Towers at the start. */
  towers: number
  /** Messages injected at random towers during the first simulated second. */
  messages: number
  /** Simulated seconds. */
  duration: number
  seed: number
  topology: Topology
  /** Peers each tower starts knowing in the 'random' topology. @default 4 */
  degree: number
  /** One-way latency in ms: a fixed number, or [min, max] drawn uniformly per packet. @default 5 */
  latency: number | [number, number]
  /** What a TLS handshake costs beyond its round trips, in ms (see NetworkOptions). @default 0 */
  handshakeMs: number
  /** Handshakes worked on at once (see NetworkOptions): 1 models towers sharing one process. @default Infinity */
  handshakeCpus: number
  faults: Partial<FaultRates>
  /** Faults at set moments, besides the random ones. @default [] */
  timeline: TimelineEvent[]
  /** Follow one tracer message, injected at the start, to every tower it reaches (adds a listener to every tower). @default false */
  trace: boolean
  /** @default 10 */
  partitionSeconds: number
  /** @default 3 */
  joinAnnounces: number
  /** Options for every tower (transport, clock, random, hostname and port are the simulator's). */
  towerOptions: Partial<TowerOptions>
  /** Simulated ms between oracle checks (it also checks after every fault). @default 1000 */
  checkEvery: number
  /** Simulated ms between looks at whether every tower knows every other (0: never). @default 0 */
  discoveryEvery: number
  /** Called after each simulated second with the sample just taken. */
  onSample?: (sample: Sample) => void
  /** Who starts knowing whom, as [from, to] tower indexes: replaces `topology` when given. */
  links?: (towers: number) => Iterable<readonly [number, number]>
  /** Called once the towers are started and linked, before any message is injected (instruments inject their own here). */
  onStart?: (simulation: Simulation) => void
}

/** What the network looked like at the end of one simulated second. */
export interface Sample {
  /** Simulated seconds. */
  t: number
  towers: number
  /** Hand-offs acknowledged in that second, network-wide. */
  hops: number
  queued: number
  inFlight: number
  /** Injected messages held somewhere (known at oracle checks; else the last check's figure). */
  held: number
}

export interface SimulationSummary {
  seed: number
  /** Callbacks the virtual clock ran: the run's length in events. */
  events: number
  /** A digest of the whole run's trace: equal for equal seeds and options. */
  digest: string
  hops: number
  hopsPerTowerSecond: number
  /** Connections opened (each a TLS handshake in reality): discovery and idle timeouts make new ones. */
  connections: number
  injected: number
  conserved: number
  lostByCrash: number
  lostByLeave: number
  /** Messages held twice after a crash (see Ledger): the documented crash duplicate. */
  duplicatedAfterCrash: number
  crashes: number
  leaves: number
  joins: number
  resets: number
  partitions: number
  ignores: number
  /** Simulated ms until every tower knew every other (looked at every discoveryEvery ms), if it happened. */
  fullDiscoveryMs: number | undefined
  /** With trace: simulated ms until every tower live at the end had seen the tracer, if all had; and the share that had. */
  tracerAllMs: number | undefined
  tracerReached: number | undefined
  /** Simulated ms until a joining tower was known by half the live towers (median over tracked joins), if any. */
  halfKnownMs: number | undefined
  holdingsMax: number
  holdingsGini: number
  towersAtEnd: number
  wallMs: number
  heapBytesPerTower: number
  /** The process's peak resident set size. */
  peakRssMB: number
  series: Sample[]
}

const DEFAULTS: SimulationOptions = {
  towers: 50,
  messages: 500,
  duration: 30,
  seed: 1,
  topology: 'random',
  degree: 4,
  latency: 5,
  handshakeMs: 0,
  handshakeCpus: Infinity,
  faults: {},
  timeline: [],
  trace: false,
  partitionSeconds: 10,
  joinAnnounces: 3,
  towerOptions: {},
  checkEvery: 1000,
  discoveryEvery: 0
}

const PORT = 4000
/** Joins whose discovery is followed for halfKnownMs. */
const TRACKED_JOINS = 5
/** How long the end of a run waits for the network to settle before the strict check. */
const SETTLE_MS = 30_000

interface SimTower {
  readonly name: string
  readonly tower: Tower
  readonly clock: ProcessClock
  joinedAt: number | undefined
  halfKnownAt: number | undefined
  leaving: boolean
  /** When the tracer message first reached this tower. */
  tracerSeenAt?: number
}

/**
 * A discrete-event simulation of a Clacks network: real Tower instances
 * (the same queue, peer table, pacer, links, acceptor, resume and drain
 * code as production) on a virtual clock and an in-memory network, with
 * seeded faults and a conservation oracle. The same seed and options give
 * the same run, event for event.
 */
export class Simulation {
  readonly options: SimulationOptions
  readonly clock = new FakeClock(0, Date.UTC(2026, 0, 1))
  readonly network: SimNetwork
  readonly ledger = new Ledger()
  readonly #random: () => number
  readonly #live: SimTower[] = []
  readonly #series: Sample[] = []
  readonly #trace = createHash('sha256')
  #nextIndex = 0
  #ackedBefore = 0
  /** acked counts of towers that are gone, so network-wide hops keep counting them. */
  #ackedOfGone = 0
  #held = 0
  /** Towers closing right now: while none is, every live tower is staying. */
  #leavingNow = 0
  /** Towers' promises under way (init, announce, close): while any is, the loop yields after every event. */
  #pending = 0
  #fullDiscoveryAt: number | undefined
  #tracer: { id: string, started: number } | undefined
  readonly #counts = { crashes: 0, leaves: 0, joins: 0, resets: 0, partitions: 0, ignores: 0 }
  #violation: ConservationViolation | undefined

  constructor (options: Partial<SimulationOptions> = {}) {
    this.options = { ...DEFAULTS, ...options }
    this.#random = seededRandom(this.options.seed)
    this.network = new SimNetwork(this.clock, { latency: this.#latency(), handshakeMs: this.options.handshakeMs, handshakeCpus: this.options.handshakeCpus })
  }

  /** The live towers and their host names, for instruments that look inside (in start order, joins last). */
  get towers (): ReadonlyArray<{ readonly name: string, readonly tower: Tower }> {
    return this.#live
  }

  /** The command that replays this run. */
  get replayCommand (): string {
    const o = this.options
    const faults = Object.entries(o.faults).map(([k, v]) => `${k}=${v}`).join(',')
    const latency = Array.isArray(o.latency) ? o.latency.join('-') : o.latency
    return `npm run simulate -- --towers ${o.towers} --messages ${o.messages} --duration ${o.duration} --seed ${o.seed} --topology ${o.topology} --latency ${latency}` +
      (faults === '' ? '' : ` --faults ${faults}`)
  }

  async run (): Promise<SimulationSummary> {
    const started = performance.now()
    const o = this.options
    for (let i = 0; i < o.towers; i++) this.#live.push(await this.#startTower())
    this.#connect()
    o.onStart?.(this)
    this.#injectAll()
    if (o.trace) this.#startTracer()
    for (const event of o.timeline) this.clock.setTimeout(() => this.#scripted(event), event.at * 1000)
    const end = o.duration * 1000
    for (let second = 1; second <= o.duration; second++) this.clock.setTimeout(() => this.#tick(second), second * 1000)
    for (let at = o.checkEvery; at < end; at += o.checkEvery) this.clock.setTimeout(() => this.#check(), at)
    if (o.discoveryEvery > 0) for (let at = o.discoveryEvery; at < end; at += o.discoveryEvery) this.clock.setTimeout(() => this.#lookForFullDiscovery(), at)
    await this.#runUntil(end)
    await this.#settle()
    const summary = this.#summary(performance.now() - started)
    for (const member of this.#live) member.clock.kill()
    return summary
  }

  // --- the event loop ---

  async #runUntil (time: number): Promise<void> {
    for (;;) {
      if (this.#violation !== undefined) throw this.#violation
      const due = this.clock.nextDue
      if (due === undefined || due > time) break
      this.clock.runNext()
      // While a tower's init, announce or close is under way, its promise continuations run
      // between events, as in a real process: every one of them, as at the end of a macrotask.
      // Nothing real is scheduled meanwhile, so this stays deterministic.
      if (this.#pending > 0) await new Promise(resolve => setImmediate(resolve))
    }
    this.clock.advanceTo(Math.max(time, this.clock.now()))
    if (this.#violation !== undefined) throw this.#violation
  }

  #check (strict = false): void {
    if (this.#violation !== undefined) return
    try {
      this.#held = this.ledger.check(this.#live.map(member => member.tower), strict).held
    } catch (error) {
      if (!(error instanceof ConservationViolation)) throw error
      error.message = `${error.message} at ${this.clock.now()} ms, event ${this.clock.callbacksRun} (seed ${this.options.seed}); replay: ${this.replayCommand}`
      this.#violation = error
    }
  }

  /** End of the run: partitions heal, sending stops, and what can still settle settles; then the strict check. */
  async #settle (): Promise<void> {
    if (this.network.partitioned) this.network.heal()
    for (const member of this.#live) member.tower.pause()
    const deadline = this.clock.now() + SETTLE_MS
    while (this.clock.now() < deadline && this.#live.some(member => member.tower.stats().inFlight > 0)) await this.#runUntil(this.clock.now() + 100)
    this.#check(!this.#live.some(member => member.tower.stats().inDoubt > 0))
    if (this.#violation !== undefined) throw this.#violation
  }

  // --- towers ---

  async #startTower (): Promise<SimTower> {
    const index = this.#nextIndex++
    const name = `t${index}.sim`
    const clock = new ProcessClock(this.clock)
    const tower = new Tower()
    await tower.init(undefined, undefined, {
      ...this.options.towerOptions,
      hostname: name,
      port: PORT,
      transport: this.network.transportFor(name, clock),
      clock,
      random: seededRandom(Math.floor(this.#random() * 2 ** 32))
    })
    return { name, tower, clock, joinedAt: undefined, halfKnownAt: undefined, leaving: false }
  }

  /** Who starts knowing whom. */
  #connect (): void {
    const o = this.options
    const towers = this.#live
    const n = towers.length
    const link = (a: number, b: number): void => {
      if (a !== b) (towers[a] as SimTower).tower.expand((towers[b] as SimTower).name, PORT)
    }
    if (o.links !== undefined) {
      for (const [a, b] of o.links(n)) link(a, b)
      return
    }
    const width = Math.ceil(Math.sqrt(n))
    for (let i = 0; i < n; i++) {
      if (o.topology === 'full') for (let j = 0; j < n; j++) link(i, j)
      else if (o.topology === 'ring') link(i, (i + 1) % n)
      else if (o.topology === 'grid') {
        if ((i + 1) % width !== 0 && i + 1 < n) { link(i, i + 1); link(i + 1, i) }
        if (i + width < n) { link(i, i + width); link(i + width, i) }
      } else for (let k = 0; k < o.degree; k++) link(i, pick(this.#random, n))
    }
  }

  #injectAll (): void {
    for (let i = 0; i < this.options.messages; i++) {
      const at = pick(this.#random, 1000)
      const target = pick(this.#random, 1 << 30)
      this.clock.setTimeout(() => {
        const live = this.#staying()
        const member = live[target % live.length]
        if (member !== undefined) this.ledger.inject(member.tower.enqueue(`message ${i}`))
      }, at)
    }
  }

  // --- each simulated second: faults, a sample, the trace ---

  #tick (second: number): void {
    const faults = this.options.faults
    this.#times(faults.crash, () => this.#crash())
    this.#times(faults.leave, () => this.#leave())
    this.#times(faults.join, () => { void this.#join() })
    this.#times(faults.reset, () => { if (this.network.resetOne(pick(this.#random, 1 << 30))) this.#counts.resets++ })
    this.#times(faults.partition, () => this.#partition())
    this.#times(faults.ignore, () => this.#ignore())
    this.#followJoins()
    this.#sample(second)
  }

  #scripted (event: TimelineEvent): void {
    const times = event.fraction !== undefined ? Math.round(event.fraction * this.#live.length) : event.count ?? 1
    for (let i = 0; i < times; i++) {
      switch (event.fault) {
        case 'crash': this.#crash(false); break
        case 'leave': this.#leave(); break
        case 'join': void this.#join(); break
        case 'reset': if (this.network.resetOne(pick(this.#random, 1 << 30))) this.#counts.resets++; break
        case 'partition': this.#partition(event.seconds); break
        case 'ignore': this.#ignore(); break
      }
    }
    this.#check()
  }

  /** The tracer: one message from the first tower; every tower notes when it first sees it. */
  #startTracer (): void {
    const first = this.#live[0] as SimTower
    const id = first.tower.enqueue('tracer')
    this.ledger.inject(id)
    const started = this.clock.now()
    first.tracerSeenAt = started
    for (const member of this.#live) this.#watchTracer(member, id)
    this.#tracer = { id, started }
  }

  #watchTracer (member: SimTower, id: string): void {
    member.tower.on('message', message => {
      if (message.id === id && member.tracerSeenAt === undefined) member.tracerSeenAt = this.clock.now()
    })
  }

  /** Runs `fault` as often as a rate per minute gives for one second (a Poisson draw). */
  #times (perMinute: number | undefined, fault: () => void): void {
    if (perMinute === undefined || perMinute <= 0) return
    let budget = 1
    for (;;) {
      budget -= exponential(this.#random, 60 / perMinute)
      if (budget < 0) return
      fault()
    }
  }

  #victim (): SimTower | undefined {
    const candidates = this.#staying()
    // The network keeps at least two towers: there is no network with fewer.
    if (candidates.length <= 2) return undefined
    return candidates[pick(this.#random, candidates.length)]
  }

  #crash (check = true): void {
    const victim = this.#victim()
    if (victim === undefined) return
    this.ledger.crashing(victim.tower, this.#live.filter(member => member !== victim).map(member => member.tower))
    this.#gone(victim)
    victim.clock.kill()
    this.network.crash(victim.name)
    this.#counts.crashes++
    if (check) this.#check()
  }

  #leave (): void {
    const victim = this.#victim()
    if (victim === undefined) return
    victim.leaving = true
    this.#leavingNow++
    this.#counts.leaves++
    this.#pending++
    victim.tower.close().finally(() => { this.#pending-- }).then(() => {
      this.ledger.left(victim.tower)
      this.#gone(victim)
      victim.clock.kill()
      this.network.crash(victim.name)
      this.#check()
    }, (error: unknown) => { this.#violation ??= new ConservationViolation(`close() failed: ${String(error)}`, []) })
  }

  async #join (): Promise<void> {
    this.#counts.joins++
    this.#pending++
    const member = await this.#startTower().finally(() => { this.#pending-- })
    member.joinedAt = this.#counts.joins <= TRACKED_JOINS ? this.clock.now() : undefined
    const others = [...this.#staying()]
    this.#live.push(member)
    if (this.#tracer !== undefined) this.#watchTracer(member, this.#tracer.id)
    for (let k = 0; k < this.options.joinAnnounces && others.length > 0; k++) {
      const other = others[pick(this.#random, others.length)] as SimTower
      this.#pending++
      member.tower.announce(other.name, PORT).catch(() => { /* an announce to a tower that went away: others will do */ }).finally(() => { this.#pending-- })
    }
  }

  #ignore (): void {
    const member = this.#victim()
    const known = member?.tower.survey().filter(peer => peer.status !== 'ignored')
    if (member === undefined || known === undefined || known.length === 0) return
    const peer = known[pick(this.#random, known.length)] as { hostname: string, port: number }
    member.tower.ignore(peer.hostname, peer.port)
    this.#counts.ignores++
    this.#check()
  }

  #partition (seconds = this.options.partitionSeconds): void {
    if (this.network.partitioned) return
    const groups = new Map<string, number>()
    for (const member of this.#live) groups.set(member.name, this.#random() < 0.5 ? 1 : 0)
    this.network.partition(groups)
    this.#counts.partitions++
    this.clock.setTimeout(() => { this.network.heal(); this.#check() }, seconds * 1000)
    this.#check()
  }

  #gone (member: SimTower): void {
    const index = this.#live.indexOf(member)
    if (index === -1) return
    this.#live.splice(index, 1)
    if (member.leaving) this.#leavingNow--
    this.#ackedOfGone += member.tower.stats().acked
  }

  /** The live towers not closing: the list itself while none is closing, which spares a copy per injected message. */
  #staying (): readonly SimTower[] {
    return this.#leavingNow === 0 ? this.#live : this.#live.filter(member => !member.leaving)
  }

  #lookForFullDiscovery (): void {
    if (this.#fullDiscoveryAt !== undefined) return
    const others = this.#live.length - 1
    if (this.#live.every(member => member.tower.survey().length >= others)) this.#fullDiscoveryAt = this.clock.now()
  }

  #followJoins (): void {
    const followed = this.#live.filter(member => member.joinedAt !== undefined && member.halfKnownAt === undefined)
    for (const joined of followed) {
      const knowing = this.#live.filter(member => member.tower.survey().some(peer => peer.hostname === joined.name)).length
      if (knowing * 2 >= this.#live.length) joined.halfKnownAt = this.clock.now()
    }
  }

  #sample (second: number): void {
    let acked = this.#ackedOfGone
    let queued = 0
    let inFlight = 0
    for (const member of this.#live) {
      const stats = member.tower.stats()
      acked += stats.acked
      queued += stats.queued
      inFlight += stats.inFlight
    }
    const sample: Sample = { t: second, towers: this.#live.length, hops: acked - this.#ackedBefore, queued, inFlight, held: this.#held }
    this.#ackedBefore = acked
    this.#series.push(sample)
    this.#trace.update(`${second} ${this.clock.callbacksRun} ${sample.towers} ${sample.hops} ${queued} ${inFlight} ${this.network.bytesSent}\n`)
    this.options.onSample?.(sample)
  }

  #latency (): Latency {
    const latency = this.options.latency
    if (!Array.isArray(latency)) return () => latency
    const [min, max] = latency
    const random = seededRandom(this.options.seed ^ 0x5eed)
    return () => min + random() * (max - min)
  }

  #tracerSummary (): { tracerAllMs: number | undefined, tracerReached: number | undefined } {
    if (this.#tracer === undefined) return { tracerAllMs: undefined, tracerReached: undefined }
    const seen = this.#live.flatMap(member => member.tracerSeenAt === undefined ? [] : [member.tracerSeenAt - (this.#tracer?.started ?? 0)])
    return {
      tracerAllMs: seen.length === this.#live.length ? Math.max(...seen) : undefined,
      tracerReached: this.#live.length === 0 ? 0 : seen.length / this.#live.length
    }
  }

  #summary (wallMs: number): SimulationSummary {
    const holdings = this.ledger.check(this.#live.map(member => member.tower)).perTower
    const halfKnown = this.#live.flatMap(member => member.joinedAt !== undefined && member.halfKnownAt !== undefined ? [member.halfKnownAt - member.joinedAt] : []).sort((a, b) => a - b)
    const hops = this.#series.reduce((sum, sample) => sum + sample.hops, 0)
    const towerSeconds = this.#series.reduce((sum, sample) => sum + sample.towers, 0)
    const digest = this.#trace.update(holdings.join(',')).digest('hex').slice(0, 16)
    return {
      seed: this.options.seed,
      events: this.clock.callbacksRun,
      digest,
      hops,
      hopsPerTowerSecond: towerSeconds === 0 ? 0 : hops / towerSeconds,
      connections: this.network.connectionsOpened / 2,
      injected: this.ledger.injected,
      conserved: this.ledger.injected - this.ledger.lost,
      lostByCrash: this.ledger.lostByCrash,
      lostByLeave: this.ledger.lostByLeave,
      duplicatedAfterCrash: this.ledger.duplicatedAfterCrash,
      ...this.#counts,
      fullDiscoveryMs: this.#fullDiscoveryAt,
      ...this.#tracerSummary(),
      halfKnownMs: halfKnown.length === 0 ? undefined : halfKnown[Math.floor(halfKnown.length / 2)],
      holdingsMax: Math.max(0, ...holdings),
      holdingsGini: gini(holdings),
      towersAtEnd: this.#live.length,
      wallMs,
      heapBytesPerTower: Math.round(process.memoryUsage().heapUsed / Math.max(1, this.#nextIndex)),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      series: this.#series
    }
  }
}
