import { generateCertificate } from '../net/certs.js'
import { DelayedTransport } from '../net/delayed-transport.js'
import { TlsTransport } from '../net/tls-transport.js'
import { Simulation } from '../sim/simulation.js'
import { DEFAULT_OPTIONS, type TowerOptions } from '../tower/options.js'
import { Tower } from '../tower/tower.js'
import { makeLayout, type DynamicsTopology, type Layout } from './layout.js'
import { Recorder, type Frame, type Observed, type Stall } from './recorder.js'

export type Engine = 'real' | 'sim'

export interface DynamicsOptions {
  engine: Engine
  topology: DynamicsTopology
  width: number
  height: number
  /** Messages injected at the start. */
  messages: number
  /** 'corner': all at the source (the prototype's experiment); 'spread': one per tower in turn. */
  inject: 'corner' | 'spread'
  /** Seconds observed. */
  duration: number
  /** Each tower's messages per second. */
  sendrate: number
  /** The simulator's one-way link latency in ms, fixed or [min, max]. */
  latency: number | [number, number]
  /** Real towers: one-way delay in ms added to every link on top of loopback's (0: loopback as it is). */
  realLatency: number
  payloadBytes: number
  seed: number
  /** Anything else for every tower (peerPolicy, maxInFlight …). */
  towerOptions: Partial<TowerOptions>
  /** Called after each second's frame (progress). */
  onFrame?: (frame: Frame) => void
  /** Real engine: stops before `duration` once this says so (a test waiting for a condition, bounded by duration). */
  until?: (frame: Frame, layout: Layout) => boolean
}

export const DEFAULT_DYNAMICS: DynamicsOptions = {
  engine: 'sim',
  topology: 'grid',
  width: 20,
  height: 20,
  messages: 1,
  inject: 'corner',
  duration: 30,
  sendrate: 100,
  latency: 5,
  realLatency: 0,
  payloadBytes: 64,
  seed: 1,
  towerOptions: {}
}

export interface DynamicsResult {
  options: DynamicsOptions
  layout: Layout
  frames: Frame[]
  /** ms of each tower's first arrival, -1 for never. */
  firstArrival: number[]
  /** ms until the far tower first held a message. */
  farReachedMs: number | undefined
  /** ms until every tower had held one. */
  allReachedMs: number | undefined
  /** Seconds until every tower knew every other (at one-second resolution). */
  saturationS: number | undefined
  longestStall: Stall | undefined
  wallMs: number
  /** The simulator's heap in use at the end of the run over the number of towers (recorder included); undefined for real towers. */
  heapBytesPerTower: number | undefined
}

/** Runs one network as the options say and records it. */
export async function runDynamics (input: Partial<DynamicsOptions> = {}): Promise<DynamicsResult> {
  const options = { ...DEFAULT_DYNAMICS, ...input }
  const layout = makeLayout(options.topology, options.width, options.height, options.seed)
  const started = performance.now()
  const { recorder, heapBytesPerTower } = options.engine === 'sim' ? await runSim(options, layout) : { recorder: await runReal(options, layout), heapBytesPerTower: undefined }
  const firstArrival = Array.from(recorder.firstArrival)
  const reached = firstArrival.every(ms => ms >= 0)
  const far = firstArrival[layout.far] ?? -1
  return {
    options,
    layout,
    frames: recorder.frames,
    firstArrival,
    farReachedMs: far >= 0 ? far : undefined,
    allReachedMs: reached ? Math.max(...firstArrival) : undefined,
    saturationS: recorder.frames.find(frame => frame.discovered >= 1)?.t,
    longestStall: recorder.longestStall,
    wallMs: performance.now() - started,
    heapBytesPerTower
  }
}

function injectAll (recorder: Recorder, options: DynamicsOptions, layout: Layout, inject: (id: string) => void = () => {}): void {
  const payload = new Uint8Array(options.payloadBytes)
  for (let i = 0; i < options.messages; i++) {
    inject(recorder.inject(options.inject === 'corner' ? layout.source : i % layout.towers, payload))
  }
}

async function runSim (options: DynamicsOptions, layout: Layout): Promise<{ recorder: Recorder, heapBytesPerTower: number }> {
  let recorder: Recorder | undefined
  const simulation = new Simulation({
    towers: layout.towers,
    messages: 0,
    duration: options.duration,
    seed: options.seed,
    latency: options.latency,
    links: () => layout.links,
    towerOptions: { ...options.towerOptions, sendrate: options.sendrate },
    onStart: sim => {
      recorder = new Recorder(sim.towers, () => sim.clock.now(), options.payloadBytes)
      injectAll(recorder, options, layout, id => sim.ledger.inject(id))
    },
    onSample: () => {
      const frame = recorder?.sample(simulation.network.bytesInTransit)
      if (frame !== undefined) options.onFrame?.(frame)
    }
  })
  const summary = await simulation.run()
  return { recorder: recorder as Recorder, heapBytesPerTower: summary.heapBytesPerTower }
}

/** 127.0.x.y for tower i: 250 towers per third octet, from 127.0.1.2 (127.0.0.1 is left alone). */
export function loopbackHost (index: number): string {
  return `127.0.${1 + Math.floor(index / 250)}.${2 + (index % 250)}`
}

/** Towers started at once: TLS listeners and their first dials in bursts the event loop absorbs. */
const START_BATCH = 50

async function runReal (options: DynamicsOptions, layout: Layout): Promise<Recorder> {
  const { key, cert } = await generateCertificate({ hostname: 'localhost' })
  // One transport for every tower (they share the key pair); with added latency, one meter of what the wire holds.
  const tls = new TlsTransport({ key, cert, ca: undefined, handshakeTimeout: options.towerOptions.handshakeTimeout ?? DEFAULT_OPTIONS.handshakeTimeout, mutual: false })
  const delayed = options.realLatency > 0 ? new DelayedTransport(tls, options.realLatency) : undefined
  const transport = delayed ?? tls
  const towers: Observed[] = []
  try {
    for (let first = 0; first < layout.towers; first += START_BATCH) {
      const batch = []
      for (let i = first; i < Math.min(layout.towers, first + START_BATCH); i++) {
        const tower = new Tower()
        batch.push(tower.init({ ...options.towerOptions, transport, hostname: loopbackHost(i), port: 0, sendrate: options.sendrate }).then(() => tower))
      }
      for (const tower of await Promise.all(batch)) towers.push({ name: tower.hostname, tower })
    }
    for (const [a, b] of layout.links) {
      const to = towers[b] as Observed
      ;(towers[a] as Observed).tower.expand(to.name, to.tower.port)
    }
    const recorder = new Recorder(towers, () => performance.now(), options.payloadBytes)
    injectAll(recorder, options, layout)
    for (let second = 1; second <= options.duration; second++) {
      await sleepUntil(recorder, second * 1000)
      const frame = recorder.sample(delayed?.bytesInTransit)
      options.onFrame?.(frame)
      if (options.until?.(frame, layout) === true) break
    }
    return recorder
  } finally {
    await Promise.all(towers.map(({ tower }) => tower.close({ drain: false })))
  }
}

async function sleepUntil (recorder: Recorder, ms: number): Promise<void> {
  const wait = ms - recorder.elapsed()
  if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
}
