/**
 * How a bench worker process is started. Users run Clacks as compiled
 * JavaScript, so the workers run compiled too: `tsc -p tsconfig.bench.json`
 * into build/ (once per bench process), then plain `node`. Under tsx's
 * loader, as they first ran, every worker's heap also held the TypeScript
 * compiler, and the frequent major GCs of large payloads took that much
 * longer: at 64 KiB two towers moved ~40 % fewer hops. Only when the library
 * itself is loaded from src/ (no build) do the workers go through tsx.
 */
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { librarySource, repoRoot } from './clacks.js'

let compiled = false

/** The file and the Node flags that run bench/workers/<script>.ts. */
export function workerCommand (script: string): { file: string, execArgv: string[] } {
  if (librarySource() === 'src') return { file: join(repoRoot, 'bench', 'workers', `${script}.ts`), execArgv: ['--import', 'tsx'] }
  if (!compiled) {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
    execFileSync(process.execPath, [tsc, '-p', join(repoRoot, 'tsconfig.bench.json')], { cwd: repoRoot, stdio: 'inherit' })
    compiled = true
  }
  return { file: join(repoRoot, 'build', 'bench', 'workers', `${script}.js`), execArgv: [] }
}

/** What a worker needs in its environment to find the repository from build/. */
export const WORKER_ENV = { CLACKS_BENCH_ROOT: repoRoot }
