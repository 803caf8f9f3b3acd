// No Docker engine or cluster runs here, so the deployable stack is checked by reading it: every file a service
// mounts exists, every host:port one service uses is one another listens on, every uid and env name resolves to
// something that reads it, every image is pinned (and listed in the README), and backend-ts loads the very
// configuration files the compose stack and the Kubernetes Deployment give it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../backend-ts/src/config/config.js';
import { expectedProfileTypes, SERVICES } from '../../demo/src/catalog.js';

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), '../..'));
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
// YAML documents are untyped input: tests walk them as plain records.
type Obj = Record<string, any>;
const yamlOf = (rel: string): Obj => parse(read(rel)) as Obj;

const PLUGIN_ID = (JSON.parse(read('plugin.json')) as { id: string }).id;
const compose = yamlOf('docker-compose.yaml');
const composeLlm = yamlOf('docker-compose.llm.yaml');
const services = compose.services as Record<string, Obj>;

/** "host:container[:mode]" bind or named-volume mounts of a compose service. */
function mounts(svc: Obj): Array<{ source: string; target: string }> {
  return ((svc.volumes ?? []) as string[]).map((v) => {
    const [source, target] = v.split(':') as [string, string];
    return { source, target };
  });
}

function env(svc: Obj): Record<string, string> {
  return (svc.environment ?? {}) as Record<string, string>;
}

/** Published container ports of a compose service. */
function containerPorts(svc: Obj): number[] {
  return ((svc.ports ?? []) as string[]).map((p) => Number(p.split(':').pop()));
}

/** Every `process.env.NAME` the demo workload reads. */
function demoEnvNames(): Set<string> {
  const names = new Set<string>();
  const dir = join(ROOT, 'demo/src');
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) {
        walk(p);
      } else if (p.endsWith('.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/process\.env\.([A-Z_]+)/g)) {
          names.add(m[1]!);
        }
      }
    }
  };
  walk(dir);
  return names;
}

test('compose: images pinned, builds have their Dockerfile, mounts and volumes exist, dependencies resolve', () => {
  for (const [file, doc] of [
    ['docker-compose.yaml', compose],
    ['docker-compose.llm.yaml', composeLlm],
  ] as const) {
    const declaredVolumes = new Set([
      ...Object.keys((compose.volumes ?? {}) as Obj),
      ...Object.keys((doc.volumes ?? {}) as Obj),
    ]);
    const allServices = new Set([...Object.keys(services), ...Object.keys(doc.services as Obj)]);
    for (const [name, svc] of Object.entries(doc.services as Record<string, Obj>)) {
      const where = `${file} ${name}`;
      if (svc.image !== undefined) {
        assert.match(svc.image, /^[^:]+:[^:]+$/, `${where}: image without a tag`);
        assert.doesNotMatch(svc.image, /:latest$/, `${where}: image tag "latest"`);
        if (svc.build === undefined) {
          assert.match(svc.image, /:v?\d+\.\d+\.\d+$/, `${where}: third-party image not pinned to a version`);
        }
      }
      if (svc.build !== undefined) {
        const dockerfile = join(ROOT, svc.build.context, svc.build.dockerfile);
        assert.ok(existsSync(dockerfile), `${where}: ${dockerfile} missing`);
      }
      for (const m of mounts(svc)) {
        if (m.source.startsWith('./')) {
          assert.ok(
            existsSync(join(ROOT, m.source)) || m.source === './dist',
            `${where}: mounted ${m.source} does not exist`
          );
        } else if (!m.source.startsWith('/')) {
          assert.ok(declaredVolumes.has(m.source), `${where}: volume ${m.source} not declared`);
        }
      }
      const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
      for (const d of deps as string[]) {
        assert.ok(allServices.has(d), `${where}: depends on unknown service ${d}`);
      }
    }
  }
  // dist/ is the plugin build output (gitignored): the build that produces it must exist and name the plugin.
  assert.match(read('package.json'), /"build:plugin"/);
  assert.ok(existsSync(join(ROOT, 'src/plugin.json')) || existsSync(join(ROOT, 'plugin.json')));
});

