import { createServer, type Server, type TLSSocket } from 'node:tls'
import { ListenError } from '../errors.js'
import { ALPN_PROTOCOL } from './link.js'

export interface ServerSettings {
  key: string | Buffer
  cert: string | Buffer
  bind: string | undefined
  port: number
  handshakeTimeout: number
  /** When set (trust 'ca'), dialers must show a certificate signed by this CA, checked in the TLS handshake. */
  clientCa: string | Buffer | undefined
}

/**
 * The TLS listener: TLS 1.3 only, ALPN "clacks/1", the TLS handshake bounded
 * by the tower's handshake timeout rather than Node's two minutes. Each
 * secured socket goes to `accept`.
 */
export class TowerServer {
  readonly #server: Server
  /** TLS handshakes that failed (bad clients, scanners, timeouts), counted for stats. */
  tlsFailures = 0

  constructor (settings: ServerSettings, accept: (socket: TLSSocket) => void) {
    this.#server = createServer({
      key: settings.key,
      cert: settings.cert,
      minVersion: 'TLSv1.3',
      ALPNProtocols: [ALPN_PROTOCOL],
      handshakeTimeout: settings.handshakeTimeout,
      ...(settings.clientCa === undefined ? {} : { requestCert: true, rejectUnauthorized: true, ca: settings.clientCa })
    }, socket => {
      // A client that offered no ALPN at all is not a Clacks tower.
      if (socket.alpnProtocol !== ALPN_PROTOCOL) socket.destroy()
      else accept(socket)
    })
    this.#server.on('tlsClientError', (_error, socket) => {
      this.tlsFailures++
      socket.destroy()
    })
  }

  /** Starts listening; resolves with the bound port. */
  listen (bind: string | undefined, port: number): Promise<number> {
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
        resolve(typeof address === 'object' && address !== null ? address.port : port)
      })
    })
  }

  /** Stops accepting; open connections are the tower's to end. */
  close (): Promise<void> {
    return new Promise(resolve => this.#server.close(() => resolve()))
  }
}
