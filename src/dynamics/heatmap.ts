import gifenc from 'gifenc'
import type { Frame } from './recorder.js'
import type { Layout } from './layout.js'

/**
 * Colour ramp stops (dark blue → teal → yellow → white-hot), perceptually
 * close to "inferno"/"viridis": cold means few visits or few towers known.
 */
const STOPS: ReadonlyArray<[number, number, number]> = [[13, 8, 135], [84, 2, 163], [139, 10, 165], [185, 50, 137], [219, 92, 104], [244, 136, 73], [254, 188, 43], [240, 249, 33]]
/** Colour steps: a coarse ramp reads as well in a heat map, and a 32-colour palette compresses ~3x better than 256. */
export const RAMP = 24
const BACKGROUND = RAMP
export const MARKER = RAMP + 1
const NEVER = RAMP + 2

/** The ramp's colours, then background, marker (source and far tower), never visited. */
export const PALETTE: number[][] = [
  ...Array.from({ length: RAMP }, (_, i) => rampColour(i / (RAMP - 1))),
  [24, 24, 28],
  [255, 255, 255],
  [60, 60, 70],
  // Padding to a power of two: the GIF's colour table size.
  ...Array.from({ length: 32 - RAMP - 3 }, () => [0, 0, 0])
]

function rampColour (x: number): number[] {
  const at = x * (STOPS.length - 1)
  const i = Math.min(STOPS.length - 2, Math.floor(at))
  const f = at - i
  const a = STOPS[i] as [number, number, number]
  const b = STOPS[i + 1] as [number, number, number]
  return a.map((v, k) => Math.round(v + ((b[k] as number) - v) * f))
}

/** Pixels per tower so that the larger side is about 160 px (at least 1): small files for docs. */
export function cellSize (layout: Layout): number {
  return Math.max(1, Math.floor(160 / Math.max(layout.width, layout.height)))
}

const GAP = 6
/** ms each frame shows in the animation. */
const FRAME_DELAY = 250

/**
 * An animated GIF, one frame per recorded second (at most MAX_GIF_FRAMES): visits per tower on the
 * left (log scale against the run's most visited tower), towers known per
 * tower on the right (against the best-informed tower at the end). The source and far tower are
 * ringed in white; towers never visited are grey.
 */
export function heatmapGif (layout: Layout, recorded: readonly Frame[]): Uint8Array {
  const frames = gifFrames(recorded)
  const cell = cellSize(layout)
  const panel = { w: layout.width * cell, h: layout.height * cell }
  const width = panel.w * 2 + GAP
  const height = panel.h
  const maxVisits = Math.max(1, ...(frames.at(-1)?.visits ?? [1]))
  const logMax = Math.log1p(maxVisits)
  // Against the best-informed tower at the end: with one message, a large grid knows a few % of pairs, which an absolute scale shows as flat.
  const others = Math.max(1, ...(frames.at(-1)?.known ?? [1]))
  const gif = gifenc.GIFEncoder()
  frames.forEach((frame, f) => {
    const pixels = new Uint8Array(width * height).fill(BACKGROUND)
    for (let i = 0; i < layout.towers; i++) {
      const visits = frame.visits[i] as number
      const visitColour = visits === 0 ? NEVER : ramp(Math.log1p(visits) / logMax)
      const knownColour = ramp((frame.known[i] as number) / others)
      const x = (i % layout.width) * cell
      const y = Math.floor(i / layout.width) * cell
      const marked = i === layout.source || i === layout.far
      fill(pixels, width, x, y, cell, visitColour, marked)
      fill(pixels, width, x + panel.w + GAP, y, cell, knownColour, marked)
    }
    gif.writeFrame(pixels, width, height, { palette: PALETTE, delay: f === frames.length - 1 ? FRAME_DELAY * 8 : FRAME_DELAY, ...(f === 0 ? { repeat: 0 } : {}) })
  })
  gif.finish()
  return gif.bytes()
}

/** Frames a GIF shows at most: a long run shows every k-th second (and the last), to keep the file small. */
const MAX_GIF_FRAMES = 16

/** The recorded frames the GIF shows. */
export function gifFrames (frames: readonly Frame[]): Frame[] {
  const stride = Math.ceil(frames.length / MAX_GIF_FRAMES)
  return frames.filter((_, i) => i % stride === stride - 1 || i === frames.length - 1)
}

function ramp (x: number): number {
  return Math.round(Math.min(1, Math.max(0, x)) * (RAMP - 1))
}

function fill (pixels: Uint8Array, stride: number, x: number, y: number, cell: number, colour: number, marked: boolean): void {
  for (let dy = 0; dy < cell; dy++) {
    for (let dx = 0; dx < cell; dx++) {
      const edge = dx === 0 || dy === 0 || dx === cell - 1 || dy === cell - 1
      pixels[(y + dy) * stride + x + dx] = marked && (edge || cell < 3) ? MARKER : colour
    }
  }
}
