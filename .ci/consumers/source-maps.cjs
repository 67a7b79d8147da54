// Every source map shipped carries the sources it names: the package has no src/ for them to point at.
const assert = require('node:assert')
const { readdirSync, readFileSync } = require('node:fs')
const { join } = require('node:path')

const dist = join(__dirname, 'node_modules', 'clacks', 'dist')
const maps = readdirSync(dist, { recursive: true }).filter(file => String(file).endsWith('.map'))
assert.ok(maps.length > 0, 'the package ships source maps')
for (const file of maps) {
  const map = JSON.parse(readFileSync(join(dist, String(file)), 'utf8'))
  assert.equal(map.sourcesContent?.length, map.sources.length, `${file}: sourcesContent for every source`)
  assert.ok(map.sourcesContent.every(content => typeof content === 'string' && content.length > 0), `${file}: no empty source`)
}
console.log(`source maps: ${maps.length}, each with its sources`)
