import { describe, expect, it } from 'vitest';
import { Masker } from '../../engine/output/mask.ts';
import type { RunEvent } from '../../engine/output/events.ts';

describe('secret masking', () => {
  const masker = new Masker();
  masker.collect({
    pg_admin_password: 'DBUser.DBA',
    minio_secret_key: 'S3User.MinIO',
    api_token: 'tok-123456',
    pg_users: [{ name: 'dbuser_meta', password: 'DBUser.Meta' }],
    ansible_ssh_private_key_file: '/root/.ssh/id_ed25519',
    short_password: 'abc',
    pg_port: 5432,
  });

  it('masks values of secret-named variables at any depth, and nothing else', () => {
    expect(masker.mask('ALTER USER dbuser_meta PASSWORD DBUser.Meta; DBUser.DBA S3User.MinIO tok-123456')).toBe(
      'ALTER USER dbuser_meta PASSWORD ********; ******** ******** ********',
    );
    expect(masker.mask('key file /root/.ssh/id_ed25519 port 5432')).toBe('key file /root/.ssh/id_ed25519 port 5432');
  });

  it('scrubs every string of an event, diffs included', () => {
    const event: RunEvent = {
      type: 'task_result', play: 'p', task: 't', host: 'h', status: 'changed', duration_ms: 1, check: false,
      diff: ['+password: DBUser.DBA\n'], msg: 'failed with DBUser.Meta',
    };
    const seen: RunEvent[] = [];
    masker.wrap({ emit: (e) => seen.push(e), close: async () => {} }).emit(event);
    expect(JSON.stringify(seen[0])).not.toMatch(/DBUser\.(DBA|Meta)/);
    expect((seen[0] as { diff: string[] }).diff[0]).toBe('+password: ********\n');
  });

  it('masks a secret that contains another one whole', () => {
    const m = new Masker();
    m.add('secret');
    m.add('secret-longer');
    expect(m.mask('x secret-longer y')).toBe('x ******** y');
  });
});