test('compose: backend-ts loads its mounted configuration and reaches Azurite; the demo reaches it and Tempo', () => {
  const py = services.pyroscope!;
  const flags = (py.command as string[]).map((f) => {
    // Map the container path of the mounted config file back to the repository file.
    const m = mounts(py).find((x) => f.endsWith(`=${x.target}`));
    return m ? f.replace(m.target, join(ROOT, m.source)) : f;
  });
  assert.ok(flags.includes('-config.expand-env=true'));
  const cfg = loadConfig(flags, env(py));
  assert.equal(cfg.storage.backend, 'azure');
  assert.equal(cfg.storage.azure.containerName, 'pyroscope-data');
  assert.ok(containerPorts(py).includes(cfg.server.httpListenPort), 'pyroscope publishes its listen port');
  const blob = /BlobEndpoint=http:\/\/([^:/]+):(\d+)\//.exec(cfg.storage.azure.connectionString);
  assert.ok(blob, `connection string without BlobEndpoint: ${cfg.storage.azure.connectionString}`);
  const az = services[blob[1]!];
  assert.ok(az, `connection string host ${blob[1]} is not a compose service`);
  const azArgs = az.command as string[];
  assert.equal(azArgs[azArgs.indexOf('--blobPort') + 1], blob[2]);
  assert.equal(azArgs[azArgs.indexOf('--blobHost') + 1], '0.0.0.0');
  assert.ok(azArgs.includes('--skipApiVersionCheck'), 'storage-blob 12.32 needs --skipApiVersionCheck');

  const demo = services.demo!;
  const names = demoEnvNames();
  for (const k of Object.keys(env(demo))) {
    assert.ok(names.has(k), `demo env ${k} is not read by demo/src`);
  }
  assert.equal(env(demo).PYROSCOPE_URL, `http://pyroscope:${cfg.server.httpListenPort}`);
  const dataMount = mounts(demo).find((m) => m.target === env(demo).DATA_DIR);
  assert.ok(dataMount, 'the demo keeps spans.jsonl on a volume');

  const otlp = new URL(env(demo).OTEL_EXPORTER_OTLP_ENDPOINT!);
  const tempoCfg = yamlOf('deploy/compose/tempo.yaml');
  const httpEndpoint = tempoCfg.distributor.receivers.otlp.protocols.http.endpoint as string;
  assert.equal(otlp.hostname, 'tempo');
  assert.ok(services.tempo, 'tempo service');
  assert.equal(otlp.port, httpEndpoint.split(':').pop());
  const tempoConfigMount = mounts(services.tempo!).find((m) => m.source === './deploy/compose/tempo.yaml');
  assert.ok(
    tempoConfigMount && (services.tempo!.command as string[]).includes(`-config.file=${tempoConfigMount.target}`)
  );

  const alloy = services.alloy!;
  assert.ok((alloy.profiles as string[]).includes('alloy'), 'alloy is optional (a profile)');
  const alloyCfg = read('deploy/compose/config.alloy');
  assert.match(alloyCfg, /sample_rate\s*=\s*97/);
  assert.match(alloyCfg, new RegExp(`url\\s*=\\s*"http://pyroscope:${cfg.server.httpListenPort}"`));
  const alloyMount = mounts(alloy).find((m) => m.source === './deploy/compose/config.alloy')!;
  assert.ok((alloy.command as string[]).includes(alloyMount.target));
});

// Grafana settings as GF_<SECTION>_<KEY> environment variables (conf/defaults.ini), the ones this stack sets.
const GRAFANA_SETTINGS = new Set([
  'plugins.allow_loading_unsigned_plugins',
  'plugins.preinstall_disabled',
  'auth.anonymous.enabled',
  'auth.anonymous.org_role',
  'auth.disable_login_form',
]);

