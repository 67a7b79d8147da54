/**
 * Runs the conformance cases one after another against one tower, then
 * checks that it still serves a good dialer, and reports each result as it
 * comes.
 */
import { CASES, STILL_SERVES, type ConformanceCase } from './cases.js'
import { CaseContext, type Outcome, type SuiteSettings, type Verdict } from './context.js'
import { DialerFixture } from './dialer-cases.js'

export interface CaseResult extends Outcome {
  id: string
  section: string
  title: string
  ms: number
}

export interface SuiteOptions extends SuiteSettings {
  /** Skip the cases that wait on the tower's timers. */
  quick: boolean
  /** Run only the cases whose id starts with one of these. */
  only?: string[]
  /** Called with each result as it is known. */
  onResult?: (result: CaseResult) => void
}

export interface SuiteReport {
  target: string
  results: CaseResult[]
  counts: Record<Verdict, number>
  /** Cases left out by --quick or --only. */
  skipped: string[]
}

export async function runConformance (options: SuiteOptions): Promise<SuiteReport> {
  const chosen = CASES.filter(c => options.only === undefined || options.only.some(prefix => c.id.startsWith(prefix)))
  const runs = chosen.filter(c => !(options.quick && c.slow === true))
  const results: CaseResult[] = []
  const dialer = new DialerFixture()
  try {
    for (const conformanceCase of [...runs, STILL_SERVES]) {
      const result = await runCase(conformanceCase, options, dialer)
      results.push(result)
      options.onResult?.(result)
    }
  } finally {
    await dialer.close()
  }
  const counts: Record<Verdict, number> = { pass: 0, fail: 0, info: 0 }
  for (const result of results) counts[result.verdict]++
  return {
    target: `${options.target.hostname}:${options.target.port}`,
    results,
    counts,
    skipped: CASES.filter(c => !runs.includes(c)).map(c => c.id)
  }
}

async function runCase (conformanceCase: ConformanceCase, settings: SuiteSettings, dialer: DialerFixture): Promise<CaseResult> {
  const context = new CaseContext(settings, dialer)
  const started = Date.now()
  let outcome: Outcome
  try {
    outcome = await conformanceCase.run(context)
  } catch (error) {
    outcome = { verdict: 'fail', seen: error instanceof Error ? error.message : String(error) }
  } finally {
    context.cleanup()
  }
  const { id, section, title } = conformanceCase
  return { id, section, title, ...outcome, ms: Date.now() - started }
}
