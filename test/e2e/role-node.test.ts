import { spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { onNode, recap, results, ROOT, runEntry, sandbox, type Run } from './harness.ts';

// node.ts (CA, node_id, node, haproxy, node_exporter) on the node role's own nodes x21 and x22.
const INVENTORY = join(ROOT, 'test/fixtures/roles/node.yml');
const NODES = { '10.10.10.21': 'pigsty-x21', '10.10.10.22': 'pigsty-x22' } as const;
const IPS = Object.keys(NODES) as (keyof typeof NODES)[];
const ADMIN_PASSWORD = 'HAProxy.Admin';

const changedOn = (run: Run): Record<string, number> => Object.fromEntries(Object.entries(recap(run).hosts).map(([h, c]) => [h, c.changed ?? -1]));
const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)}s`;

/** A command as the admin user, logged in over SSH with the controller's own key. */
const asAdmin = (ip: string, command: string) =>
  spawnSync('ssh', ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', `dba@${ip}`, command], { encoding: 'utf8' });

describe('node playbook on x21 and x22', () => {
  let deploy: Run;

  beforeAll(async () => {
    try {
      sandbox('up', 'x21', 'x22');
    } catch {
      // a node left degraded by an earlier run: the reset below brings it up from a fresh disk anyway
    }
    sandbox('reset', 'x21', 'x22');
    const t0 = Date.now();
    deploy = await runEntry('node.ts', ['-i', INVENTORY, '--json']);
    console.log(`fresh deploy of x21, x22: ${seconds(t0)}`);
  });

  it('deploys without failures and leaves no failed unit behind', () => {
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    for (const ip of IPS) {
      expect(recap(deploy).hosts[ip]?.failed).toBe(0);
      expect(onNode(ip, 'systemctl --failed --no-legend --plain').stdout).toBe('');
    }
  });

  it('names each host after its nodename and writes the managed /etc/hosts records', () => {
    for (const [ip, name] of Object.entries(NODES)) {
      expect(onNode(ip, 'hostname').stdout.trim()).toBe(name);
      const hosts = onNode(ip, 'cat /etc/hosts').stdout;
      expect(hosts).toContain('127.0.0.1\tlocalhost\n');
      expect(hosts).toContain('10.10.10.21 i.pigsty # pigsty dns\n10.10.10.22 x22.pigsty # pigsty dns\n');
      expect(hosts).toContain('10.10.10.21 pigsty-x21 # pigsty meta\n10.10.10.22 pigsty-x22 # pigsty meta\n');
      expect(onNode(ip, 'cat /etc/resolv.conf').stdout).toBe('options single-request-reopen timeout:1\nnameserver 10.10.10.21\n');
    }
  });

  it('lets the admin user log in with the controller key and use sudo without a password', () => {
    for (const ip of IPS) {
      const r = asAdmin(ip, 'id -un; sudo -n id -u');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('dba\n0\n');
    }
    expect(onNode('10.10.10.21', 'id dba').stdout).toMatch(/^uid=88\(dba\) .*88\(admin\)/);
    // the admin users' keys are exchanged: dba on x21 reaches x22 without a password
    const hop = onNode('10.10.10.21', "su - dba -c 'ssh -o BatchMode=yes 10.10.10.22 hostname'");
    expect(hop.stdout.trim()).toBe('pigsty-x22');
  });

  it('writes the tuning profile, hugepage and node_sysctl_params files, and trusts the CA', () => {
    const ip = '10.10.10.22';
    const tune = onNode(ip, 'cat /etc/sysctl.d/90-pigsty-tune.conf').stdout;
    expect(tune).toContain('vm.dirty_ratio = 15\n');
    expect(tune).toContain('net.ipv4.tcp_rmem = 4096 87380 16777216\n');
    expect(onNode(ip, 'cat /etc/sysctl.d/95-pigsty-sysctl.conf').stdout).toBe('fs.nr_open = 8388608\nnet.ipv4.tcp_fin_timeout = 10\n');
    expect(onNode(ip, 'cat /etc/sysctl.d/hugepage.conf').stdout).toBe('vm.nr_hugepages = 0\n');
    expect(onNode(ip, 'openssl verify -CApath /etc/ssl/certs /etc/pki/ca.crt').stdout).toContain('OK');
    expect(results(deploy, 'node : kernel modules not loaded').every((r) => String(r.summary).includes('container'))).toBe(true);
  });

  it('configures and runs chrony, cron and the crontab', () => {
    for (const ip of IPS) {
      expect(onNode(ip, 'grep -c "^pool pool.ntp.org iburst$" /etc/chrony/chrony.conf').stdout).toBe('1\n');
      expect(onNode(ip, 'systemctl is-active chrony cron').stdout).toBe('active\nactive\n');
      expect(onNode(ip, 'cat /proc/$(systemctl show -p MainPID --value chrony)/cmdline | tr "\\0" " "').stdout).toContain('-x');
      expect(onNode(ip, 'grep -c "^00 01 \\* \\* \\* root /usr/bin/true$" /etc/crontab').stdout).toBe('1\n');
    }
  });

  it('runs haproxy with the auth-protected stats page on :9101, the metrics and the conf.d service', async () => {
    for (const [ip, name] of Object.entries(NODES)) {
      const page = `http://${ip}:9101/haproxy/${name}/`;
      expect((await httpGet(page)).status).toBe(401);
      const auth = { Authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };
      const ok = await httpGet(page, auth);
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('ssh-test');
      expect((await httpGet(`http://${ip}:9101/metrics`)).body).toContain('haproxy_process_');
      expect(onNode(ip, 'systemctl show -p FragmentPath --value haproxy').stdout.trim()).toBe('/etc/systemd/system/haproxy.service');
      expect(onNode(ip, 'stat -c %a /etc/haproxy/haproxy.cfg').stdout.trim()).toBe('600');
    }
    // the service from conf.d forwards to sshd on x21
    const banner = onNode('10.10.10.22', 'exec 3<>/dev/tcp/127.0.0.1/10022 && head -c 7 <&3');
    expect(banner.stdout).toBe('SSH-2.0');
    expect((await httpGet('http://10.10.10.21:9100/metrics')).body).toContain('node_tcp_connection_states');
  });

  it('changes nothing when run again, in check mode or not', async () => {
    const t0 = Date.now();
    const rerun = await runEntry('node.ts', ['-i', INVENTORY, '--json']);
    console.log(`no-op re-run: ${seconds(t0)}`);
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    expect(changedOn(rerun)).toEqual({ '10.10.10.21': 0, '10.10.10.22': 0 });
    const check = await runEntry('node.ts', ['-i', INVENTORY, '--json', '--check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(changedOn(check)).toEqual({ '10.10.10.21': 0, '10.10.10.22': 0 });
  });
});

/**
 * One GET on a connection of its own: haproxy closes an idle kept-alive stats connection, and fetch's pool would
 * reuse that socket for the next request ("other side closed").
 */
function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    get(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      res.on('error', fail);
    }).on('error', fail);
  });
}
