/**
 * The pages' files, read once from the static folder beside this module
 * (copied into dist/ by the build, uPlot's too), served
 * under a Content-Security-Policy that allows nothing but this origin's own
 * scripts, styles and event stream.
 */
import { existsSync, readFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runtimeError } from '../exit.js'

const STATIC_DIR = new URL('./static/', import.meta.url)

/**
 * Files of libraries, found in node_modules when the static folder lacks
 * them: it does when running from src/ (tests), not from dist/, where the
 * build copied them (scripts/copy-static.mjs) and node_modules may not have them.
 */
const VENDOR: Record<string, string> = {
  'uPlot.iife.min.js': 'uplot/dist/uPlot.iife.min.js',
  'uPlot.min.css': 'uplot/dist/uPlot.min.css'
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml'
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

/** Headers every page and asset is sent with. */
export const PAGE_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache'
}

export class Assets {
  readonly #files = new Map<string, { type: string, body: Buffer }>()

  /** `names` are file names in the static folder; a missing one fails here, at start. */
  constructor (names: readonly string[]) {
    for (const name of names) {
      const path = locate(name)
      try {
        this.#files.set(name, { type: TYPES[extname(name)] ?? 'application/octet-stream', body: readFileSync(path) })
      } catch (error) {
        throw runtimeError(`the dashboard's file ${path} is missing: run "npm run build"`, error)
      }
    }
  }

  has (name: string): boolean {
    return this.#files.has(name)
  }

  /** Writes the file `name` (which must be one of this set's). */
  serve (response: ServerResponse, name: string, head: boolean): void {
    const file = this.#files.get(name)
    if (file === undefined) throw new RangeError(`no asset ${name}`)
    response.writeHead(200, { ...PAGE_HEADERS, 'Content-Type': file.type, 'Content-Length': file.body.length })
    response.end(head ? undefined : file.body)
  }
}

function locate (name: string): string {
  const path = fileURLToPath(new URL(name, STATIC_DIR))
  const vendor = VENDOR[name]
  if (vendor === undefined || existsSync(path)) return path
  try {
    return createRequire(import.meta.url).resolve(vendor)
  } catch {
    return path
  }
}
