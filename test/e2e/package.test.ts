import { homedir } from 'node:os';
import { join } from 'node:path';
import { KnownHosts } from '../../engine/connection/known-hosts.ts';
import { connectSsh } from '../../engine/connection/ssh.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shq } from '../../engine/shell-quote.ts';
import type { Connection } from '../../engine/connection/types.ts';
import { pkg } from '../../modules/package.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

const REPO = '/var/tmp/pgsty-pkg-repo';
const LIST = '/etc/apt/sources.list.d/pgsty-pkg-test.list';
const PKGS = ['pgsty-pkg-a', 'pgsty-pkg-b'];

// A local flat apt repository of tiny packages, so versions are under the test's control and nothing is downloaded.
const BUILD = `set -e
build() {
  d=$(mktemp -d); mkdir -p $d/DEBIAN
  printf 'Package: %s\\nVersion: %s\\nArchitecture: all\\nMaintainer: pgsty <test@example.com>\\nDescription: pgsty test package\\n' $1 $2 > $d/DEBIAN/control
  dpkg-deb --build --root-owner-group $d ${REPO}/$1_$2_all.deb >/dev/null; rm -rf $d
}
index() {
  cd ${REPO}; : > Packages
  for f in *.deb; do dpkg-deb -f $f >> Packages; printf 'Filename: ./%s\\nSize: %s\\nSHA256: %s\\n\\n' $f $(stat -c %s $f) $(sha256sum $f | cut -d' ' -f1) >> Packages; done
  apt-get -q update -o Dir::Etc::sourcelist=${LIST} -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0 >/dev/null
}
`;

const installedVersion = async (conn: Connection, name: string): Promise<string> =>
  (await sh(conn, `dpkg-query -W -f='\${db:Status-Abbrev} \${Version}' ${name} 2>/dev/null || true`)).trim();

const ADMIN = 'pgsty-admin';

