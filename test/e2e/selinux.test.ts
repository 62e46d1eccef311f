import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../engine/connection/types.ts';
import { selinux } from '../../modules/selinux.ts';
import { NODES } from './harness.ts';
import { argumentError, connectNode, runModule, sh } from './module-harness.ts';

const CONFIG = '/etc/selinux/config';
const NOT_PRESENT = 'SELinux is not present on this host (no /etc/selinux/config, no getenforce): nothing to do';

describe('selinux module on a Debian sandbox node', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connectNode(NODES['node-1']);
    await sh(conn, `rm -f ${CONFIG}`);
  });
  afterAll(async () => {
    await sh(conn, `rm -f ${CONFIG}`);
    await conn.close();
  });

  it('reports ok with a warning on a host without SELinux, in check mode and for real', async () => {
    for (const check of [true, false]) {
      const r = await runModule(
        conn,
        selinux,
        { state: 'permissive', ports: [{ port: 5432, proto: 'tcp', setype: 'postgresql_port_t' }] },
        { check },
      );
      expect(r.result).toMatchObject({ changed: false, failed: false, selinux: false });
      expect(r.plan?.warnings).toEqual([NOT_PRESENT]);
    }
    expect(await sh(conn, `test -e ${CONFIG} && echo present || echo absent`)).toBe('absent\n');
  });

  // A config file without kernel support or tools: the config path runs for real, the live mode is not there to set.
  describe('with an /etc/selinux/config but no getenforce', () => {
    const original = 'SELINUX=enforcing\nSELINUXTYPE=targeted\n';
    beforeAll(() => sh(conn, `printf '${original}' > ${CONFIG}`));

    it('in check mode shows the config diff and leaves the file alone', async () => {
      const r = await runModule(conn, selinux, { state: 'permissive' }, { check: true });
      expect(r.result.changed).toBe(true);
      expect(r.plan?.summary).toBe('selinux: SELINUX enforcing -> permissive');
      expect(r.plan?.diff).toEqual([{ path: CONFIG, before: original, after: 'SELINUX=permissive\nSELINUXTYPE=targeted\n' }]);
      expect(await sh(conn, `cat ${CONFIG}`)).toBe(original);
    });

    it('writes the mode, then reports unchanged', async () => {
      expect((await runModule(conn, selinux, { state: 'permissive' })).result.changed).toBe(true);
      expect(await sh(conn, `cat ${CONFIG}`)).toBe('SELINUX=permissive\nSELINUXTYPE=targeted\n');
      const again = await runModule(conn, selinux, { state: 'permissive', policy: 'targeted' });
      expect(again.result).toMatchObject({ changed: false, selinux: true, configured_mode: 'permissive' });
    });

    it('warns that a policy change needs a reboot', async () => {
      const r = await runModule(conn, selinux, { policy: 'mls' });
      expect(r.plan?.warnings).toEqual(['the SELinux policy mls takes effect after a reboot']);
      expect(await sh(conn, `cat ${CONFIG}`)).toBe('SELINUX=permissive\nSELINUXTYPE=mls\n');
    });

    it('fails naming semanage when contexts are asked for and it is missing', async () => {
      const r = await runModule(conn, selinux, { fcontext: [{ target: '/pg/data(/.*)?', setype: 'postgresql_db_t' }] });
      expect(r.result.failed).toBe(true);
      expect(r.result.msg).toBe('semanage is not installed (policycoreutils-python-utils): cannot manage file or port contexts');
    });
  });

  it('rejects bad arguments before touching the host', () => {
    expect(argumentError(selinux, { state: 'on' })?.describe()).toContain(
      'argument "state" must be equal to one of the allowed values: one of disabled, permissive, enforcing (got "on")',
    );
    expect(argumentError(selinux, { ports: [{ port: 70000, proto: 'tcp', setype: 'x_t' }] })?.describe()).toContain('"ports.0.port"');
    expect(argumentError(selinux, { fcontext: [{ target: 'relative', setype: 'x_t' }] })?.describe()).toContain('"fcontext.0.target"');
    expect(argumentError(selinux, { fcontext: [{ target: '/x', setype: 'x_t; reboot' }] })?.describe()).toContain('"fcontext.0.setype"');
  });
});
