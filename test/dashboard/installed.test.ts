/**
 * The dashboard as installed: `clacks start --admin` from dist/ serves the
 * page and every file it loads, uPlot included, from the package alone.
 */
import t from 'tap'
import { get } from 'node:http'
import { join } from 'node:path'
import { assertBuilt, clacks, tempDir } from '../cli/helpers/spawn.js'
import { DASHBOARD_FILES } from '../../src/cli/dashboard/dashboard.js'

assertBuilt()

function fetchStatus (url: string): Promise<{ status: number, type: string, csp: string }> {
  return new Promise((resolve, reject) => {
    get(url, { timeout: 5000 }, response => {
      response.resume()
      resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), csp: String(response.headers['content-security-policy']) })
    }).on('error', reject)
  })
}

t.test('clacks start --admin serves the dashboard from the built package', async t => {
  const tower = clacks(t, ['start', '--hostname', '127.0.0.1', '--port', '0', '--state-dir', join(tempDir(t), 'state'), '--admin', '127.0.0.1:0', '--status-interval', '0'])
  const [, admin] = await tower.waitFor('stderr', /admin endpoint (http:\/\/\S+) \(dashboard at \//) as unknown as [string, string]
  const page = await fetchStatus(`${admin}/`)
  t.match(page, { status: 200, type: /^text\/html/, csp: /default-src 'none'/ })
  for (const name of DASHBOARD_FILES.filter(name => name !== 'dashboard.html')) {
    t.match(await fetchStatus(`${admin}/static/${name}`), { status: 200, csp: /default-src 'none'/ }, name)
  }
})
