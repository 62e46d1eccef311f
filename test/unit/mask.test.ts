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
      type: 'task_result',
      play: 'p',
      task: 't',
      host: 'h',
      status: 'changed',
      duration_ms: 1,
      check: false,
      diff: ['+password: DBUser.DBA\n'],
      msg: 'failed with DBUser.Meta',
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

describe('masker gaps', () => {
  it('masks the password of any URL with credentials, whatever the variable, and learns it', () => {
    const m = new Masker();
    m.collect({
      proxy_env: { https_proxy: 'http://proxyuser:Pr0xy.Pass@10.0.0.1:3128' },
      pg_exporter_url: 'postgres://dbuser_monitor:Exp0rter.Pw@:5432/postgres',
    });
    expect(m.mask('env https_proxy=http://proxyuser:Pr0xy.Pass@10.0.0.1:3128')).toBe('env https_proxy=http://proxyuser:********@10.0.0.1:3128');
    expect(m.mask('PGPASSWORD=Exp0rter.Pw psql')).toBe('PGPASSWORD=******** psql');
    expect(new Masker().mask('unknown URL redis://:s3cr3t-value@host/0 and ftp://anon@host')).toBe(
      'unknown URL redis://:********@host/0 and ftp://anon@host',
    );
  });

  it('masks the JSON-escaped and shell-quoted forms of a secret', () => {
    const m = new Masker();
    m.collect({ pg_admin_password: `it's "quoted" \\ back` });
    expect(m.mask(`{"password":"it's \\"quoted\\" \\\\ back"}`)).toBe('{"password":"********"}');
    expect(m.mask(`echo 'it'"'"'s "quoted" \\ back' | psql`)).toBe('echo ******** | psql');
  });

  it("masks a secret inside a quoted SQL or YAML literal, its quotes (and in E'' its backslashes) doubled", () => {
    const m = new Masker();
    m.collect({ pg_admin_password: "it's\\x" });
    expect(m.mask("ALTER ROLE u PASSWORD E'it''s\\\\x'")).toBe("ALTER ROLE u PASSWORD E'********'");
    expect(m.mask("password: 'it''s\\x'")).toBe("password: '********'");
  });

  it('masks a secret as to_json writes it (non-ASCII escaped) and as a .pgpass field (\\ and : escaped)', () => {
    const m = new Masker();
    m.collect({ patroni_password: 'Pässwörd-2024!', pg_replication_password: 'Rep:l1c\\ator#9' });
    expect(m.mask('restapi.password: "P\\u00e4ssw\\u00f6rd-2024!"')).toBe('restapi.password: "********"');
    expect(m.mask('*:*:*:replicator:Rep\\:l1c\\\\ator#9')).toBe('*:*:*:replicator:********');
  });

  it('masks each line of a multi-line key in a diff, not only the whole key', () => {
    const key =
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nq2Wd8fN1uXk3Tz0aLmPp9s\n-----END PRIVATE KEY-----\n';
    const m = new Masker();
    m.collect({ node_private_key: key });
    const diff = `--- a\n+++ b\n@@ -1,2 +1,4 @@\n+-----BEGIN PRIVATE KEY-----\n+MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n+q2Wd8fN1uXk3Tz0aLmPp9s\n+-----END PRIVATE KEY-----\n`;
    const masked = m.mask(diff);
    expect(masked).not.toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7');
    expect(masked).not.toContain('q2Wd8fN1uXk3Tz0aLmPp9s');
    expect(masked).toContain('+********\n+********\n');
  });

  it('masks a secret shorter than 4 characters as a whole token, never inside a word', () => {
    const m = new Masker();
    m.collect({ redis_password: 'ab', vip_auth_pass: '7' });
    expect(m.mask('password ab; requirepass "ab"; auth=7')).toBe('password ********; requirepass "********"; auth=********');
    expect(m.mask('table about 17 tables, port 5437')).toBe('table about 17 tables, port 5437');
  });

  it('masks a common word where it stands as a value, and keeps it in paths and dotted names', () => {
    const m = new Masker();
    m.collect({ pgbackrest_repo: { minio: { s3_key: 'pgbackrest' } } });
    expect(m.mask('repo1-s3-key=pgbackrest')).toBe('repo1-s3-key=********');
    expect(m.mask('{"s3_key": "pgbackrest"}')).toBe('{"s3_key": "********"}');
    expect(m.mask('s3_key: pgbackrest')).toBe('s3_key: ********');
    expect(m.mask('write /etc/pgbackrest/pgbackrest.conf')).toBe('write /etc/pgbackrest/pgbackrest.conf');
    expect(m.mask('install pgbackrest-2.54 from pgbackrest.org')).toBe('install ********-2.54 from pgbackrest.org');
  });

  it('masks a long secret with a digit or punctuation even inside other text', () => {
    const m = new Masker();
    m.collect({ pg_admin_password: 'DBUser.DBA' });
    expect(m.mask('xDBUser.DBAx /tmp/DBUser.DBA')).toBe('x********x /tmp/********');
  });

  it('takes a number, a list or a mapping under a secret name as secret', () => {
    const m = new Masker();
    m.collect({
      pg_admin_password: 31415926,
      pg_monitor_password: ['Li5t.Secret', 42],
      etcd_root_password: { nested: 'Map.Secret1' },
      pg_port: 5432,
    });
    expect(m.mask('31415926 Li5t.Secret 42 Map.Secret1 5432')).toBe('******** ******** ******** ******** 5432');
  });

  it('takes the strings of a registered result under a secret name, not its numbers', () => {
    const m = new Masker();
    m.collect({ api_token: { changed: false, rc: 0, stdout: 'T0ken.Value' } });
    expect(m.mask('rc=0 stdout=T0ken.Value')).toBe('rc=0 stdout=********');
  });

  it('learns secrets from text that does not parse: YAML with a syntax error, a malformed -e', () => {
    const m = new Masker();
    m.collectText(
      'all:\n  vars:\n    pg_admin_password: Y4ml.Secret   # comment\n    pg_users: [{ name: u, password: "Fl0w Secret" ,x: 1}\n  bad: [\n',
    );
    m.collectText('pg_monitor_password=Ext.Secret9');
    m.collectText('{"patroni_password":"J5on.Secret"');
    expect(m.mask('Y4ml.Secret "Fl0w Secret" Fl0w Secret Ext.Secret9 J5on.Secret')).toBe('******** ******** ******** ******** ********');
  });

  it('masks the value of a secret flag in any options string, as written and as an EnvironmentFile escapes it', () => {
    const m = new Masker();
    m.collect({
      vmalert_options: '-remoteWrite.basicAuth.password=Pa$s.W0rd -remoteWrite.basicAuth.passwordFile=/etc/vm/pw -evaluationInterval=10s',
      vmetrics_options: '-httpAuth.password hunter2 -snapshotAuthKey=Sn4p.Key -notifier.bearerToken=b3arer',
      blackbox_options: '--log.level=warn',
    });
    expect(m.mask('+VMALERT_OPTS="-remoteWrite.basicAuth.password=Pa\\$s.W0rd -remoteWrite.basicAuth.passwordFile=/etc/vm/pw"')).toBe(
      '+VMALERT_OPTS="-remoteWrite.basicAuth.password=******** -remoteWrite.basicAuth.passwordFile=/etc/vm/pw"',
    );
    expect(m.mask('ARGS="-httpAuth.password hunter2 -snapshotAuthKey=Sn4p.Key -notifier.bearerToken=b3arer --log.level=warn"')).toBe(
      'ARGS="-httpAuth.password ******** -snapshotAuthKey=******** -notifier.bearerToken=******** --log.level=warn"',
    );
  });
});
