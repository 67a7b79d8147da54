/**
 * The files in deploy/ as an operator would use them: the systemd unit
 * passes `systemd-analyze verify` (where systemd is installed); the
 * Kubernetes manifests validate against the Kubernetes schemas
 * (kubernetes-models, offline) and hang together: probes on the admin port,
 * a grace period longer than the drain, the SRV name of the headless Service;
 * and every CLACKS_ setting in either is one `clacks start` accepts.
 */
import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'
import { Service } from 'kubernetes-models/v1'
import { StatefulSet } from 'kubernetes-models/apps/v1'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1'
import { assertBuilt, run } from '../cli/helpers/spawn.js'

assertBuilt()

const DEPLOY = resolve(dirname(fileURLToPath(import.meta.url)), '../../deploy')

/** `clacks config --json` with these variables: exit code, settings, warnings. */
async function configWith (t: Parameters<typeof run>[0], env: Record<string, string>): Promise<{ code: number | null, settings: Record<string, { value: unknown, source: string }>, stderr: string }> {
  const result = await run(t, ['config', '--json'], 30_000, { env })
  return { code: result.code, settings: result.code === 0 ? JSON.parse(result.stdout) as Record<string, { value: unknown, source: string }> : {}, stderr: result.stderr }
}

t.test('systemd unit', async t => {
  const unit = join(DEPLOY, 'systemd', 'clacks.service')
  const text = readFileSync(unit, 'utf8')
  const settings = new Map(text.split('\n').filter(line => /^[A-Za-z]+=/.test(line)).map(line => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]))
  for (const option of ['DynamicUser', 'NoNewPrivileges', 'ProtectSystem', 'ProtectHome', 'PrivateTmp', 'StateDirectory', 'RestrictAddressFamilies', 'SystemCallFilter']) {
    t.ok(settings.has(option), `${option} is set`)
  }

  const envFile = readFileSync(join(DEPLOY, 'systemd', 'clacks.env'), 'utf8')
  const env = Object.fromEntries(envFile.split('\n').filter(line => /^CLACKS_\w+=/.test(line)).map(line => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]))
  const config = await configWith(t, env)
  t.equal(config.code, 0, 'clacks start accepts clacks.env')
  t.equal(config.stderr, '', 'and every variable in it is a setting')
  const drainMs = config.settings['--drain-timeout']?.value as number
  t.ok(Number.parseInt(settings.get('TimeoutStopSec') ?? '0') * 1000 > drainMs + 5000, `TimeoutStopSec leaves the ${drainMs} ms drain room`)

  const analyze = spawnSync('systemd-analyze', ['--version'])
  if (analyze.error !== undefined) {
    t.pass('systemd-analyze verify', { skip: 'systemd-analyze is not installed here' })
    return
  }
  const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' })
  t.same({ status: verify.status, stderr: verify.stderr }, { status: 0, stderr: '' }, 'systemd-analyze verify finds nothing')
  const security = execFileSync('systemd-analyze', ['security', '--offline=true', unit], { encoding: 'utf8' })
  const exposure = Number(/Overall exposure level for clacks\.service: ([\d.]+)/.exec(security)?.[1])
  t.ok(exposure <= 2, `systemd-analyze security: exposure ${exposure} (10 is none of the hardening, 0 all of it)`)
})

t.test('Kubernetes manifests', async t => {
  const documents = parseAllDocuments(readFileSync(join(DEPLOY, 'kubernetes', 'clacks.yaml'), 'utf8'))
  for (const document of documents) t.same(document.errors, [], 'valid YAML')
  const objects = documents.map(document => document.toJS() as { kind: string })
  const byKind = new Map(objects.map(object => [object.kind, object]))
  t.same([...byKind.keys()].sort(), ['NetworkPolicy', 'Service', 'StatefulSet'])

  const service = new Service(byKind.get('Service') as object)
  const statefulSet = new StatefulSet(byKind.get('StatefulSet') as object)
  const policy = new NetworkPolicy(byKind.get('NetworkPolicy') as object)
  for (const model of [service, statefulSet, policy]) t.doesNotThrow(() => model.validate(), `${model.kind} validates against the Kubernetes schema`)

  // The validator is not a formality: a wrong type is caught.
  const broken = new StatefulSet(JSON.parse(JSON.stringify(byKind.get('StatefulSet'))) as object)
  const brokenContainer = broken.spec?.template.spec?.containers[0] as unknown as { ports: Array<{ containerPort: unknown }> }
  ;(brokenContainer.ports[0] as { containerPort: unknown }).containerPort = 'seventy'
  t.throws(() => broken.validate(), /containerPort must be integer/, 'a string port fails validation')

  const spec = statefulSet.spec
  if (spec === undefined) throw new Error('no StatefulSet spec')
  t.equal(service.spec?.clusterIP, 'None', 'the Service is headless')
  t.equal(service.spec?.publishNotReadyAddresses, true, 'it lists towers before they are ready (they bootstrap from it)')
  t.equal(spec.serviceName, service.metadata?.name, 'the StatefulSet is governed by it')
  t.equal(spec.podManagementPolicy, 'Parallel', 'towers start together')

  const pod = spec.template.spec
  const container = pod?.containers[0]
  if (pod === undefined || container === undefined) throw new Error('no container')
  const env = Object.fromEntries((container.env ?? []).filter(variable => variable.value !== undefined).map(variable => [variable.name, variable.value as string]))
  // What the kubelet would substitute for the downward-API variables.
  const expanded = Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('CLACKS_'))
    .map(([name, value]) => [name, value.replace('$(POD_NAME)', 'clacks-0').replace('$(POD_NAMESPACE)', 'default')]))
  const config = await configWith(t, expanded)
  t.equal(config.code, 0, 'clacks start accepts the manifest\'s environment')
  t.equal(config.stderr, '', 'and every CLACKS_ variable in it is a setting')
  t.equal(config.settings['--hostname']?.value, 'clacks-0.clacks.default.svc.cluster.local', 'a tower advertises its stable name')

  const towerPort = service.spec?.ports?.find(port => port.name === 'clacks')
  t.equal(config.settings['--port']?.value, towerPort?.port, 'it listens on the Service\'s port')
  t.equal(config.settings['--bootstrap-dns']?.value, `_${towerPort?.name}._tcp.${service.metadata?.name}.default.svc.cluster.local`, 'it bootstraps from the Service\'s SRV records')

  const adminPort = container.ports?.find(port => port.name === 'admin')?.containerPort
  t.equal(config.settings['--admin']?.value, `0.0.0.0:${adminPort}`, 'the admin endpoint listens on the port the probes use')
  t.match(container.readinessProbe?.httpGet, { path: '/readyz', port: 'admin' }, 'readiness is /readyz')
  t.match(container.livenessProbe?.httpGet, { path: '/healthz', port: 'admin' }, 'liveness is /healthz')

  const drainMs = config.settings['--drain-timeout']?.value as number
  t.ok((pod.terminationGracePeriodSeconds ?? 30) * 1000 > drainMs + 5000, `the grace period leaves the ${drainMs} ms drain room`)
  t.ok(container.resources?.requests?.memory !== undefined && container.resources.limits?.memory !== undefined, 'memory is requested and limited')
  t.equal(container.securityContext?.readOnlyRootFilesystem, true)
  t.same(container.volumeMounts?.map(mount => mount.mountPath), [config.settings['--state-dir']?.value], 'the state dir is a writable volume')
})
