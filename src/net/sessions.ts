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
  /** The source group of the connection that started it (see sourceGroup), for the per-source bound. */
  readonly source: string
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
 * Sessions by id, least recently used first. Bounded, and so that strangers
 * cannot push out the sessions that matter: a session forgotten while its
 * dialer holds messages in doubt would make that dialer send them again.
 * When full, a session without a connection is forgotten, in this order:
 *
 * 1. one that never settled a message (a Hello and nothing else),
 * 2. one that ended cleanly (nothing can be in doubt),
 * 3. one whose connection broke (its dialer may hold messages in doubt),
 *
 * least recently used first within each. And one source group holds at most
 * `maxPerSource` sessions: past that it forgets its own, by the same order.
 * Without these, 4,200 cheap Hellos from one stranger made a tower forget a
 * dialer's session with 100 messages in doubt.
 */
export class SessionTable {
  readonly #sessions = new Map<string, InboundSession>()
  readonly #perSource = new Map<string, number>()
  readonly maxPerSource: number

  /** `maxPerSource` defaults to a sixteenth of the table (at least 1). */
  constructor (readonly maxSessions: number, readonly window: number, maxPerSource?: number) {
    this.maxPerSource = maxPerSource ?? Math.max(1, Math.floor(maxSessions / 16))
  }

  get size (): number {
    return this.#sessions.size
  }

  /** The session to resume, or undefined when there is none to resume. */
  find (id: string): InboundSession | undefined {
    return this.#sessions.get(id)
  }

  /** A fresh session under this id, started by dialer instance `dialer` over a connection from `source`, replacing any earlier one. */
  start (id: string, dialer: string, source = ''): InboundSession {
    const earlier = this.#sessions.get(id)
    if (earlier !== undefined) this.#forget(earlier)
    if ((this.#perSource.get(source) ?? 0) >= this.maxPerSource) this.#evictOne(source)
    else if (this.#sessions.size >= this.maxSessions) this.#evictOne()
    const session: InboundSession = { id, dialer, source, settled: 0, refused: [], connection: undefined, brokenAt: undefined }
    this.#sessions.set(id, session)
    this.#perSource.set(source, (this.#perSource.get(source) ?? 0) + 1)
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

  /** Forgets one session without a connection (of `source` only, if given), by the order in the class comment. */
  #evictOne (source?: string): void {
    const candidates = (when: (session: InboundSession) => boolean): InboundSession | undefined => {
      for (const session of this.#sessions.values()) {
        if (session.connection === undefined && (source === undefined || session.source === source) && when(session)) return session
      }
      return undefined
    }
    const victim = candidates(session => session.settled === 0) ??
      candidates(session => session.brokenAt === undefined) ??
      candidates(() => true)
    if (victim !== undefined) this.#forget(victim)
  }

  #forget (session: InboundSession): void {
    this.#sessions.delete(session.id)
    const left = (this.#perSource.get(session.source) ?? 1) - 1
    if (left === 0) this.#perSource.delete(session.source)
    else this.#perSource.set(session.source, left)
  }
}
