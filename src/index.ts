/**
 * Clacks: peer-to-peer messaging where the network itself is the storage.
 * The public surface; tests reach internals through their own modules.
 *
 * @module clacks
 */
export { Tower, createTower, type TowerEvents, type PeekOptions, type CloseOptions, type CloseSummary } from './tower/tower.js'
export { DEFAULT_OPTIONS, type TowerOptions, type MessageFilter, type FilterResult } from './tower/options.js'
export type { ClacksMessage } from './core/message.js'
export type { PeerPolicy, PeerStatus, PeerView } from './tower/peer-table.js'
export type { TowerAddress } from './core/address.js'
export type { TowerStats, TowerCounters } from './tower/stats.js'
export type { PacerRates } from './tower/pacer.js'
export type { TrustMode, UntrustedTower } from './net/trust.js'
export { generateCertificate, checkKeyPair, type GenerateCertificateOptions, type KeyAndCertificate } from './net/certs.js'
export type { Clock } from './core/clock.js'
export type { Transport, ByteStream, DialTarget, Listener, PeerIdentity } from './net/transport.js'
export * from './errors.js'

/** The spec's shape, `import Clacks from 'clacks'; const tower = Clacks()`: the same as createTower(). */
export { createTower as default } from './tower/tower.js'
