/**
 * What /healthz and /readyz answer for an orchestrator.
 *
 *   live   the process is serving (it answers at all).
 *   ready  the tower listens, and, when it was given peers to bootstrap from,
 *          at least one handshake with a peer has succeeded; never while it
 *          drains for a stop, so that no new work is routed to it.
 */
import type { Tower } from '../index.js'

export interface Readiness {
  ready: boolean
  /** Why not, one phrase each; empty when ready. */
  reasons: string[]
}

export class Health {
  #listening = false
  #handshake = false
  #draining = false

  constructor (tower: Tower, readonly needsPeer: boolean) {
    // 'alive' is a handshake that succeeded, as sender or recipient; once is enough.
    const seen = (peer: { status: string }): void => { if (peer.status === 'alive') this.#handshake = true }
    tower.on('updated', seen)
    tower.on('discovered', seen)
  }

  /** The tower's server is up. */
  listening (): void {
    this.#listening = true
  }

  /** A stop began: from now on the tower hands its messages away. */
  draining (): void {
    this.#draining = true
  }

  get isDraining (): boolean {
    return this.#draining
  }

  readiness (): Readiness {
    const reasons: string[] = []
    if (!this.#listening) reasons.push('not listening yet')
    if (this.needsPeer && !this.#handshake) reasons.push('no handshake with a peer yet')
    if (this.#draining) reasons.push('draining for a stop')
    return { ready: reasons.length === 0, reasons }
  }
}
