/**
 * The deployment files (issue "Run it anywhere"), checked with the real tools since no container
 * engine runs here: the Compose file against the Compose specification schema, k8s/ rendered by
 * kustomize and validated against the Kubernetes schemas (strict, offline), nginx -t on the shipped
 * nginx configurations, promtool on the Prometheus configuration and rules (and the rules' unit
 * tests), hadolint and a structural check of the Dockerfile, and the variable names every file sets
 * against docs/configuration.md — also fed to the apps' own config loader.
 */
import { readFileSync, existsSync, mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '@auren/config';
import {
  ensureDeployTools,
  ensurePromtool,
  runTool,
  type DeployTools,
} from '../harness/deploy-tools';
import { ensureNginxBinary } from '../harness/nginx';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'auren-deploy-'));

/** Variable names docs/configuration.md defines: the first column of its tables. */
function documentedVariables(): Set<string> {
  const names = new Set<string>();
  for (const line of read('docs/configuration.md').split('\n')) {
    const match = /^\| `([A-Z][A-Z0-9_]+)`/.exec(line);
    if (match) names.add(match[1]);
  }
  return names;
}

/** KEY=value lines of an env file (comments and blank lines skipped). */
function envFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of read(path).split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) env[match[1]] = match[2];
  }
  return env;
}