describe('package module on a sandbox node', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connectNode(NODES['node-1']);
    await sh(
      conn,
      `dpkg --purge ${PKGS.join(' ')} >/dev/null 2>&1; rm -rf ${REPO} && mkdir -p ${REPO} && echo 'deb [trusted=yes] file:${REPO} ./' > ${LIST}`,
    );
    await sh(conn, `${BUILD} build pgsty-pkg-a 1.0; build pgsty-pkg-b 1.0; index`);
  });
  afterAll(async () => {
    await sh(conn, `dpkg --purge ${PKGS.join(' ')} >/dev/null 2>&1; rm -rf ${REPO} ${LIST} /var/lib/apt/lists/*pgsty-pkg-repo*`);
    await conn.close();
  });

  it('in check mode reports the install and installs nothing', async () => {
    const r = await runModule(conn, pkg, { name: PKGS }, { check: true });
    expect(r.result.changed).toBe(true);
    expect(r.plan?.summary).toBe('install pgsty-pkg-a, pgsty-pkg-b');
    expect(await installedVersion(conn, 'pgsty-pkg-a')).toBe('');
  });

  it('installs the packages, then reports unchanged', async () => {
    const r = await runModule(conn, pkg, { name: PKGS, state: 'present' });
    expect(r.result).toMatchObject({ changed: true, failed: false, family: 'deb', packages: PKGS });
    expect(await installedVersion(conn, 'pgsty-pkg-a')).toBe('ii  1.0');
    expect(await installedVersion(conn, 'pgsty-pkg-b')).toBe('ii  1.0');
    expect((await runModule(conn, pkg, { name: PKGS })).result.changed).toBe(false);
  });

  it('upgrades to the candidate with state latest, checking first', async () => {
    await sh(conn, `${BUILD} build pgsty-pkg-a 2.0; index`);
    expect((await runModule(conn, pkg, { name: 'pgsty-pkg-a', state: 'present' })).result.changed).toBe(false);
    const check = await runModule(conn, pkg, { name: PKGS, state: 'latest' }, { check: true });
    expect(check.result.changed).toBe(true);
    expect(check.plan?.summary).toBe('upgrade pgsty-pkg-a (1.0 -> 2.0)');
    expect(await installedVersion(conn, 'pgsty-pkg-a')).toBe('ii  1.0');
    expect((await runModule(conn, pkg, { name: PKGS, state: 'latest' })).result.changed).toBe(true);
    expect(await installedVersion(conn, 'pgsty-pkg-a')).toBe('ii  2.0');
    expect((await runModule(conn, pkg, { name: PKGS, state: 'latest' })).result.changed).toBe(false);
  });

  it('refreshes the apt cache only when it is older than cache_valid_time', async () => {
    await sh(conn, "mkdir -p /var/lib/apt/periodic && touch -d '-2 hours' /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists");
    const args = { name: 'pgsty-pkg-a', update_cache: true, cache_valid_time: 3600 };
    const check = await runModule(conn, pkg, args, { check: true });
    expect(check.plan?.summary).toBe('refresh apt cache');
    const r = await runModule(conn, pkg, args);
    expect(r.result).toMatchObject({ changed: true, cache_updated: true });
    expect(Number(await sh(conn, 'echo $(( $(date +%s) - $(stat -c %Y /var/lib/apt/periodic/update-success-stamp) ))'))).toBeLessThan(600);
    expect((await runModule(conn, pkg, args)).result).toMatchObject({ changed: false, cache_updated: false });
  });

  it('waits for the apt lists lock before refreshing', async () => {
    await holdLock(conn, '/var/lib/apt/lists/lock', 3);
    const started = Date.now();
    const r = await runModule(conn, pkg, { name: 'pgsty-pkg-a', update_cache: true, lock_timeout: 60 });
    expect(r.result).toMatchObject({ changed: true, failed: false, cache_updated: true });
    expect(Date.now() - started).toBeGreaterThan(1000);
  });

  it('waits for the dpkg lock another process holds, then removes', async () => {
    const check = await runModule(conn, pkg, { name: PKGS, state: 'absent' }, { check: true });
    expect(check.plan?.summary).toBe('remove pgsty-pkg-a, pgsty-pkg-b');
    expect(await installedVersion(conn, 'pgsty-pkg-b')).toBe('ii  1.0');

    await holdLock(conn, '/var/lib/dpkg/lock-frontend', 3);
    const started = Date.now();
    const r = await runModule(conn, pkg, { name: PKGS, state: 'absent', lock_timeout: 60 });
    expect(r.result.changed).toBe(true);
    expect(Date.now() - started).toBeGreaterThan(1000);
    expect(await installedVersion(conn, 'pgsty-pkg-a')).toBe('');
    expect((await runModule(conn, pkg, { name: PKGS, state: 'absent' })).result.changed).toBe(false);
  });

  it('fails with apt output when the lock stays held past lock_timeout', async () => {
    await holdLock(conn, '/var/lib/dpkg/lock-frontend', 5);
    const r = await runModule(conn, pkg, { name: 'pgsty-pkg-b', lock_timeout: 0 });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/^apt failed to install pgsty-pkg-b: .*lock/);
    await sh(conn, 'while [ -e /var/tmp/pgsty-dpkg-locked ]; do sleep 0.2; done');
  });

  it('fails naming a package no repository has, before changing anything', async () => {
    const r = await runModule(conn, pkg, { name: ['pgsty-pkg-b', 'pgsty-no-such-package'] });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toBe('no package named pgsty-no-such-package in the apt repositories (update_cache may help)');
    expect(await installedVersion(conn, 'pgsty-pkg-b')).toBe('');
  });

  it('resolves Pigsty aliases for the host and skips what Debian lacks with a warning', async () => {
    const r = await runModule(conn, pkg, { name: ['pg_exporter', 'pgsty-pkg-b'], aliases: true }, { check: true });
    expect(r.result).toMatchObject({ changed: true, packages: ['pgsty-pkg-b'], unavailable: ['pg_exporter'] });
    expect(r.plan?.warnings).toEqual([expect.stringContaining('package pg_exporter skipped: not available on deb hosts')]);
    const v = await runModule(conn, pkg, { name: 'postgresql-$v-pgsty', pg_version: 17 }, { check: true });
    expect(v.result.msg).toContain('no package named postgresql-17-pgsty');
  });

  it('reads and plans through become from an unprivileged login', async () => {
    const admin = await connectAsAdmin(conn, NODES['node-1']);
    try {
      const r = await runModule(admin, pkg, { name: PKGS, state: 'latest' }, { check: true, become: { user: 'root' } });
      expect(r.result).toMatchObject({ changed: true, failed: false, family: 'deb' });
      expect(r.plan?.summary).toBe('install pgsty-pkg-a, pgsty-pkg-b');
    } finally {
      await admin.close();
      await sh(conn, `userdel -f -r ${ADMIN} 2>/dev/null; rm -f /etc/sudoers.d/${ADMIN}`);
    }
  });

  it('rejects bad arguments before touching the host', () => {
    expect(argumentError(pkg, { name: 'x; rm -rf /' })?.describe()).toContain('argument "name" must match pattern');
    expect(argumentError(pkg, { name: 'x', state: 'installed' })?.describe()).toContain('"state"');
    expect(argumentError(pkg, { name: [] })?.describe()).toContain('"name"');
    expect(argumentError(pkg, { name: 'x', update: true })?.describe()).toContain('unknown argument "update"');
  });
});

/** Hold an apt or dpkg lock (an fcntl lock, as apt takes it) for some seconds from a background process. */
async function holdLock(conn: Connection, path: string, seconds: number): Promise<void> {
  const py = `import fcntl, os, time
f = open('${path}', 'w')
fcntl.lockf(f, fcntl.LOCK_EX)
open('/var/tmp/pgsty-dpkg-locked', 'w').close()
time.sleep(${seconds})
os.unlink('/var/tmp/pgsty-dpkg-locked')`;
  await sh(
    conn,
    `rm -f /var/tmp/pgsty-dpkg-locked; setsid python3 -c ${shq(py)} >/dev/null 2>&1 < /dev/null &
for i in $(seq 50); do [ -e /var/tmp/pgsty-dpkg-locked ] && break; sleep 0.1; done`,
  );
}

/** An SSH connection to the node as a sudo-capable admin user, for tasks that become root. */
async function connectAsAdmin(conn: Connection, ip: string): Promise<Connection> {
  await sh(
    conn,
    `id ${ADMIN} >/dev/null 2>&1 || useradd -m -s /bin/bash ${ADMIN}; install -d -m 700 -o ${ADMIN} -g ${ADMIN} /home/${ADMIN}/.ssh; ` +
      `install -m 600 -o ${ADMIN} -g ${ADMIN} /root/.ssh/authorized_keys /home/${ADMIN}/.ssh/; echo '${ADMIN} ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/${ADMIN}`,
  );
  return connectSsh(
    { host: ip, address: ip, port: 22, user: ADMIN, kind: 'ssh' },
    { knownHosts: KnownHosts.load(join(homedir(), '.ssh', 'known_hosts')), trustNewHosts: false, connectTimeoutMs: 10_000 },
  );
}
