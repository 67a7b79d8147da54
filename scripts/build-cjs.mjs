// The CommonJS copy of the library (require('clacks'), 'clacks/compat', 'clacks/sim'), beside the ES
// modules tsc builds: one bundle per entry point, with `bl` inside (its v7 is an ES module only,
// which require() cannot load) and every other dependency left to require(). The declarations
// come from tsc (tsconfig.cjs.json); dist/cjs/package.json makes Node and TypeScript read both as CommonJS.
import { build } from 'esbuild'
import { readFileSync, writeFileSync } from 'node:fs'

const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
const BUNDLED = ['bl']

const common = {
  outdir: 'dist/cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  external: Object.keys(pkg.dependencies).filter(name => !BUNDLED.includes(name)),
  logLevel: 'warning'
}

await build({ ...common, entryPoints: ['src/index.ts'] })
await build({ ...common, entryPoints: { 'sim/index': 'src/sim/index.ts' } })
await build({
  ...common,
  entryPoints: ['src/compat.ts'],
  // require('clacks/compat') is the constructor itself, as require('clacks-p2p') was; .Clacks and .default name it too.
  footer: { js: 'module.exports = Object.assign(module.exports.Clacks, module.exports);' }
})
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + '\n')