/** Compose interpolation of ${VAR}, ${VAR:-default}, ${VAR:?error} from `env`. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}/g, (_, name, kind, rest) => {
    const given = env[name as string];
    if (given) return given;
    if (kind === '-') return rest as string;
    throw new Error(`compose would stop: ${name} unset (${rest})`);
  });
}

interface K8sObject {
  kind: string;
  apiVersion: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

let tools: DeployTools;
const rendered: Record<string, { file: string; objects: K8sObject[] }> = {};

beforeAll(async () => {
  tools = await ensureDeployTools();
  for (const overlay of ['dev', 'prod']) {
    const run = await runTool(tools.kubectl, ['kustomize', join(ROOT, 'k8s', 'overlays', overlay)]);
    if (run.code !== 0) throw new Error(`kubectl kustomize ${overlay} failed:\n${run.stderr}`);
    const file = join(work, `${overlay}.yaml`);
    writeFileSync(file, run.stdout);
    rendered[overlay] = {
      file,
      objects: parseAllDocuments(run.stdout).map((doc) => doc.toJS() as K8sObject),
    };
  }
}, 300_000);

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, Record<string, unknown>>;
  };
  const apps = ['ingest', 'gateway-1', 'gateway-2', 'history'];

  it('validates against the Compose specification (check-jsonschema vendor.compose-spec)', async () => {
    const ok = await runTool(tools.checkJsonschema, [
      '--builtin-schema',
      'vendor.compose-spec',
      join(ROOT, 'docker-compose.yml'),
    ]);
    expect(`${ok.stdout}${ok.stderr}`).toContain('ok -- validation done');
    expect(ok.code).toBe(0);
    // The validator bites: a misspelt key is refused.
    const bad = join(work, 'bad-compose.yml');
    writeFileSync(bad, read('docker-compose.yml').replace('stop_grace_period', 'stop_grace_perod'));
    const refused = await runTool(tools.checkJsonschema, [
      '--builtin-schema',
      'vendor.compose-spec',
      bad,
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toContain('stop_grace_perod');
  });

  it('sets only variables of docs/configuration.md on the apps, and the apps accept them', () => {
    const documented = documentedVariables();
    const example = envFile('.env.example');
    for (const backend of ['redis', 'kafka', 'hybrid']) {
      for (const name of apps) {
        const service = compose.services[name];
        const environment = service.environment as Record<string, string | number>;
        expect(Object.keys(environment).filter((key) => !documented.has(key))).toEqual([]);
        const env = Object.fromEntries(
          Object.entries(environment).map(([key, value]) => [
            key,
            interpolate(String(value), { ...example, COMPOSE_PROFILES: backend }),
          ]),
        );
        expect(() => loadConfig(env)).not.toThrow();
        expect(loadConfig(env).stream.backend).toBe(backend);
      }
    }
  });

  it('wires health checks, profiles and the services the issue lists', () => {
    const { services } = compose;
    for (const name of [...apps, 'redis', 'kafka', 'postgres', 'nginx', 'prometheus', 'grafana'])
      expect(services[name]?.healthcheck).toBeDefined();
    expect(services.kafka.profiles).toEqual(['kafka', 'hybrid']);
    expect(services.redis.profiles).toBeUndefined();
    for (const name of apps) {
      const dependsOn = services[name].depends_on as Record<string, { condition: string }>;
      expect(dependsOn.redis.condition).toBe('service_healthy');
      expect(dependsOn.kafka).toMatchObject({ condition: 'service_healthy', required: false });
    }
    expect(services.gateway_1).toBeUndefined();
    expect(String((services.redis.volumes as string[])[0])).toContain('deploy/redis/redis.conf');
    expect(read('deploy/redis/redis.conf')).toMatch(/^appendonly yes$/m);
  });
});

describe('k8s/', () => {
  it('renders both overlays and validates them against the Kubernetes 1.37 schemas (strict)', async () => {
    for (const overlay of ['dev', 'prod']) {
      const run = await runTool(tools.kubernetesValidate, [
        '--strict',
        '--quiet',
        '-k',
        '1.37.0',
        rendered[overlay].file,
      ]);
      expect(`${overlay}: ${run.stdout}${run.stderr}`).toBe(`${overlay}: `);
      expect(run.code).toBe(0);
    }
    // The validator bites: a misspelt field is refused.
    const bad = join(work, 'bad-k8s.yaml');
    writeFileSync(
      bad,
      readFileSync(rendered.prod.file, 'utf8').replace('averageUtilization', 'averageUtilisation'),
    );
    const refused = await runTool(tools.kubernetesValidate, ['--strict', '--quiet', bad]);
    expect(refused.code).not.toBe(0);
  });

  it('has Deployments with probes, drain, resources and a locked-down securityContext', () => {
    for (const overlay of ['dev', 'prod']) {
      const { objects } = rendered[overlay];
      const deployments = objects.filter(
        (o) => o.kind === 'Deployment' && o.metadata.name.startsWith('auren-'),
      );
      expect(deployments.map((d) => d.metadata.name).sort()).toEqual([
        'auren-gateway',
        'auren-history',
        'auren-ingest',
      ]);
      for (const deployment of deployments) {
        const pod = (deployment.spec as { template: { spec: Record<string, any> } }).template.spec; // eslint-disable-line @typescript-eslint/no-explicit-any
        const container = pod.containers[0];
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
        expect(container.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
        expect(container.livenessProbe.httpGet.path).toBe('/health/live');
        expect(container.startupProbe.httpGet.path).toBe('/health/live');
        expect(container.resources.requests.cpu).toBeDefined();
        expect(container.resources.limits.memory).toBeDefined();
        expect(container.envFrom).toHaveLength(2);
        expect(container.env).toBeUndefined();
        const app = deployment.metadata.name.replace('auren-', '');
        expect(container.args).toEqual([app]);
        if (app === 'gateway') {
          expect(container.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
          expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(5 + 5);
        }
      }
      const names = (kind: string) =>
        objects
          .filter((o) => o.kind === kind)
          .map((o) => o.metadata.name)
          .sort();
      expect(names('PodDisruptionBudget')).toEqual([
        'auren-gateway',
        'auren-history',
        'auren-ingest',
      ]);
      expect(names('HorizontalPodAutoscaler')).toEqual(['auren-gateway', 'auren-ingest']);
      expect(names('NetworkPolicy')).toEqual(
        expect.arrayContaining(['auren-default-deny', 'auren-metrics-ingress']),
      );
      const hpa = objects.find(
        (o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'auren-gateway',
      ) as K8sObject;
      expect(JSON.stringify(hpa.spec)).toContain('"name":"auren_gateway_connections"');
      const ingress = objects.find(
        (o) => o.kind === 'Ingress' && o.metadata.name === 'auren-gateway',
      ) as K8sObject;
      expect(ingress.metadata.annotations).toMatchObject({
        'nginx.ingress.kubernetes.io/affinity': 'cookie',
        'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      });
    }
  });

  it('ConfigMap and Secret hold exactly the variables of docs/configuration.md, which the apps accept', () => {
    const documented = documentedVariables();
    const devSecrets = envFile('k8s/overlays/dev/secrets.env');
    const prodSecrets = envFile('k8s/overlays/prod/secrets.env.example');
    expect(Object.keys(prodSecrets).sort()).toEqual(Object.keys(devSecrets).sort());
    for (const overlay of ['dev', 'prod']) {
      const config = rendered[overlay].objects.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name === 'auren-config',
      ) as K8sObject;
      const configKeys = Object.keys(config.data ?? {});
      const secretKeys = Object.keys(devSecrets);
      expect(configKeys.filter((key) => secretKeys.includes(key))).toEqual([]);
      expect([...configKeys, ...secretKeys].sort()).toEqual([...documented].sort());
      const secrets =
        overlay === 'dev'
          ? devSecrets
          : { ...prodSecrets, AUREN_JWT_SECRET: 'a-production-secret-of-more-than-32-chars' };
      expect(() => loadConfig({ ...config.data, ...secrets })).not.toThrow();
    }
    const generated = rendered.dev.objects.find((o) => o.kind === 'Secret') as K8sObject;
    expect(Object.keys(generated.data ?? {}).sort()).toEqual(Object.keys(devSecrets).sort());
  });
});

describe('nginx configurations', () => {
  const nginx = ensureNginxBinary();

  /** nginx -t on an http-level snippet, inside a main configuration of its own. */
  async function nginxTest(snippet: string) {
    const dir = mkdtempSync(join(work, 'nginx-'));
    writeFileSync(join(dir, 'site.conf'), snippet);
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .map((name) => `${name}_temp_path ${dir}/${name};`)
      .join(' ');
    writeFileSync(
      join(dir, 'nginx.conf'),
      `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp {\n  access_log off;\n  ${temp}\n  include ${dir}/site.conf;\n}\n`,
    );
    return runTool(nginx, ['-t', '-c', join(dir, 'nginx.conf'), '-p', dir]);
  }

  it('accepts deploy/nginx/auren-gateway.conf and the compose one', async () => {
    const example = await nginxTest(read('deploy/nginx/auren-gateway.conf'));
    expect(example.stderr).toContain('test is successful');
    // The compose hosts (gateway-1, gateway-2) exist only on the compose network: nginx resolves
    // upstream names at load, so the check runs with them pointed at 127.0.0.1.
    const compose = read('deploy/compose/nginx.conf');
    expect(compose).toMatch(/server gateway-1:8765/);
    const local = await nginxTest(compose.replace(/gateway-[12]:8765/g, '127.0.0.1:8765'));
    expect(local.stderr).toContain('test is successful');
    const broken = await nginxTest(
      compose.replace('proxy_http_version 1.1;', 'proxy_http_version;'),
    );
    expect(broken.code).not.toBe(0);
  });
});