test('compose: Grafana loads this plugin unsigned from dist/, without its own preinstalled copy, with provisioning', () => {
  const g = services.grafana!;
  assert.match(g.image, /^grafana\/grafana:12\.4\.\d+$/);
  const e = env(g);
  assert.deepEqual(e.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS!.split(','), [PLUGIN_ID]);
  assert.equal(e.GF_PLUGINS_PREINSTALL_DISABLED, 'true');
  for (const k of Object.keys(e).filter((x) => x.startsWith('GF_'))) {
    const key = k.slice(3).toLowerCase();
    const known = [...GRAFANA_SETTINGS].some((s) => s.replace(/\./g, '_') === key);
    assert.ok(known, `${k} is not a Grafana setting this test knows`);
  }
  const m = mounts(g);
  assert.ok(m.some((x) => x.source === './dist' && x.target === `/var/lib/grafana/plugins/${PLUGIN_ID}`));
  assert.ok(m.some((x) => x.source === './provisioning' && x.target === '/etc/grafana/provisioning'));
  assert.ok(containerPorts(g).includes(3000));
});

test('provisioning: Pyroscope uid pyroscope at the backend, Tempo traces-to-profiles onto it, the app enabled', () => {
  const ds = (yamlOf('provisioning/datasources/datasources.yaml').datasources ?? []) as Obj[];
  const py = ds.find((d) => d.type === 'grafana-pyroscope-datasource')!;
  assert.equal(py.uid, 'pyroscope');
  const pyUrl = new URL(py.url);
  assert.equal(pyUrl.hostname, 'pyroscope');
  assert.ok(containerPorts(services.pyroscope!).includes(Number(pyUrl.port)));
  // The harness stands in for Grafana with the same uid, so the app sees the same data source here and there.
  if (existsSync(join(ROOT, 'tests/harness/server.mjs'))) {
    assert.match(read('tests/harness/server.mjs'), /DATASOURCE_UID = 'pyroscope'/);
  }

  const tempo = ds.find((d) => d.type === 'tempo')!;
  const tempoUrl = new URL(tempo.url);
  assert.ok(services[tempoUrl.hostname], 'tempo URL host is a compose service');
  assert.equal(Number(tempoUrl.port), yamlOf('deploy/compose/tempo.yaml').server.http_listen_port);
  const t2p = tempo.jsonData.tracesToProfiles as Obj;
  assert.equal(t2p.datasourceUid, py.uid);
  assert.equal(t2p.profileTypeId, 'process_cpu:cpu:nanoseconds:cpu:nanoseconds');
  // Every demo service has that type (eBPF), so every span's service can be followed to its profile.
  for (const s of SERVICES) {
    assert.ok(expectedProfileTypes(s).includes(t2p.profileTypeId), s.name);
  }
  assert.deepEqual(t2p.tags, [{ key: 'service.name', value: 'service_name' }]);

  const apps = (yamlOf('provisioning/plugins/grafana-pyroscope-app.yaml').apps ?? []) as Obj[];
  assert.deepEqual(
    apps.map((a) => [a.type, a.disabled]),
    [[PLUGIN_ID, false]]
  );
  for (const f of [
    'datasources/datasources.yaml',
    'plugins/grafana-pyroscope-app.yaml',
    'plugins-llm/grafana-llm-app.yaml',
  ]) {
    assert.equal(yamlOf(`provisioning/${f}`).apiVersion, 1, f);
  }
});

test('provisioning: the LLM app is configured only where it is installed (docker-compose.llm.yaml)', () => {
  // Grafana refuses to start when a provisioned app is missing: the LLM app's file is not in provisioning/plugins.
  assert.ok(!existsSync(join(ROOT, 'provisioning/plugins/grafana-llm-app.yaml')));
  const llm = yamlOf('provisioning/plugins-llm/grafana-llm-app.yaml');
  assert.equal(llm.apps[0].type, 'grafana-llm-app');
  const g = composeLlm.services.grafana as Obj;
  assert.ok(
    mounts(g).some(
      (m) =>
        m.source === './provisioning/plugins-llm/grafana-llm-app.yaml' &&
        m.target === '/etc/grafana/provisioning/plugins/grafana-llm-app.yaml'
    )
  );
  // Variables the provisioning file interpolates are given to Grafana.
  for (const v of read('provisioning/plugins-llm/grafana-llm-app.yaml').matchAll(/\$\{?([A-Z_]+)\}?/g)) {
    assert.ok(v[1]! in env(g), `${v[1]} not in grafana's environment`);
  }
  const installer = composeLlm.services['grafana-llm-install'] as Obj;
  assert.ok((installer.entrypoint as string[]).includes('grafana-llm-app'));
  const pluginsVolume = mounts(installer)[0]!;
  assert.ok(mounts(g).some((m) => m.source === pluginsVolume.source && m.target === pluginsVolume.target));
});

