import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { onNode, recap, results, ROOT, runEntry, sandbox, type Run } from './harness.ts';

// deploy.ts and infra.ts on the infra role's own nodes: x85 (infra, etcd, admin) and x86 (a plain node).
const INVENTORY = join(ROOT, 'test/fixtures/roles/infra.yml');
const INFRA = '10.10.10.85';
const NODE = '10.10.10.86';

const changedOn = (run: Run): Record<string, number> => Object.fromEntries(Object.entries(recap(run).hosts).map(([h, c]) => [h, c.changed ?? -1]));
const changedTasks = (run: Run): string[] =>
  results(run)
    .filter((e) => e.status === 'changed')
    .map((e) => `${String(e.host)} ${String(e.task)}`);

interface Target {
  labels: Record<string, string>;
  scrapePool: string;
  health: string;
}

/** A JSON API of the infra node, read from the controller over the sandbox bridge. */
async function api<T>(port: number, path: string): Promise<T> {
  const res = await fetch(`http://${INFRA}:${port}${path}`);
  if (!res.ok) throw new Error(`GET :${port}${path}: ${res.status}`);
  return (await res.json()) as T;
}

/** VictoriaMetrics' active targets (Prometheus' /api/v1/targets shape); none while it does not answer. */
async function targets(): Promise<Target[]> {
  return api<{ data: { activeTargets: Target[] } }>(8428, '/api/v1/targets').then(
    (r) => r.data.activeTargets,
    () => [],
  );
}

const upByJob = (list: Target[]): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const t of list.filter((x) => x.health === 'up')) (out[t.labels.job as string] ??= []).push(t.labels.instance as string);
  // sorted keys and lists, so a poll can compare the JSON text with EXPECTED's
  return Object.fromEntries(
    Object.keys(out)
      .sort()
      .map((job) => [job, (out[job] as string[]).sort()]),
  );
};

const EXPECTED = {
  etcd: [`${INFRA}:2379`],
  infra: [`${INFRA}:8428`, `${INFRA}:8880`, `${INFRA}:9059`, `${INFRA}:9115`],
  node: [`${INFRA}:9100`, `${INFRA}:9101`, `${NODE}:9100`, `${NODE}:9101`],
  ping: [INFRA, NODE],
};

