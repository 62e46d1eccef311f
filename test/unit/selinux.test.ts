import { describe, expect, it } from 'vitest';
import { parseState, planSelinux } from '../../modules/selinux.ts';

const EL9_CONFIG = '# This file controls the state of SELinux\nSELINUX=enforcing\n# SELINUXTYPE= can take one of these:\nSELINUXTYPE=targeted\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

const el9 = (live: string, extra = '') => parseState(`@config\t${b64(EL9_CONFIG)}\n@live\t${live}\n${extra}`);

describe('selinux planning on an EL host', () => {
  it('sets the config and the live mode, as Pigsty does for node_selinux_mode', () => {
    const changes = planSelinux(el9('Enforcing'), { state: 'permissive' });
    expect(changes.config).toBe(EL9_CONFIG.replace('SELINUX=enforcing', 'SELINUX=permissive'));
    expect(changes.commands).toEqual(['setenforce 0']);
    expect(changes.words).toEqual(['SELINUX enforcing -> permissive', 'live enforcing -> permissive']);
    expect(changes.warnings).toEqual([]);
  });

  it('changes nothing when config and live mode already match', () => {
    expect(planSelinux(el9('Enforcing'), { state: 'enforcing', policy: 'targeted' })).toEqual({ commands: [], words: [], warnings: [] });
  });

  it('cannot disable live: permissive until a reboot, with a warning', () => {
    const changes = planSelinux(el9('Enforcing'), { state: 'disabled' });
    expect(changes.config).toContain('SELINUX=disabled\n');
    expect(changes.commands).toEqual(['setenforce 0']);
    expect(changes.warnings).toEqual(['SELinux can only be disabled by a reboot: permissive until then']);
    const off = planSelinux(parseState(`@config\t${b64(EL9_CONFIG.replace('=enforcing', '=disabled'))}\n@live\tDisabled\n`), { state: 'enforcing' });
    expect(off.commands).toEqual([]);
    expect(off.warnings).toEqual(['SELinux is disabled in the running kernel: enforcing takes effect after a reboot']);
  });

  it('adds, modifies and deletes file contexts and port types with semanage', () => {
    const tables = [
      '@semanage',
      '@fcontext',
      '/var/lib/pgsql(/.*)?                               all files          system_u:object_r:postgresql_db_t:s0',
      '/pg/data(/.*)?                                     all files          system_u:object_r:var_t:s0',
      '@fcontext-local',
      '/pg/data(/.*)?                                     all files          system_u:object_r:var_t:s0',
      '/old(/.*)?                                         all files          system_u:object_r:var_t:s0',
      '@port',
      'postgresql_port_t              tcp      5432, 9898, 9899',
      'http_port_t                    tcp      80, 81, 443, 8008, 8009, 8443, 9000',
      '@port-local',
      'http_port_t                    tcp      8008',
      '',
    ].join('\n');
    const changes = planSelinux(el9('Enforcing', tables), {
      fcontext: [
        { target: '/var/lib/pgsql(/.*)?', setype: 'postgresql_db_t' },
        { target: '/pg/data(/.*)?', setype: 'postgresql_db_t' },
        { target: "/pg/it's(/.*)?", setype: 'postgresql_db_t' },
        { target: '/old(/.*)?', setype: 'var_t', state: 'absent' },
        { target: '/never(/.*)?', setype: 'var_t', state: 'absent' },
      ],
      ports: [
        { port: 5432, proto: 'tcp', setype: 'postgresql_port_t' },
        { port: '9000', proto: 'tcp', setype: 'postgresql_port_t' },
        { port: '6432-6440', proto: 'tcp', setype: 'postgresql_port_t' },
        { port: 8008, proto: 'tcp', setype: 'http_port_t', state: 'absent' },
        { port: 9898, proto: 'tcp', setype: 'postgresql_port_t', state: 'absent' },
      ],
    });
    expect(changes.commands).toEqual([
      "semanage fcontext -m -t postgresql_db_t -- '/pg/data(/.*)?'",
      `semanage fcontext -a -t postgresql_db_t -- '/pg/it'"'"'s(/.*)?'`,
      "semanage fcontext -d -- '/old(/.*)?'",
      'semanage port -m -t postgresql_port_t -p tcp 9000',
      'semanage port -a -t postgresql_port_t -p tcp 6432-6440',
      'semanage port -d -t http_port_t -p tcp 8008',
    ]);
  });

  it('reports a host without SELinux as nothing to do, and fails contexts without semanage', () => {
    expect(planSelinux(parseState(''), { state: 'enforcing', ports: [{ port: 1, proto: 'tcp', setype: 'x_t' }] })).toEqual({
      commands: [],
      words: [],
      warnings: ['SELinux is not present on this host (no /etc/selinux/config, no getenforce): nothing to do'],
    });
    expect(() => planSelinux(el9('Enforcing'), { ports: [{ port: 1, proto: 'tcp', setype: 'x_t' }] })).toThrow('semanage is not installed');
  });
});