/** Instructions of a Dockerfile, continuation lines joined. */
function dockerfile(rel: string): Array<[string, string]> {
  return read(rel)
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const i = l.indexOf(' ');
      return [l.slice(0, i).toUpperCase(), l.slice(i + 1).trim()] as [string, string];
    });
}

test('Dockerfiles: Node 20 bases, every copied path exists, entrypoints are what the builds produce', () => {
  const ignored = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const rel of ['backend-ts/Dockerfile', 'demo/Dockerfile']) {
    const ins = dockerfile(rel);
    const froms = ins.filter(([k]) => k === 'FROM').map(([, v]) => v.split(' ')[0]!);
    assert.ok(froms.length > 0);
    for (const f of froms) {
      assert.match(f, /^node:20\.\d+\.\d+-bookworm-slim$/, `${rel}: ${f}`);
    }
    for (const [, v] of ins.filter(([k, v]) => k === 'COPY' && !v.startsWith('--from'))) {
      const parts = v.split(/\s+/);
      for (const src of parts.slice(0, -1)) {
        assert.ok(existsSync(join(ROOT, src)), `${rel}: COPY ${src} does not exist`);
        assert.ok(!ignored.includes(src.replace(/\/$/, '')), `${rel}: COPY ${src} is excluded by .dockerignore`);
      }
    }
  }
  const backendPkg = JSON.parse(read('backend-ts/package.json')) as { main: string };
  const entry = dockerfile('backend-ts/Dockerfile').find(([k]) => k === 'ENTRYPOINT')![1];
  assert.deepEqual(JSON.parse(entry), ['node', `backend-ts/${backendPkg.main}`]);

  const demoCmd = JSON.parse(dockerfile('demo/Dockerfile').find(([k]) => k === 'CMD')![1]) as string[];
  assert.ok(existsSync(join(ROOT, 'demo', demoCmd[demoCmd.length - 1]!)));
  // The image installs what the repository runs: same versions as the installed workspace packages.
  const demoPkg = JSON.parse(read('demo/package.json')) as { dependencies: Record<string, string> };
  for (const [name, version] of Object.entries(demoPkg.dependencies)) {
    const installed = JSON.parse(read(`node_modules/${name}/package.json`)) as { version: string };
    assert.equal(version, installed.version, name);
  }
});

interface K8sObject {
  kind: string;
  metadata: Obj;
  spec?: Obj;
  data?: Obj;
  stringData?: Obj;
  [k: string]: unknown;
}

function k8s(): { kust: Obj; objects: K8sObject[] } {
  const kust = yamlOf('deploy/kubernetes/kustomization.yaml');
  const objects: K8sObject[] = [];
  for (const r of kust.resources as string[]) {
    for (const d of parseAllDocuments(read(`deploy/kubernetes/${r}`))) {
      objects.push(d.toJSON() as K8sObject);
    }
  }
  return { kust, objects };
}