describe('Prometheus rules and configuration', () => {
  const promtool = ensurePromtool();
  const rulesFile = join(ROOT, 'deploy/prometheus/rules/auren.rules.yml');

  it('promtool checks the compose configuration and the rules', async () => {
    const config = await runTool(promtool, [
      'check',
      'config',
      join(ROOT, 'deploy/prometheus/prometheus.yml'),
    ]);
    expect(`${config.stdout}${config.stderr}`).toContain('SUCCESS');
    expect(`${config.stdout}${config.stderr}`).toContain('rules found');
    expect(config.code).toBe(0);
    const rules = await runTool(promtool, ['check', 'rules', rulesFile]);
    expect(rules.code).toBe(0);
  });

  it('every alerting rule passes its promtool unit tests, and each has a firing case', async () => {
    const run = await runTool(
      promtool,
      ['test', 'rules', join(ROOT, 'deploy/prometheus/tests/auren.rules.test.yml')],
      { cwd: join(ROOT, 'deploy/prometheus/tests') },
    );
    expect(`${run.stdout}${run.stderr}`).toContain('SUCCESS');
    expect(run.code).toBe(0);
    const alerts = (
      parse(readFileSync(rulesFile, 'utf8')) as { groups: { rules: { alert: string }[] }[] }
    ).groups.flatMap((group) => group.rules.map((rule) => rule.alert));
    const tests = parse(read('deploy/prometheus/tests/auren.rules.test.yml')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const firing = new Set(
      tests.tests.flatMap((t) =>
        t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      ),
    );
    expect(alerts.filter((alert) => !firing.has(alert))).toEqual([]);
  });

  it('the Kubernetes scrape config gives the job names the rules and dashboards use', () => {
    // Debian's Prometheus is built without Kubernetes discovery, so promtool cannot load this
    // file; its relabelling is checked here instead.
    const config = parse(read('k8s/monitoring/prometheus-scrape.yml')) as {
      scrape_configs: { relabel_configs: { source_labels: string[]; target_label?: string }[] }[];
    };
    const job = config.scrape_configs[0].relabel_configs.find((r) => r.target_label === 'job');
    expect(job?.source_labels).toEqual(['__meta_kubernetes_pod_label_app_kubernetes_io_name']);
  });

  it('names only metrics the apps export (rules and dashboards)', () => {
    const exported = new Set<string>();
    const sources = (dir: string): string[] =>
      readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
        .filter(
          (entry) =>
            entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'),
        )
        .map((entry) => join(entry.parentPath, entry.name));
    for (const file of [...sources('apps'), ...sources('libs')])
      for (const match of readFileSync(file, 'utf8').matchAll(/name: '(auren_[a-z0-9_]+)'/g))
        exported.add(match[1]);
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'auren_' });
    for (const metric of registry.getMetricsAsArray()) exported.add(metric.name);
    const used = new Set<string>();
    const texts = [
      readFileSync(rulesFile, 'utf8'),
      read('deploy/grafana/dashboards/operations.json'),
    ];
    for (const text of texts)
      for (const match of text.matchAll(/\b(auren_[a-z0-9_]+)/g)) used.add(match[1]);
    // The HPA's connections metric (k8s/base/gateway.yaml); other auren_ words there are cookies.
    for (const match of read('k8s/base/gateway.yaml').matchAll(
      /metric: \{ name: (auren_[a-z0-9_]+)/g,
    ))
      used.add(match[1]);
    expect(used).toContain('auren_gateway_connections');
    const base = (name: string) => name.replace(/_(bucket|count|sum)$/, '');
    const unknown = [...used].filter((name) => !exported.has(name) && !exported.has(base(name)));
    expect(unknown).toEqual([]);
    expect(used.size).toBeGreaterThan(20);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  /** Instructions with their continuation lines joined. */
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages = instructions.filter((line) => line.startsWith('FROM '));

  it('passes hadolint', async () => {
    const run = await runTool(tools.hadolint, [join(ROOT, 'Dockerfile')]);
    expect(run.stdout).toBe('');
    expect(run.code).toBe(0);
  });

  it('is multi-stage: npm ci, build, prune; runs as a non-root user under tini with a HEALTHCHECK', () => {
    expect(stages.map((line) => line.split(/\s+AS\s+/i)[1])).toEqual(['deps', 'build', 'runtime']);
    expect(instructions).toContain('RUN npm ci --no-audit --no-fund');
    const build = instructions.find((line) => line.startsWith('RUN npm run build'));
    expect(build).toContain('npm prune --omit=dev');
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toBe('node scripts/build.mjs --force');
    const runtime = instructions.slice(instructions.indexOf(stages[2]));
    const user = runtime.filter((line) => line.startsWith('USER '));
    expect(user).toEqual(['USER 1000:1000']);
    expect(runtime.indexOf(user[0])).toBeLessThan(
      runtime.findIndex((line) => line.startsWith('ENTRYPOINT')),
    );
    expect(runtime.find((line) => line.startsWith('HEALTHCHECK'))).toContain('healthcheck.mjs');
    expect(runtime).toContain('ENTRYPOINT ["/usr/bin/tini", "--", "/app/docker/entrypoint.sh"]');
    expect(runtime.some((line) => /apt-get install .*tini=/.test(line))).toBe(true);
    // The runtime copies the build's pruned node_modules, never the deps stage's full one.
    expect(runtime.filter((line) => line.includes('node_modules'))).toEqual([
      'COPY --from=build --chown=root:root /app/node_modules ./node_modules',
    ]);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const allowed = read('.dockerignore')
      .split('\n')
      .filter((line) => line.startsWith('!'))
      .map((line) => line.slice(1).replace(/\/\*\*$/, ''));
    const sources = instructions
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) =>
        line
          .split(/\s+/)
          .slice(1)
          .filter((word) => !word.startsWith('--'))
          .slice(0, -1),
      );
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(existsSync(join(ROOT, source))).toBe(true);
      expect(allowed.some((entry) => source === entry || source.startsWith(`${entry}/`))).toBe(
        true,
      );
    }
  });

  it('the entrypoint knows every app the repository has', () => {
    // The server apps (the dashboard is static files the gateway serves).
    const apps = readdirSync(join(ROOT, 'apps'))
      .filter((app) => existsSync(join(ROOT, 'apps', app, 'src', 'main.ts')))
      .sort();
    const entrypoint = read('docker/entrypoint.sh');
    const listed = /^\s+([a-z| -]+)\)$/m
      .exec(entrypoint)?.[1]
      .split('|')
      .map((s) => s.trim());
    expect(listed?.sort()).toEqual(apps);
    expect(entrypoint).toMatch(/exec node /);
  });
});

describe('Grafana provisioning', () => {
  it('the operations dashboard reads the provisioned Prometheus data source', () => {
    const dashboard = JSON.parse(read('deploy/grafana/dashboards/operations.json')) as {
      panels: { type: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
    };
    const provisioned = parse(
      read('deploy/grafana/provisioning/datasources/auren-prometheus.yaml'),
    ) as {
      datasources: { uid: string; type: string }[];
    };
    expect(provisioned.datasources[0]).toMatchObject({
      uid: 'auren-prometheus',
      type: 'prometheus',
    });
    const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(panels.length).toBeGreaterThan(10);
    for (const panel of panels) {
      expect(panel.datasource?.uid).toBe('${datasource}');
      expect(panel.targets?.length).toBeGreaterThan(0);
    }
  });
});
