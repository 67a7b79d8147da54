import type { TcpNetConnectOpts } from 'node:net'
import { connect, type ConnectionOptions, createSecureContext, createServer, type SecureContext, type Server, type TLSSocket } from 'node:tls'
import { isIpv4Loopback } from '../core/address-range.js'
import { ListenError, ProtocolError } from '../errors.js'
import type { ByteStream, DialTarget, Listener, PeerIdentity, Transport } from './transport.js'
import { publicKeyFingerprint } from './trust.js'

export const ALPN_PROTOCOL = 'clacks/1'

export interface TlsSettings {
  /** This tower's key and certificate, PEM. */
  key: string | Buffer
  cert: string | Buffer
  /** Verify peers' certificates against this CA; without it any certificate is taken (towers are self-signed). */
  ca: string | Buffer | undefined
  /** Bound on an incoming TLS handshake, rather than Node's two minutes. */
  handshakeTimeout: number
  /** Mutual TLS (trust 'ca'): dialers show their certificate too, and the listener requires one signed by `ca`. */
  mutual: boolean
  /**
   * The IPv4 loopback address the tower listens on, if it does (127.0.0.2, say):
   * dials to other loopback addresses leave from it, as a tower on its own
   * host would, rather than all from 127.0.0.1.
   */
  loopbackSource?: string
}

/**
 * The production transport: TLS 1.3 over TCP, ALPN "clacks/1" both ways,
 * Nagle off. A connection that does not negotiate clacks/1 is closed before
 * a byte of Clacks is read or written.
 */
export class TlsTransport implements Transport {
  readonly #settings: TlsSettings
  /** The TLS settings of every dial, made once: a context per dial cost more than the rest of it. */
  readonly #dialContext: SecureContext

  constructor (settings: TlsSettings) {
    this.#settings = settings
    this.#dialContext = createSecureContext({ minVersion: 'TLSv1.3', ca: settings.ca, ...(settings.mutual ? { key: settings.key, cert: settings.cert } : {}) })
  }

  async listen (bind: string | undefined, port: number, accept: (stream: ByteStream) => void): Promise<Listener> {
    const listener = new TlsListener(this.#settings, accept)
    await listener.listen(bind, port)
    return listener
  }

  dial (target: DialTarget, ready: (peer: PeerIdentity) => void): ByteStream {
    const options: ConnectionOptions & TcpNetConnectOpts = {
      host: target.hostname,
      port: target.port,
      ALPNProtocols: [ALPN_PROTOCOL],
      secureContext: this.#dialContext,
      rejectUnauthorized: this.#settings.ca !== undefined,
      servername: isIpLiteral(target.hostname) ? undefined : target.hostname,
      // Towers on one machine's loopback addresses then look to each other like the separate
      // hosts they stand for: otherwise every connection comes from 127.0.0.1, one source for the
      // per-source bounds, and the hint budget of one host throttles the whole local network.
      localAddress: this.#settings.loopbackSource !== undefined && isIpv4Loopback(target.hostname) ? this.#settings.loopbackSource : undefined
    }
    // tls.connect hands the TCP options (localAddress among them) to net.connect; @types/node leaves them out.
    const socket: TLSSocket = connect(options)
    socket.setNoDelay(true)
    socket.once('secureConnect', () => {
      if (socket.alpnProtocol !== ALPN_PROTOCOL) socket.destroy(new ProtocolError(`peer does not speak ${ALPN_PROTOCOL}`))
      else ready({ publicKey: publicKeyFingerprint(socket.getPeerCertificate()) })
    })
    return socket
  }
}

/** The TLS listener: TLS 1.3 only, ALPN "clacks/1", the TLS handshake bounded by the tower's handshake timeout. */
class TlsListener implements Listener {
  readonly #server: Server
  port = 0
  /** TLS handshakes that failed (bad clients, scanners, timeouts). */
  handshakeFailures = 0

  constructor (settings: TlsSettings, accept: (stream: ByteStream) => void) {
    this.#server = createServer({
      key: settings.key,
      cert: settings.cert,
      minVersion: 'TLSv1.3',
      ALPNProtocols: [ALPN_PROTOCOL],
      handshakeTimeout: settings.handshakeTimeout,
      // A closed network: a stranger is refused in the TLS handshake, before a frame is read.
      ...(settings.mutual ? { requestCert: true, rejectUnauthorized: true, ca: settings.ca } : {})
    }, socket => {
      // A client that offered no ALPN at all is not a Clacks tower.
      if (socket.alpnProtocol !== ALPN_PROTOCOL) {
        socket.destroy()
        return
      }
      socket.setNoDelay(true)
      accept(socket)
    })
    this.#server.on('tlsClientError', (_error, socket) => {
      this.handshakeFailures++
      socket.destroy()
    })
  }

  listen (bind: string | undefined, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        const where = `${bind ?? '*'}:${port}`
        const why = error.code === 'EADDRINUSE'
          ? 'the port is already in use (choose another with the port option, or 0 for any free port)'
          : error.code === 'EADDRNOTAVAIL' ? 'that address is not one of this machine\'s' : error.message
        reject(new ListenError(`cannot listen on ${where}: ${why}`, { cause: error, reason: error.code }))
      }
      this.#server.once('error', onError)
      this.#server.listen(port, bind, () => {
        this.#server.off('error', onError)
        const address = this.#server.address()
        this.port = typeof address === 'object' && address !== null ? address.port : port
        resolve()
      })
    })
  }

  close (): Promise<void> {
    return new Promise(resolve => this.#server.close(() => resolve()))
  }
}

function isIpLiteral (hostname: string): boolean {
  return /^[\d.]+$/.test(hostname) || hostname.includes(':')
}
