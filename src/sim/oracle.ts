import { ClacksError } from '../errors.js'
import type { Tower } from '../tower/tower.js'

/** The conservation oracle found a message held twice, or lost where no crash explains it. */
export class ConservationViolation extends ClacksError {
  constructor (message: string, readonly ids: readonly string[]) {
    super('CLACKS_ERR_SIM_VIOLATION', message)
  }
}

export interface Holdings {
  /** Injected messages held somewhere right now. */
  held: number
  /** Holdings per live tower (queue and in flight), for the spread. */
  perTower: number[]
}

/**
 * The ledger beside the network: which messages were injected, and which
 * went down with a crashed tower (or were left by one that closed before it
 * could hand them on). Checked against what the live towers hold:
 *
 * - no message is queued in two towers at once (a message in flight is
 *   still the sender's until acknowledged, so it may also sit in the
 *   receiver's queue for that long — but never in two queues);
 * - every injected message is held by a live tower, unless it was in the
 *   custody of a tower that crashed or left: losing exactly that is allowed.
 *
 * One duplicate is allowed, and counted: a message in flight (to anyone)
 * when a tower crashed. A sender whose connection broke before the Ack holds
 * it in doubt; if the receiver then crashed after passing it on, the sender
 * re-queues it when the receiver is declared dead (PROTOCOL.md §11), and
 * the copy passed on lives on. The simulator found this (seed 173 of the
 * sweep); it is the crash-side twin of the partition duplicate.
 */
export class Ledger {
  readonly #injected = new Set<string>()
  /** Ids a crashed or departed tower held when it went, and how it went: the only ones allowed to go missing. */
  readonly #mayBeGone = new Map<string, 'crash' | 'leave'>()
  readonly #gone = new Set<string>()
  /** Ids in flight somewhere when a tower crashed: held twice later is the documented duplicate. */
  readonly #mayDuplicate = new Set<string>()
  readonly #duplicated = new Set<string>()
  /** Messages gone with a crashed tower, and left by towers that closed. */
  lostByCrash = 0
  lostByLeave = 0

  inject (id: string): void {
    this.#injected.add(id)
  }

  get injected (): number {
    return this.#injected.size
  }

  get lost (): number {
    return this.#gone.size
  }

  /** A tower is about to crash: what it holds may vanish with it; what others have in flight may come back twice. */
  crashing (tower: Tower, others: Iterable<Tower>): void {
    for (const message of tower.peek({ inFlight: true })) this.#mayBeGone.set(message.id, 'crash')
    for (const other of others) {
      const queued = new Set(other.peek().map(message => message.id))
      for (const message of other.peek({ inFlight: true })) if (!queued.has(message.id)) this.#mayDuplicate.add(message.id)
    }
  }

  /** Messages held twice after a crash (see the class comment). */
  get duplicatedAfterCrash (): number {
    return this.#duplicated.size
  }

  /** A tower closed: what it still held (left after its drain) is gone with it. */
  left (tower: Tower): void {
    for (const message of tower.peek({ inFlight: true })) this.#mayBeGone.set(message.id, 'leave')
  }

  /**
   * Checks the live towers; throws a ConservationViolation. `strict` (once
   * the network is settled, nothing in flight that can still be settled):
   * every message is held exactly once, queue and in flight together.
   */
  check (towers: Iterable<Tower>, strict = false): Holdings {
    const queued = new Map<string, number>()
    const held = new Map<string, number>()
    const perTower: number[] = []
    const twice: string[] = []
    const heldTwice = (id: string): void => {
      if (!this.#injected.has(id)) return
      if (this.#mayDuplicate.has(id)) this.#duplicated.add(id)
      else twice.push(id)
    }
    for (const tower of towers) {
      // One look per tower: peek lists the queue first, then what is in flight.
      const all = tower.peek({ inFlight: true })
      const queuedHere = tower.stats().queued
      perTower.push(all.length)
      for (let i = 0; i < all.length; i++) {
        const id = (all[i] as { id: string }).id
        const count = (held.get(id) ?? 0) + 1
        held.set(id, count)
        if (strict && count === 2) heldTwice(id)
        if (i >= queuedHere) continue
        const queuedCount = (queued.get(id) ?? 0) + 1
        queued.set(id, queuedCount)
        if (!strict && queuedCount === 2) heldTwice(id)
      }
    }
    if (twice.length > 0) throw new ConservationViolation(`${twice.length} message(s) held twice, e.g. ${twice[0]}`, twice)
    const missing: string[] = []
    for (const id of this.#injected) {
      if (held.has(id) || this.#gone.has(id)) continue
      const cause = this.#mayBeGone.get(id)
      if (cause === undefined) {
        missing.push(id)
        continue
      }
      this.#gone.add(id)
      if (cause === 'crash') this.lostByCrash++
      else this.lostByLeave++
    }
    if (missing.length > 0) throw new ConservationViolation(`${missing.length} message(s) lost outside any crash, e.g. ${missing[0]}`, missing)
    return { held: held.size, perTower }
  }
}

/** Gini coefficient of holdings: 0 when every tower holds as much, towards 1 when one holds all. */
export function gini (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const n = sorted.length
  const total = sorted.reduce((sum, v) => sum + v, 0)
  if (n === 0 || total === 0) return 0
  let weighted = 0
  sorted.forEach((v, i) => { weighted += (2 * (i + 1) - n - 1) * v })
  return weighted / (n * total)
}
