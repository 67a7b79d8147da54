/**
 * The suite's own acceptor, for the cases that check the tower under test
 * as a dialer: it listens where the suite says it lives, and hands over each
 * connection the tower opens, TLS up, nothing answered.
 */
import { createServer, type Server } from 'node:tls'
import { ConnectionError } from '../errors.js'
import { generateCertificate } from '../net/certs.js'
import type { TowerAddress } from '../tower/address.js'
import { ConformancePeer } from './peer.js'

export class SuiteAcceptor {
  readonly #server: Server
  readonly #connections: ConformancePeer[] = []
  #taken = 0
  #waiters: Array<() => void> = []
  address: TowerAddress = { hostname: '', port: 0 }

  private constructor (key: string, cert: string) {
    this.#server = createServer({ key, cert, minVersion: 'TLSv1.3', ALPNProtocols: ['clacks/1'] }, socket => {
      this.#connections.push(ConformancePeer.accepted(socket))
      const waiters = this.#waiters
      this.#waiters = []
      for (const waiter of waiters) waiter()
    })
    this.#server.on('tlsClientError', () => {})
  }

  /** Listens on `bind` (port 0: any free one); `address` then says where. */
  static async listen (bind: TowerAddress): Promise<SuiteAcceptor> {
    const { key, cert } = await generateCertificate({ hostname: bind.hostname })
    const acceptor = new SuiteAcceptor(key, cert)
    await new Promise<void>((resolve, reject) => {
      acceptor.#server.once('error', reject)
      acceptor.#server.listen(bind.port, bind.hostname, () => resolve())
    })
    const { port } = acceptor.#server.address() as { port: number }
    acceptor.address = { hostname: bind.hostname, port }
    return acceptor
  }

  /** The next connection the tower opened; rejects after `ms`. */
  async accept (ms: number): Promise<ConformancePeer> {
    const deadline = Date.now() + ms
    for (;;) {
      const connection = this.#connections[this.#taken]
      if (connection !== undefined) {
        this.#taken++
        return connection
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new ConnectionError(`the tower did not connect to ${this.address.hostname}:${this.address.port} within ${ms} ms`)
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }

  close (): Promise<void> {
    for (const connection of this.#connections) connection.destroy()
    return new Promise(resolve => this.#server.close(() => resolve()))
  }
}
