/**
 * How a tower reaches other towers: it listens, it dials, and each
 * connection is a byte stream. Production wires node:tls (tls-transport.ts);
 * the simulator (`clacks/sim`) wires an in-memory network in virtual time.
 * Links and inbound connections see only these interfaces, so the same
 * conversation code runs on both.
 */

/**
 * One connection's bytes, both ways: the part of a Node socket the framing
 * layer uses. A `TLSSocket` is one. Events: `'data'` (a chunk), `'drain'`
 * (writes may go on after write() returned false), `'error'`, `'close'` (once).
 */
export interface ByteStream {
  /** Queues bytes; `done` runs once they are written (or the stream failed). False past the high-water mark. */
  write (bytes: Uint8Array, done?: (error?: Error | null) => void): boolean
  /** Holds writes back until uncork(), so several leave as one. */
  cork (): void
  uncork (): void
  /** Ends this side after what is queued; the other side sees the stream close. */
  end (): void
  /** Closes at once; with `error`, 'error' is emitted first. */
  destroy (error?: Error): void
  /** Bytes queued and not yet written. */
  readonly writableLength: number
  readonly destroyed: boolean
  /** The other side's address, as the network layer saw it (an IP address for TCP). */
  readonly remoteAddress: string | undefined
  on (event: 'data', listener: (chunk: Buffer) => void): this
  on (event: 'drain' | 'close', listener: () => void): this
  on (event: 'error', listener: (error: Error) => void): this
}

/** Where to dial. */
export interface DialTarget {
  hostname: string
  port: number
}

/** A listening endpoint. */
export interface Listener {
  /** The bound port (the one chosen when 0 was asked for). */
  readonly port: number
  /** Incoming connections that failed before they carried Clacks (TLS handshakes, wrong protocol), for stats. */
  readonly handshakeFailures: number
  /** Stops accepting; open connections are the tower's to end. */
  close (): Promise<void>
}

/** What a dial learned of the tower it reached. */
export interface PeerIdentity {
  /** SHA-256 of the public key it showed, hex (what trust 'tofu' pins); undefined when it showed none. */
  publicKey: string | undefined
}

export interface Transport {
  /**
   * Listens on `bind:port` (every interface when `bind` is undefined; any free
   * port for 0). `accept` gets each incoming connection once it carries
   * Clacks (for TLS: the handshake is done and ALPN is `clacks/1`). Rejects
   * with a ListenError when the address cannot be had.
   */
  listen (bind: string | undefined, port: number, accept: (stream: ByteStream) => void): Promise<Listener>
  /**
   * Opens a connection; `ready` runs once it carries Clacks, with what the
   * other side showed of itself. A connection that fails first reports
   * through the stream's 'error' and 'close'.
   */
  dial (target: DialTarget, ready: (peer: PeerIdentity) => void): ByteStream
}
