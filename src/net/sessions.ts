/**
 * The acceptor's memory of each dialer's session: how far it has settled and
 * which recent messages it refused. This is what lets a dialer whose
 * connection broke learn exactly which in-doubt messages arrived.
 */
export interface InboundSession {
  /** The session id the dialer chose for its link, hex. */
  readonly id: string
  /** The instance id of the dialer that started it, hex: only that instance resumes it. */
  readonly dialer: string
  /** The highest sequence number settled (held or refused). */
  settled: number
  /** Refused sequence numbers within the last window below `settled`, ascending. */
  refused: number[]
  /** The open connection carrying this session, if any. */
  connection: { replace (): void } | undefined
  /** When its connection broke without a goodbye (the dialer may hold messages in doubt), until it resumes. */
  brokenAt: number | undefined
}

/**
 * Sessions by id, least recently used first. Bounded: when full,
 * the least recently used session without a connection is forgotten (a dialer
 * resuming it then re-sends its in-doubt messages, which may duplicate them).
 */
export class SessionTable {
  readonly #sessions = new Map<string, InboundSession>()

  constructor (readonly maxSessions: number, readonly window: number) {}

  get size (): number {
    return this.#sessions.size
  }

  /** The session to resume, or undefined when there is none to resume. */
  find (id: string): InboundSession | undefined {
    return this.#sessions.get(id)
  }

  /** A fresh session under this id, replacing any earlier one. */
  start (id: string, dialer: string): InboundSession {
    this.#sessions.delete(id)
    this.#evictIfFull()
    const session: InboundSession = { id, dialer, settled: 0, refused: [], connection: undefined, brokenAt: undefined }
    this.#sessions.set(id, session)
    return session
  }

  /** Marks a session as just used, so it is evicted last. */
  touch (session: InboundSession): void {
    this.#sessions.delete(session.id)
    this.#sessions.set(session.id, session)
  }

  /** Whether a session broke at or after `since` and has not resumed: its dialer may still come back to settle. */
  brokenSince (since: number): boolean {
    for (const session of this.#sessions.values()) {
      if (session.brokenAt !== undefined && session.brokenAt >= since) return true
    }
    return false
  }

  noteRefused (session: InboundSession, seq: number): void {
    session.refused.push(seq)
    const oldest = seq - this.window
    let drop = 0
    while (drop < session.refused.length && (session.refused[drop] as number) <= oldest) drop++
    if (drop > 0) session.refused.splice(0, drop)
  }

  #evictIfFull (): void {
    if (this.#sessions.size < this.maxSessions) return
    for (const session of this.#sessions.values()) {
      if (session.connection === undefined) {
        this.#sessions.delete(session.id)
        return
      }
    }
  }
}
