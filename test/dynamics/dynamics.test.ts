import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { GifReader } from 'omggif'
import t from 'tap'
import { gifFrames, MARKER, PALETTE, RAMP } from '../../src/dynamics/heatmap.js'
import { makeLayout } from '../../src/dynamics/layout.js'
import { writeReport } from '../../src/dynamics/report.js'
import { runDynamics } from '../../src/dynamics/run.js'

t.test('layouts: the grid knows 8 neighbours and its far tower is the opposite corner', async t => {
  const grid = makeLayout('grid', 5, 5)
  t.equal(grid.links.filter(([a]) => a === 12).length, 8, 'a middle tower starts with 8 neighbours')
  t.equal(grid.links.filter(([a]) => a === 0).length, 3, 'a corner starts with 3')
  t.equal(grid.far, 24, 'far corner')
  t.equal(makeLayout('ring', 10, 1).far, 5, 'a ring\'s far tower is half way round')
  const star = makeLayout('star', 4, 4)
  t.equal(star.links.length, 30, 'star: hub and spokes both ways')
})

t.test('a 5 x 5 grid of real towers: the message reaches the far corner, discovery completes, and the report is well-formed', async t => {
  const run = await runDynamics({
    engine: 'real',
    width: 5,
    height: 5,
    messages: 1,
    sendrate: 100,
    // A bound, not a sleep: the run stops as soon as both have happened.
    duration: 25,
    until: (frame, layout) => frame.discovered >= 1 && (frame.visits[layout.far] ?? 0) > 0
  })
  t.ok(run.farReachedMs !== undefined && run.farReachedMs > 0, `far corner reached after ${run.farReachedMs} ms`)
  t.ok(run.saturationS !== undefined, `every tower knew every other after ${run.saturationS} s`)
  const last = run.frames.at(-1)
  t.ok(last !== undefined && last.known.every(k => k === 24), 'each of the 25 towers knows the 24 others')
  t.equal(run.firstArrival[0], Math.min(...run.firstArrival), 'the source holds the message first')
  t.ok((last?.visits.reduce((s, v) => s + v, 0) ?? 0) > 25, 'the message kept moving')

  const dir = mkdtempSync(join(tmpdir(), 'clacks-dynamics-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const files = writeReport(dir, run, 'clacks dynamics --engine real --width 5 --height 5')

  const gifBytes = readFileSync(join(dir, 'heatmap.gif'))
  const gif = new GifReader(gifBytes)
  t.equal(gif.numFrames(), gifFrames(run.frames).length, 'one GIF frame per recorded second (every k-th in a long run)')
  const rgba = new Uint8Array(gif.width * gif.height * 4)
  for (let f = 0; f < gif.numFrames(); f++) gif.decodeAndBlitFrameRGBA(f, rgba)
  // The last frame: the source's top-left pixel is the white marker; the far corner's cell centre is a ramp colour.
  t.same([...rgba.slice(0, 3)], PALETTE[MARKER], 'source ringed in white')
  const cell = gif.height / 5
  const centre = ((gif.height - cell / 2) * gif.width + (4 * cell + cell / 2)) * 4
  const colour = [...rgba.slice(centre, centre + 3)]
  t.ok(PALETTE.slice(0, RAMP).some(c => c.every((v, i) => v === colour[i])), `the far corner shows a heat colour (${colour.join(',')})`)

  const parser = new XMLParser({ ignoreAttributes: false })
  for (const file of files.filter(f => f.endsWith('.svg'))) {
    const svg = readFileSync(join(dir, file), 'utf8')
    t.equal(XMLValidator.validate(svg), true, `${file} is well-formed XML`)
    const root = parser.parse(svg) as { svg?: { '@_xmlns'?: string } }
    t.equal(root.svg?.['@_xmlns'], 'http://www.w3.org/2000/svg', `${file} is an SVG document`)
  }

  const html = readFileSync(join(dir, 'index.html'), 'utf8')
  t.match(html, /clacks dynamics --engine real --width 5 --height 5/, 'the report names its command')
  const embedded = /src="data:image\/gif;base64,([A-Za-z0-9+/=]+)"/.exec(html)?.[1]
  t.ok(embedded !== undefined && Buffer.from(embedded, 'base64').equals(gifBytes), 'the GIF is embedded, byte for byte')
  const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? []
  t.equal(svgs.length, files.filter(f => f.endsWith('.svg')).length, 'every chart is inline')
  for (const svg of svgs) t.equal(XMLValidator.validate(svg), true, 'inline SVG is well-formed')
  const json = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { farReachedMs: number }
  t.equal(json.farReachedMs, run.farReachedMs, 'run.json carries the numbers')
})
