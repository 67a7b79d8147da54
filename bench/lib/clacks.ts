/**
 * Loads the library under test: the compiled `dist/` that users run (`npm run
 * bench` builds it first), or `src/` through tsx when there is no build or
 * CLACKS_BENCH_SOURCE=src. The types always come from `src/`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type * as ClacksModule from '../../src/index.js'

export type Clacks = typeof ClacksModule

/**
 * The repository. A worker compiled into build/ (see workers.ts) is told by
 * its parent where it is; run from source, this file is two levels down.
 */
export const repoRoot = process.env.CLACKS_BENCH_ROOT ?? fileURLToPath(new URL('../../', import.meta.url))
const distIndex = join(repoRoot, 'dist', 'index.js')

/** Which copy of the library the workers load. */
export function librarySource (): 'dist' | 'src' {
  return process.env.CLACKS_BENCH_SOURCE !== 'src' && existsSync(distIndex) ? 'dist' : 'src'
}

export async function loadClacks (): Promise<Clacks> {
  const file = librarySource() === 'dist' ? distIndex : join(repoRoot, 'src', 'index.ts')
  return await import(pathToFileURL(file).href) as Clacks
}

function newestMtime (dir: string, depth = 0): number {
  let newest = 0
  if (depth > 8) return newest
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path, depth + 1))
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs)
  }
  return newest
}

/** A warning when dist/ is older than src/ (the bench would measure old code), else undefined. */
export function staleBuildWarning (): string | undefined {
  if (librarySource() !== 'dist') return undefined
  const built = statSync(distIndex).mtimeMs
  const edited = newestMtime(join(repoRoot, 'src'))
  return edited > built ? 'dist/ is older than src/: run `npm run build` (npm run bench does) or these figures are for the previous build' : undefined
}
