// Copies the dashboard's static files, and uPlot's from node_modules, into
// dist/ beside the compiled modules that serve them: the pages need no
// network access and no bundler.
import { cpSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const target = join(root, 'dist/cli/dashboard/static')
mkdirSync(target, { recursive: true })
cpSync(join(root, 'src/cli/dashboard/static'), target, { recursive: true })
const uplot = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'))
for (const name of ['uPlot.iife.min.js', 'uPlot.min.css']) cpSync(join(uplot, name), join(target, name))
