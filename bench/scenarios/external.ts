/**
 * The micro-benchmarks that live beside this suite, bench/pacer.ts
 * (runPacerBench, pacerTable) and bench/codec.ts (runCodecBench, codecTable),
 * run in this process when they exist. They are loaded by path so that the
 * suite runs, and type-checks, whether or not they are there yet.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Context } from './context.js'

export interface External {
  /** The results as the module returned them. */
  results?: unknown[]
  /** Its own Markdown table, when it exports one. */
  table?: string
  error?: string
  missing?: boolean
}

export async function runExternal (ctx: Context, name: 'pacer' | 'codec'): Promise<External> {
  const file = fileURLToPath(new URL(`../${name}.ts`, import.meta.url))
  if (!existsSync(file)) {
    ctx.progress(`${name}: bench/${name}.ts is not there; skipped`)
    return { missing: true }
  }
  const run = name === 'pacer' ? 'runPacerBench' : 'runCodecBench'
  const tableOf = name === 'pacer' ? 'pacerTable' : 'codecTable'
  try {
    const mod = await import(pathToFileURL(file).href) as Record<string, unknown>
    const runner = mod[run]
    if (typeof runner !== 'function') throw new Error(`bench/${name}.ts does not export ${run}`)
    ctx.progress(`${name}: running bench/${name}.ts ${run}({ quick: ${ctx.settings.quick} })`)
    const results = await (runner as (o: { quick: boolean }) => Promise<unknown>)({ quick: ctx.settings.quick })
    const list = Array.isArray(results) ? results : [results]
    const format = mod[tableOf]
    const table = typeof format === 'function' ? (format as (r: unknown) => string)(results) : genericTable(list)
    ctx.progress(`${name}: ${list.length} results`)
    return { results: list, table }
  } catch (error) {
    return { error: ctx.failed(name, error) }
  }
}

/** A Markdown table of an array of flat objects. */
export function genericTable (rows: unknown[]): string {
  const objects = rows.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null)
  if (objects.length === 0) return '(no results)'
  const keys = [...new Set(objects.flatMap(o => Object.keys(o)))]
  const cell = (v: unknown): string => typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toPrecision(4)) : typeof v === 'object' ? JSON.stringify(v) : String(v)
  return [
    `| ${keys.join(' | ')} |`,
    `|${keys.map(() => '---').join('|')}|`,
    ...objects.map(o => `| ${keys.map(k => o[k] === undefined ? '' : cell(o[k])).join(' | ')} |`)
  ].join('\n')
}