test('kubernetes: namespace monitoring, Service pyroscope:4040 to one replica with the seed resources', () => {
  const { kust, objects } = k8s();
  assert.equal(kust.namespace, 'monitoring');
  for (const o of objects.filter((x) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(x.kind))) {
    assert.equal(o.metadata.namespace, 'monitoring', `${o.kind}/${o.metadata.name}`);
  }
  assert.ok(objects.some((o) => o.kind === 'Namespace' && o.metadata.name === 'monitoring'));

  const dep = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'pyroscope')!;
  const spec = dep.spec!;
  assert.equal(spec.replicas, 1);
  for (const [k, v] of Object.entries(spec.selector.matchLabels as Record<string, string>)) {
    assert.equal(spec.template.metadata.labels[k], v);
  }
  const c = spec.template.spec.containers[0] as Obj;
  assert.deepEqual(c.resources, { requests: { cpu: '100m', memory: '512Mi' }, limits: { cpu: '1', memory: '2Gi' } });
  const [image, tag] = (c.image as string).split(':');
  assert.ok(
    (kust.images as Obj[]).some((i) => i.name === image && i.newTag === tag),
    'kustomization pins the image'
  );

  const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'pyroscope')!;
  const port = svc.spec!.ports[0] as Obj;
  assert.equal(port.port, 4040);
  for (const [k, v] of Object.entries(svc.spec!.selector as Record<string, string>)) {
    assert.equal(spec.template.metadata.labels[k], v, 'Service selects the pods');
  }
  const cport = (c.ports as Obj[]).find((p) => p.name === port.targetPort)!;
  assert.ok(cport, 'targetPort names a container port');
  for (const probe of [c.readinessProbe, c.livenessProbe]) {
    assert.equal(probe.httpGet.port, cport.name);
    assert.equal(probe.httpGet.path, '/ready');
  }

  // -config.file is the mounted ConfigMap key; -config.expand-env pulls the Secret's values from the env.
  const args = c.args as string[];
  assert.ok(args.includes('-config.expand-env=true'));
  const file = args.find((a) => a.startsWith('-config.file='))!.slice('-config.file='.length);
  const mount = (c.volumeMounts as Obj[]).find((m) => file.startsWith(`${m.mountPath}/`))!;
  const vol = (spec.template.spec.volumes as Obj[]).find((v) => v.name === mount.name)!;
  const gen = (kust.configMapGenerator as Obj[]).find((g) => g.name === vol.configMap.name)!;
  const entry = (gen.files as string[]).find((f) => f.startsWith(`${file.slice(mount.mountPath.length + 1)}=`))!;
  assert.ok(entry, `ConfigMap ${vol.configMap.name} has no key for ${file}`);
  const configPath = join(ROOT, 'deploy/kubernetes', entry.split('=')[1]!);

  const secret = parse(read('deploy/kubernetes/secret.example.yaml')) as K8sObject;
  const secretEnv: Record<string, string> = {};
  for (const e of c.env as Obj[]) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) {
      assert.equal(ref.name, secret.metadata.name);
      assert.ok(ref.key in secret.stringData!, `Secret has no key ${ref.key}`);
      secretEnv[e.name] = secret.stringData![ref.key];
    }
  }
  const cfg = loadConfig([`-config.file=${configPath}`, '-config.expand-env=true'], secretEnv);
  assert.equal(cfg.storage.backend, 'azure');
  assert.equal(cfg.storage.azure.containerName, 'pyroscope-data');
  assert.equal(cfg.storage.azure.accountName, secretEnv.AZURE_STORAGE_ACCOUNT);
  assert.equal(cfg.storage.azure.accountKey, secretEnv.AZURE_STORAGE_KEY);
  assert.equal(cfg.server.httpListenPort, cport.containerPort);
  // The credentials are not in the ConfigMap: without the environment they are empty.
  assert.equal(loadConfig([`-config.file=${configPath}`, '-config.expand-env=true'], {}).storage.azure.accountKey, '');
});