/** Poll until every expected target is up (file_sd is re-read every 5 s, targets scraped every 10 s). */
async function waitForTargets(): Promise<Record<string, string[]>> {
  let seen: Record<string, string[]> = {};
  for (let i = 0; i < 45; i++) {
    seen = upByJob(await targets());
    if (JSON.stringify(seen) === JSON.stringify(EXPECTED)) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return seen;
}

describe('infra role on x85 and x86', () => {
  let deploy: Run;

  beforeAll(async () => {
    sandbox('up', 'x85', 'x86');
    sandbox('reset', 'x85', 'x86');
    const t0 = Date.now();
    deploy = await runEntry('deploy.ts', ['-i', INVENTORY, '--json']);
    console.log(`fresh deploy of x85, x86: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  });

  it('deploys without failures and leaves no failed unit behind', () => {
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    for (const ip of [INFRA, NODE]) {
      expect(recap(deploy).hosts[ip]?.failed).toBe(0);
      expect(onNode(ip, 'systemctl --failed --no-legend --plain').stdout).toBe('');
    }
    expect(onNode(INFRA, 'systemctl is-active victoria-metrics vmalert prometheus-alertmanager prometheus-blackbox-exporter dnsmasq').stdout).toBe(
      'active\nactive\nactive\nactive\nactive\n',
    );
  });

  it('scrapes every target of both nodes, the etcd member and the infra components', async () => {
    const seen = await waitForTargets();
    console.log(`targets up: ${JSON.stringify(seen)}`);
    expect(seen).toEqual(EXPECTED);
    const all = await targets();
    const node = all.find((t) => t.labels.instance === `${NODE}:9100`);
    expect(node?.labels).toMatchObject({ job: 'node', ip: NODE, ins: 'node-x86', cls: 'nodes-x' });
    const etcd = all.find((t) => t.labels.job === 'etcd');
    expect(etcd?.labels).toMatchObject({ ip: INFRA, ins: 'etcd-1', cls: 'etcd' });
    const rss = onNode(INFRA, 'grep VmRSS /proc/$(systemctl show -p MainPID --value victoria-metrics)/status').stdout.trim();
    console.log(`victoria-metrics ${rss}`);
  });

  it('loads the rules into vmalert, every one healthy, and Alertmanager answers', async () => {
    const rules = await api<{ data: { groups: { name: string; rules: { health: string; type: string }[] }[] } }>(8880, '/api/v1/rules');
    const groups = rules.data.groups;
    expect(groups.map((g) => g.name).sort()).toEqual([
      'agent-recording',
      'etcd-alert',
      'etcd-recording',
      'infra-alert',
      'node-alert',
      'node-recording',
      'pgsql-alert',
      'pgsql-recording',
    ]);
    const all = groups.flatMap((g) => g.rules);
    console.log(
      `rules loaded: ${all.filter((r) => r.type === 'alerting').length} alerting, ${all.filter((r) => r.type === 'recording').length} recording`,
    );
    expect(all.filter((r) => r.health !== 'ok')).toEqual([]);
    expect(await api<{ cluster: { status: string } }>(9059, '/api/v2/status')).toMatchObject({ cluster: { status: 'disabled' } });
  });

  it('lets the blackbox exporter ping, and keeps targets, rules, configs, options and the infra key from other users', async () => {
    expect(onNode(INFRA, 'getcap /usr/bin/prometheus-blackbox-exporter').stdout).toContain('cap_net_raw=ep');
    const probe = await (await fetch(`http://${INFRA}:9115/probe?module=icmp&target=${NODE}`)).text();
    expect(probe).toMatch(/^probe_success 1$/m);
    const modes = onNode(
      INFRA,
      'stat -c "%n %a %U:%G" /data/infra /infra/targets/node /infra/prometheus.yml /etc/pki/infra.key /data/infra/metrics ' +
        '/etc/alertmanager.yml /etc/blackbox.yml /etc/default/victoria-metrics /etc/default/vmalert /etc/default/prometheus-blackbox-exporter',
    ).stdout;
    expect(modes.trim().split('\n')).toEqual([
      '/data/infra 751 root:infra',
      '/infra/targets/node 750 root:infra',
      '/infra/prometheus.yml 640 root:infra',
      '/etc/pki/infra.key 640 root:_victoria-metrics',
      '/data/infra/metrics 750 _victoria-metrics:infra',
      '/etc/alertmanager.yml 640 root:prometheus',
      '/etc/blackbox.yml 640 root:prometheus',
      '/etc/default/victoria-metrics 640 root:_victoria-metrics',
      '/etc/default/vmalert 640 root:_victoria-metrics',
      '/etc/default/prometheus-blackbox-exporter 640 root:prometheus',
    ]);
    expect(onNode(INFRA, 'stat -c "%n %a %U:%G" /var/lib/prometheus/node-exporter /var/lib/prometheus/node-exporter/cert.prom').stdout).toBe(
      '/var/lib/prometheus/node-exporter 755 root:root\n/var/lib/prometheus/node-exporter/cert.prom 644 root:root\n',
    );
    expect(onNode(INFRA, 'readlink /infra').stdout).toBe('/data/infra\n');
  });

  it('reports when each deployed certificate expires, through node_exporter', async () => {
    type Series = { metric: Record<string, string>; value: [number, string] };
    const query = encodeURIComponent('pigsty_cert_expiry_timestamp_seconds');
    let series: Series[] = [];
    const paths = (ins: string): string[] =>
      series
        .filter((s) => s.metric.ins === ins)
        .map((s) => s.metric.path as string)
        .sort();
    // etcd writes its certificate after node_monitor ran: the path unit refreshes the file, the next scrape reads it
    for (let i = 0; i < 15 && (paths('infra-x85').length < 3 || paths('node-x86').length < 1); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 2000));
      series = (await api<{ data: { result: Series[] } }>(8428, `/api/v1/query?query=${query}`)).data.result;
    }
    expect(paths('infra-x85')).toEqual(['/etc/etcd/server.crt', '/etc/pki/ca.crt', '/etc/pki/infra.crt']);
    expect(paths('node-x86')).toEqual(['/etc/pki/ca.crt']);
    const infraCert = series.find((s) => s.metric.path === '/etc/pki/infra.crt');
    const expires = Number(onNode(INFRA, 'date -d "$(openssl x509 -noout -enddate -in /etc/pki/infra.crt | cut -d= -f2)" +%s').stdout);
    expect(Number(infraCert?.value[1])).toBe(expires);
  });

  it('changes nothing when run again, in check mode or not', async () => {
    const again = await runEntry('infra.ts', ['-i', INVENTORY, '--json']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(changedTasks(again)).toEqual([]);
    const check = await runEntry('deploy.ts', ['-i', INVENTORY, '--json', '--check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(changedOn(check)).toEqual({ [INFRA]: 0, [NODE]: 0 });
  });

  it('shows a changed retention as one line of the env file and a restart, its password flag masked, changing nothing', async () => {
    const before = onNode(INFRA, 'sha256sum /etc/default/victoria-metrics').stdout;
    const check = await runEntry('infra.ts', [
      '-i',
      INVENTORY,
      '--json',
      '--check',
      '--diff',
      '-e',
      // JSON: key=value would split the value at its spaces into pairs of their own, as Ansible does
      JSON.stringify({ vmetrics_options: '-retentionPeriod=30d -promscrape.fileSDCheckInterval=5s -httpAuth.password=Vm.Pass$X85' }),
    ]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(changedTasks(check)).toEqual([`${INFRA} infra : configure VictoriaMetrics`, `${INFRA} infra : launch victoria-metrics`]);
    const diff = JSON.stringify(results(check, 'configure VictoriaMetrics')[0]);
    expect(diff).toContain('-retentionPeriod=15d');
    expect(diff).toContain('-retentionPeriod=30d');
    expect(diff).toContain('-httpAuth.password=********');
    expect(check.stdout + check.stderr).not.toMatch(/Vm\.Pass/);
    expect(onNode(INFRA, 'sha256sum /etc/default/victoria-metrics').stdout).toBe(before);
  });

  it('answers the default DNS records from dnsmasq, and the node resolves through it', () => {
    expect(onNode(NODE, 'getent hosts i.pigsty').stdout.trim().split(/\s+/)).toEqual([INFRA, 'i.pigsty']);
    expect(onNode(INFRA, 'stat -c "%U:%G %a" /infra/hosts /infra/hosts/default').stdout.trim().split('\n')).toEqual([
      'root:root 755',
      'root:root 644',
    ]);
  });

  it('removes the infra components with infra-rm (refused without -l), and infra.ts brings them back', async () => {
    const refused = await runEntry('infra-rm.ts', ['-i', INVENTORY, '--json']);
    expect(refused.code).toBe(1);
    const rm = await runEntry('infra-rm.ts', ['-i', INVENTORY, '-l', 'infra', '--json']);
    expect(rm.code, rm.stdout.slice(-2000)).toBe(0);
    expect(
      onNode(INFRA, 'systemctl is-active victoria-metrics vmalert prometheus-alertmanager prometheus-blackbox-exporter dnsmasq || true').stdout,
    ).toBe('inactive\ninactive\ninactive\ninactive\ninactive\n');
    expect(
      onNode(
        INFRA,
        'ls -d /infra /data/infra /etc/pki/infra.key 2>&1 | grep -c "No such file"; dpkg -s victoria-metrics 2>/dev/null | grep -c "^Status: install ok installed"; dpkg -s dnsmasq | grep -c "^Status: install ok installed"',
      ).stdout,
    ).toBe('3\n0\n1\n');
    const back = await runEntry('infra.ts', ['-i', INVENTORY, '--json']);
    expect(back.code, back.stdout.slice(-2000)).toBe(0);
    expect(onNode(INFRA, 'systemctl is-active victoria-metrics vmalert prometheus-alertmanager prometheus-blackbox-exporter dnsmasq').stdout).toBe(
      'active\nactive\nactive\nactive\nactive\n',
    );
  });

  it('refuses infra.ts on an inventory without infra hosts before touching any', async () => {
    const run = await runEntry('infra.ts', ['-i', join(ROOT, 'test/fixtures/roles/node.yml'), '--check']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('group infra has no hosts');
  });
});
