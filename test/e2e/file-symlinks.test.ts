import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shq } from '../../engine/shell-quote.ts';
import type { Connection } from '../../engine/connection/types.ts';
import { blockinfile } from '../../modules/blockinfile.ts';
import { copy } from '../../modules/copy.ts';
import { file } from '../../modules/file.ts';
import { lineinfile } from '../../modules/lineinfile.ts';
import { template } from '../../modules/template.ts';
import { sandbox } from './harness.ts';
import { connectNode, runModule, sh } from './module-harness.ts';

// Root's modules on paths a non-root user owns (as the pgsql role writes into the dbsu's home, pg_data and
// /etc/pgbouncer), with that user planting symlinks to root's files: those files must never change. On x62.
const IP = '10.10.10.62';
const HOME = '/home/mallory';
/** Root's files the links point at, and what they must still be: owner, mode and content hash. */
const TARGET = '/root/target';
const TARGET_DIR = '/root/tdir';
const untouched = `root:root 600 ${TARGET}\nroot:root 700 ${TARGET_DIR}\n`;

describe('modules acting as root where another user can plant symlinks (x62)', () => {
  let conn: Connection;
  const local = mkdtempSync(join(tmpdir(), 'pgsty-links-'));
  const asMallory = (command: string) => sh(conn, `runuser -u mallory -- sh -c ${shq(command)}`);
  const targets = () => sh(conn, `stat -c '%U:%G %a %n' ${TARGET} ${TARGET_DIR}; sha256sum < ${TARGET}; ls -A ${TARGET_DIR}`);
  let before = '';

  beforeAll(async () => {
    sandbox('up', 'x62');
    conn = await connectNode(IP);
    await sh(
      conn,
      [
        `id mallory >/dev/null 2>&1 || useradd -m mallory`,
        `rm -rf ${HOME}/* ${TARGET} ${TARGET_DIR}`,
        `printf 'precious\\n' > ${TARGET} && chmod 600 ${TARGET}`,
        `mkdir -m 700 ${TARGET_DIR}`,
      ].join(' && '),
    );
    await asMallory(
      `cd ${HOME} && ln -s ${TARGET} f && ln -s /root d && ln -s ${TARGET_DIR} dir && mkdir tree && ln -s ${TARGET} tree/l && ln -s /root tree/sub`,
    );
    before = await targets();
    expect(before.startsWith(untouched)).toBe(true);
  });
  afterAll(async () => {
    rmSync(local, { recursive: true, force: true });
    await conn.close();
  });

  const refused = (msg: string | undefined, link: string) =>
    expect(msg).toMatch(new RegExp(`^refusing to follow ${link}\\b.*set follow: true to follow it$`));

  it('lineinfile and blockinfile refuse to edit through a planted link, at the path or on its way', async () => {
    for (const path of [`${HOME}/f`, `${HOME}/d/target`]) {
      const line = await runModule(conn, lineinfile, { path, line: 'pwned', create: true, owner: 'mallory', mode: '0644' });
      expect(line.result.failed, path).toBe(true);
      refused(line.result.msg, path === `${HOME}/f` ? path : `${HOME}/d`);
      const block = await runModule(conn, blockinfile, { path, block: 'pwned', create: true, owner: 'mallory', mode: '0644' });
      expect(block.result.failed, path).toBe(true);
    }
    // /tmp is root's, but anyone may add names there.
    await asMallory(`ln -sf ${TARGET} /tmp/pgsty-planted`);
    const shared = await runModule(conn, lineinfile, { path: '/tmp/pgsty-planted', line: 'pwned' });
    refused(shared.result.msg, '/tmp/pgsty-planted');
    expect(await targets()).toBe(before);
  });

  it('copy and template replace a planted link at dest with the file and refuse a linked directory on the way', async () => {
    writeFileSync(join(local, 't.hbs'), 'rendered\n');
    const r = await runModule(conn, copy, { dest: `${HOME}/f`, content: 'mine\n', owner: 'mallory', mode: '0644' });
    expect(r.result.changed).toBe(true);
    expect(await sh(conn, `stat -c '%F %U %a' ${HOME}/f; cat ${HOME}/f`)).toBe('regular file mallory 644\nmine\n');
    await asMallory(`ln -sf ${TARGET} ${HOME}/f`);
    const t = await runModule(conn, template, { src: join(local, 't.hbs'), dest: `${HOME}/f`, owner: 'mallory', mode: '0644' });
    expect(t.result.changed).toBe(true);
    expect(await sh(conn, `stat -c '%F' ${HOME}/f; cat ${HOME}/f`)).toBe('regular file\nrendered\n');
    const through = await runModule(conn, copy, { dest: `${HOME}/d/target`, content: 'pwned\n', owner: 'mallory' });
    expect(through.result.failed).toBe(true);
    refused(through.result.msg, `${HOME}/d`);
    expect(await targets()).toBe(before);
  });

  it('file refuses to change a linked path (directory, file, touch) and changes the link itself with follow: false', async () => {
    for (const [path, state] of [
      [`${HOME}/dir`, 'directory'],
      [`${HOME}/d/target`, 'file'],
      [`${HOME}/d/new`, 'touch'],
      [`${HOME}/d/tdir/sub`, 'directory'],
    ] as const) {
      const r = await runModule(conn, file, { path, state, owner: 'mallory', mode: '0666' });
      expect(r.result.failed, `${state} ${path}`).toBe(true);
      expect(r.result.msg, `${state} ${path}`).toMatch(/^refusing to follow /);
    }
    const own = await runModule(conn, file, { path: `${HOME}/dir`, owner: 'nobody', follow: false });
    expect(own.result.changed).toBe(true);
    expect(await sh(conn, `stat -c '%U' ${HOME}/dir`)).toBe('nobody\n');
    expect(await targets()).toBe(before);
  });

  it('file with recurse changes links under the tree themselves, never what they point to', async () => {
    const r = await runModule(conn, file, { path: `${HOME}/tree`, state: 'directory', recurse: true, owner: 'nobody', mode: '0666' });
    expect(r.result.changed).toBe(true);
    expect(await sh(conn, `find ${HOME}/tree -printf '%y %u %P\\n' | sort`)).toBe('d nobody \nl nobody l\nl nobody sub\n');
    expect(await targets()).toBe(before);
  });

  it('a link root made (as /pg) is followed, but not on through a link the owner of its target directory plants', async () => {
    // /pg points into the dbsu's directory: root's link is trusted, the next hop is judged where it sits.
    const via = '/srv/pgsty-pg';
    await sh(conn, `rm -f ${via} && ln -s ${HOME}/cluster ${via}`);
    await asMallory(`rm -rf ${HOME}/cluster ${HOME}/cluster.old && mkdir -p ${HOME}/cluster/data`);
    const made = await runModule(conn, file, { path: `${via}/log`, state: 'directory', owner: 'mallory', mode: '0750' });
    expect(made.result.changed).toBe(true);
    expect(await sh(conn, `stat -c '%U %a' ${HOME}/cluster/log`)).toBe('mallory 750\n');
    await asMallory(`mv ${HOME}/cluster ${HOME}/cluster.old && ln -s ${TARGET_DIR} ${HOME}/cluster`);
    const attempts = [
      await runModule(conn, file, { path: `${via}/log`, state: 'directory', owner: 'mallory', mode: '0777' }),
      await runModule(conn, copy, { dest: `${via}/conf.yml`, content: 'pwned\n', owner: 'mallory' }),
      await runModule(conn, lineinfile, { path: `${via}/conf.yml`, line: 'pwned', create: true }),
      await runModule(conn, file, { path: `${via}/data`, state: 'absent' }),
    ];
    for (const r of attempts) refused(r.result.msg, `${HOME}/cluster`);
    expect(await targets()).toBe(before);
    await sh(conn, `rm -f ${via}`);
  });

  it('a link in a root-owned directory its group may write is not trusted either', async () => {
    await sh(conn, 'rm -rf /srv/pgsty-gw && mkdir -m 775 /srv/pgsty-gw && chgrp mallory /srv/pgsty-gw');
    await asMallory(`ln -s ${TARGET_DIR} /srv/pgsty-gw/cfg`);
    const r = await runModule(conn, copy, { dest: '/srv/pgsty-gw/cfg/pwned', content: 'pwned\n' });
    refused(r.result.msg, '/srv/pgsty-gw/cfg');
    expect(await targets()).toBe(before);
    await sh(conn, 'rm -rf /srv/pgsty-gw');
  });

  it('copy with remote_src reads at apply the source it planned, not a link swapped in between', async () => {
    await asMallory(`rm -rf ${HOME}/src && printf 'harmless\\n' > ${HOME}/src`);
    await sh(conn, 'rm -rf /srv/pgsty-out && mkdir /srv/pgsty-out');
    // The owner of the source's directory swaps it for a link to root's file just before the copy is applied.
    const swapping = Object.assign(Object.create(conn) as Connection, {
      exec: async (...args: Parameters<Connection['exec']>) => {
        if (args[0].includes('cat <&3 > new')) await asMallory(`rm ${HOME}/src && ln -s ${TARGET} ${HOME}/src`);
        return conn.exec(...args);
      },
    });
    const r = await runModule(swapping, copy, { src: `${HOME}/src`, remote_src: true, dest: '/srv/pgsty-out/f' });
    expect(r.result.msg).toBe(`copying ${HOME}/src to /srv/pgsty-out/f failed: ${HOME}/src changed while being read`);
    expect(await sh(conn, 'ls -A /srv/pgsty-out; rm -rf /srv/pgsty-out')).toBe('');
    expect(await targets()).toBe(before);
  });

  it('keeps the ACLs and extended attributes of the file it replaces', async () => {
    const path = `${HOME}/attrs`;
    await sh(conn, 'command -v setfacl >/dev/null && command -v setfattr >/dev/null || apt-get install -y -q acl attr >/dev/null');
    await sh(conn, `printf 'a\\n' > ${path} && chmod 640 ${path} && setfacl -m u:nobody:r ${path} && setfattr -n user.pgsty -v kept ${path}`);
    const r = await runModule(conn, copy, { dest: path, content: 'b\n', owner: 'mallory' });
    expect(r.result.changed).toBe(true);
    expect(
      await sh(conn, `cat ${path}; stat -c '%U %a' ${path}; getfacl -cp ${path} | grep nobody; getfattr --only-values -n user.pgsty ${path}; echo`),
    ).toBe('b\nmallory 640\nuser:nobody:r--\nkept\n');
  });

  it('a race: the owner swapping every new entry of the directory for a link to root’s files never gets one changed', async () => {
    const race = `${HOME}/race`;
    await asMallory(`mkdir -p ${race}`);
    // Every new name in the directory (a staging directory, a temp name) is moved away and replaced by a link
    // to root's file or directory, as fast as the shell can loop, while root writes there again and again.
    const loop = [
      'i=0; while [ -e /tmp/race.on ]; do',
      `  for e in ${race}/.[!.]* ${race}/*; do`,
      '    [ -L "$e" ] && continue; [ -e "$e" ] || continue',
      '    case $e in */.gone.*) continue ;; esac',
      '    i=$((i+1)); mv -f "$e" "${e%/*}/.gone.$i" 2>/dev/null || continue',
      `    if [ $((i % 2)) = 0 ]; then ln -s ${TARGET} "$e"; else ln -s ${TARGET_DIR} "$e"; fi 2>/dev/null`,
      '  done',
      'done',
    ].join('\n');
    await sh(conn, 'touch /tmp/race.on && chmod 644 /tmp/race.on');
    await sh(conn, `setsid -f runuser -u mallory -- sh -c ${shq(loop)} >/dev/null 2>&1 </dev/null`);
    let written = 0;
    try {
      for (let i = 0; i < 30; i++) {
        const r = await runModule(conn, copy, { dest: `${race}/f`, content: `round ${i}\n`, owner: 'mallory', mode: '0666', backup: i % 3 === 0 });
        if (!r.result.failed) written++;
        await runModule(conn, lineinfile, { path: `${race}/f`, line: `line ${i}`, owner: 'mallory', mode: '0666' });
      }
    } finally {
      await sh(conn, 'rm -f /tmp/race.on');
    }
    const swapped = Number((await sh(conn, `ls -d ${race}/.gone.* 2>/dev/null | wc -l`)).trim());
    console.log(`race: ${written}/30 copies written, ${swapped} entries swapped for links`);
    expect(swapped).toBeGreaterThan(0);
    expect(await targets()).toBe(before);
  });
});