test('kubernetes: Alloy DaemonSet with eBPF at 97 Hz and annotation scrapes, writing to the pyroscope Service', () => {
  const { kust, objects } = k8s();
  const ds = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'alloy')!;
  const pod = ds.spec!.template.spec as Obj;
  const c = pod.containers[0] as Obj;
  assert.match(c.image, /^grafana\/alloy:v1\.\d+\.\d+$/);
  assert.equal(c.securityContext.privileged, true);
  assert.equal(pod.hostPID, true);
  const sa = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === pod.serviceAccountName);
  assert.ok(sa, 'service account exists');
  const binding = objects.find((o) => o.kind === 'ClusterRoleBinding') as Obj;
  assert.ok((binding.subjects as Obj[]).some((s) => s.name === pod.serviceAccountName));
  assert.ok(objects.some((o) => o.kind === 'ClusterRole' && o.metadata.name === binding.roleRef.name));

  const args = c.args as string[];
  const cfgPath = args[args.indexOf('run') + 1]!;
  const mount = (c.volumeMounts as Obj[]).find((m) => cfgPath.startsWith(`${m.mountPath}/`))!;
  const vol = (pod.volumes as Obj[]).find((v) => v.name === mount.name)!;
  const gen = (kust.configMapGenerator as Obj[]).find((g) => g.name === vol.configMap.name)!;
  const entry = (gen.files as string[]).find((f) => f.startsWith(`${cfgPath.slice(mount.mountPath.length + 1)}=`))!;
  const alloy = read(`deploy/kubernetes/${entry.split('=')[1]!}`);

  // Braces balance (a cheap syntax check) and every component it forwards to is defined.
  assert.equal([...alloy.matchAll(/\{/g)].length, [...alloy.matchAll(/\}/g)].length);
  for (const m of alloy.matchAll(/(pyroscope\.write)\.(\w+)\.receiver/g)) {
    assert.match(alloy, new RegExp(`^${m[1]!.replace('.', '\\.')} "${m[2]}" \\{`, 'm'));
  }
  for (const m of alloy.matchAll(/sys\.env\("([A-Z_]+)"\)/g)) {
    assert.ok(
      (c.env as Obj[]).some((e) => e.name === m[1]),
      `DaemonSet does not set ${m[1]}`
    );
  }
  assert.equal((c.env as Obj[]).find((e) => e.name === 'HOSTNAME')!.valueFrom.fieldRef.fieldPath, 'spec.nodeName');

  const ebpf = /pyroscope\.ebpf "\w+" \{([^}]*)\}/.exec(alloy);
  assert.ok(ebpf, 'pyroscope.ebpf block');
  assert.match(ebpf[1]!, /sample_rate\s*=\s*97\b/);

  const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'pyroscope')!;
  const url = `http://${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local:${svc.spec!.ports[0].port}`;
  assert.match(alloy, new RegExp(`url\\s*=\\s*"${url.replace(/\./g, '\\.')}"`));

  // Kubernetes discovery sanitizes annotation names to label names: the seed's cpu_scrape and Alloy's documented
  // cpu.scrape are the same meta label, which the rules below key on.
  const sanitize = (a: string) => `__meta_kubernetes_pod_annotation_${a.replace(/[^a-zA-Z0-9_]/g, '_')}`;
  assert.equal(sanitize('profiles.grafana.com/cpu_scrape'), sanitize('profiles.grafana.com/cpu.scrape'));
  const enabled: Record<string, string> = {
    cpu: 'process_cpu',
    memory: 'memory',
    goroutine: 'goroutine',
    mutex: 'mutex',
    block: 'block',
  };
  for (const [t, profile] of Object.entries(enabled)) {
    assert.ok(alloy.includes(`"${sanitize(`profiles.grafana.com/${t}.scrape`)}"`), `${t}.scrape`);
    assert.ok(alloy.includes(`"${sanitize(`profiles.grafana.com/${t}.port`)}"`), `${t}.port`);
    const scrape = new RegExp(`pyroscope\\.scrape "${t}" \\{[\\s\\S]*?profile\\.${profile} \\{\\s*enabled = true`);
    assert.match(alloy, scrape, `scrape ${t} enables ${profile}`);
  }
});

test('README lists every pinned image', () => {
  const readme = read('README.md');
  const images = new Set<string>();
  for (const doc of [compose, composeLlm]) {
    for (const s of Object.values(doc.services as Record<string, Obj>)) {
      if (s.image) {
        images.add(s.image);
      }
    }
  }
  for (const o of k8s().objects) {
    for (const c of (o.spec?.template?.spec?.containers ?? []) as Obj[]) {
      images.add(c.image);
    }
  }
  for (const rel of ['backend-ts/Dockerfile', 'demo/Dockerfile']) {
    for (const [k, v] of dockerfile(rel)) {
      if (k === 'FROM') {
        images.add(v.split(' ')[0]!);
      }
    }
  }
  for (const i of images) {
    assert.ok(readme.includes(i), `README does not list ${i}`);
  }
});
