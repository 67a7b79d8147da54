// Type-checked only: the package's types as an ES module app sees them.
import Clacks, { createTower, type TowerOptions, type ClacksMessage, type CloseSummary } from 'clacks'
import { Clacks as CompatClacks, type CompatOptions } from 'clacks/compat'

const options: Partial<TowerOptions> = { hostname: '127.0.0.1', port: 0 }
const tower = await Clacks().init(options)
tower.onMessageReceived((message: ClacksMessage) => { message.payload.byteLength.toFixed() })
const summary: CloseSummary = await createTower().init(undefined, undefined, options).then(t => t.close())
summary.left.toFixed()
const compatOptions: CompatOptions = { port: '8001', sendrate: 0.5 }
new CompatClacks('key', 'cert', compatOptions).addPeer('localhost', '8002')
