/** Seeds 101 to 200 of the faulty scenario, each checked by the conservation oracle (the other half runs in parallel). */
import t from 'tap'
import { Simulation } from '../../src/sim/index.js'
import { faultyScenario, seedRange } from './scenario.js'

t.test('seeds 101-200: every message held exactly once, losses only with crashed or departed towers', async t => {
  const faults = { crashes: 0, leaves: 0, joins: 0, resets: 0, partitions: 0, ignores: 0, duplicatedAfterCrash: 0 }
  for (const seed of seedRange(101, 100)) {
    const simulation = new Simulation(faultyScenario(seed))
    try {
      const summary = await simulation.run()
      for (const key of Object.keys(faults) as Array<keyof typeof faults>) faults[key] += summary[key]
      if (summary.conserved + summary.lostByCrash + summary.lostByLeave !== summary.injected) t.fail(`seed ${seed}: the ledger does not add up`)
    } catch (error) {
      t.fail(`seed ${seed}: ${(error as Error).message}`)
    }
  }
  t.pass(`100 seeds conserved every message (${JSON.stringify(faults)})`)
  t.ok(faults.crashes > 0 && faults.leaves > 0 && faults.joins > 0 && faults.resets > 0 && faults.partitions > 0 && faults.ignores > 0, 'and every kind of fault happened')
})
