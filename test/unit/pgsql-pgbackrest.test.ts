import { describe, expect, it } from 'vitest';
import { renderTemplate, templatePath } from '../../modules/template.ts';
import { coerceExtraVars } from '../../engine/schema.ts';
import { PARAM_DEFAULTS, PigstyParams } from '../../roles/params.ts';
import {
  initialBackupWanted,
  localRepoPath,
  pgArchiveCommands,
  pgbackrestCommands,
  pgbackrestTemplateVars,
  repoHasSecret,
  repoOptions,
  selectedRepo,
  stanzaInitWanted,
  stanzaStatus,
  type PgbackrestVars,
} from '../../roles/pgsql/pgbackrest.ts';
import { pgHost } from './role-host.ts';

const tpl = templatePath(new URL('../../roles/pgsql/role.ts', import.meta.url).href, 'pgbackrest-conf.hbs');
/** The pgBackRest variables of a host that sets `extra`, the declared defaults for the rest. */
const br = (extra: Partial<PgbackrestVars> = {}): PgbackrestVars => ({ ...PARAM_DEFAULTS, ...extra });

describe('pgBackRest repository options', () => {
  it('writes the local repository by default, keys with dashes', () => {
    expect(repoOptions(br({ pg_cluster: 'pg-test' }))).toEqual([
      'repo1-path=/pg/backup',
      'repo1-retention-full-type=count',
      'repo1-retention-full=2',
    ]);
    expect(localRepoPath(br())).toBe('/pg/backup');
  });

  it('writes the MinIO repository of pgbackrest_method minio, secrets included', () => {
    const minio = repoOptions(br({ pg_cluster: 'pg-test', pgbackrest_method: 'minio' }));
    expect(minio).toContain('repo1-type=s3');
    expect(minio).toContain('repo1-s3-key-secret=S3User.Backup');
    expect(minio).toContain('repo1-storage-port=9000');
    expect(minio).toContain('repo1-bundle-limit=20MiB');
    expect(minio).toContain('repo1-cipher-pass=pgBackRest');
    expect(repoHasSecret(br({ pgbackrest_method: 'minio' }))).toBe(true);
    expect(repoHasSecret(br({ pgbackrest_method: 'local' }))).toBe(false);
    expect(localRepoPath(br({ pgbackrest_method: 'minio' }))).toBeUndefined();
  });

  it('refuses an option key or value that would add a line, a section or an option (-e values skip the schema)', () => {
    const repo = (entries: Record<string, string>) => br({ pg_cluster: 'pg-test', pgbackrest_method: 'local', pgbackrest_repo: { local: entries } });
    expect(() => repoOptions(repo({ 'path\n[global]\nrepo1-host-cmd': '/tmp/evil.sh' }))).toThrow(
      'pgbackrest_repo: "path\\n[global]\\nrepo1-host-cmd" is not a pgBackRest option name (lowercase letters, digits, _ and -)',
    );
    expect(() => repoOptions(repo({ 'path=/x': '/y' }))).toThrow('is not a pgBackRest option name');
    expect(() => repoOptions(repo({ path: '/pg/backup\u2028repo1-host-cmd=/tmp/evil.sh' }))).toThrow(
      'pgbackrest_repo: the value of path is not a single line',
    );
    expect(() => renderTemplate(tpl, { pgbr: pgbackrestTemplateVars(pgHost(repo({ 'a\nb': 'c' }))) })).toThrow('not a pgBackRest option name');
  });

  it('replaces ${pg_cluster} in values and writes booleans as y/n', () => {
    const repo = { s3: { type: 's3', path: '/backup/${pg_cluster}', block: true, bundle: false } };
    expect(repoOptions(br({ pg_cluster: 'pg-x', pgbackrest_method: 's3', pgbackrest_repo: repo }))).toEqual([
      'repo1-type=s3',
      'repo1-path=/backup/pg-x',
      'repo1-block=y',
      'repo1-bundle=n',
    ]);
  });

  it('refuses a method that is not a repository', () => {
    expect(() => selectedRepo(br({ pgbackrest_method: 'nfs' }))).toThrow(/pgbackrest_method nfs is not a key of pgbackrest_repo \(local, minio\)/);
  });
});

describe('pgBackRest steps', () => {
  it('creates the stanza on every member of a local repository, else on the primary of a non-standby cluster', () => {
    expect(stanzaInitWanted(br({ pg_role: 'replica' }))).toBe(true);
    expect(stanzaInitWanted(br({ pg_role: 'replica', pgbackrest_method: 'minio' }))).toBe(false);
    expect(stanzaInitWanted(br({ pg_role: 'primary', pgbackrest_method: 'minio' }))).toBe(true);
    expect(stanzaInitWanted(br({ pg_role: 'primary', pgbackrest_method: 'minio', pg_upstream: '10.10.10.10' }))).toBe(false);
  });

  it('takes the first backup on the primary of a non-standby cluster, unless turned off', () => {
    expect(initialBackupWanted(br({ pg_role: 'primary' }))).toBe(true);
    expect(initialBackupWanted(br({ pg_role: 'replica' }))).toBe(false);
    expect(initialBackupWanted(br({ pg_role: 'primary', pg_upstream: '10.10.10.10' }))).toBe(false);
    expect(initialBackupWanted(br({ pg_role: 'primary', pgbackrest_init_backup: false }))).toBe(false);
    // -e pgbackrest_init_backup=false, as the engine hands it to the roles.
    expect(initialBackupWanted(br({ pg_role: 'primary', ...coerceExtraVars(PigstyParams, { pgbackrest_init_backup: 'false' }) }))).toBe(false);
  });

  it('reads the stanza status from pgbackrest info --output=json', () => {
    expect(stanzaStatus({ changed: false, failed: false, stdout: '[{"name":"pg-test","status":{"code":1,"message":"missing stanza path"}}]' })).toBe(
      1,
    );
    expect(stanzaStatus({ changed: false, failed: false, stdout: '[{"status":{"code":2,"message":"no valid backups"}}]' })).toBe(2);
    expect(stanzaStatus({ changed: false, failed: false, stdout: 'ERROR: [055]: unable to load info file' })).toBeUndefined();
    expect(stanzaStatus(undefined)).toBeUndefined();
  });

  it('gives the core the archive, restore and replica commands of the cluster', () => {
    expect(pgArchiveCommands({ pg_cluster: 'pg-test' })).toEqual({
      archive_command: 'pgbackrest --stanza=pg-test archive-push %p',
      restore_command: 'pgbackrest --stanza=pg-test archive-get %f "%p"',
      create_replica: '/usr/bin/pgbackrest --stanza=pg-test --delta restore',
    });
    expect(pgbackrestCommands('x')).toEqual(pgArchiveCommands({ pg_cluster: 'x' }));
  });
});

describe('pgbackrest.conf', () => {
  it('has the global options, the repository and the stanza of the cluster', () => {
    const conf = renderTemplate(tpl, { pgbr: pgbackrestTemplateVars(pgHost({ pg_port: 5433, pg_data: '/pg/data' })) });
    const lines = conf.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines).toEqual([
      '[global]',
      'repo1-path=/pg/backup',
      'repo1-retention-full-type=count',
      'repo1-retention-full=2',
      'archive-async=y',
      'archive-push-queue-max=4GiB',
      'spool-path=/pg/spool',
      'annotation=pg_cluster=pg-test',
      'compress-type=lz4',
      'expire-auto=y',
      'start-fast=y',
      'delta=y',
      'log-path=/pg/log/pgbackrest',
      'log-level-console=info',
      'log-level-file=info',
      '[pg-test]',
      'pg1-path=/pg/data',
      'pg1-port=5433',
      'pg1-socket-path=/var/run/postgresql',
    ]);
  });

  it('forces the version and skips the archive header check for IvorySQL', () => {
    const conf = renderTemplate(tpl, { pgbr: pgbackrestTemplateVars(pgHost({ pg_mode: 'ivory', pg_version: 17 })) });
    expect(conf).toContain('archive-header-check=n\npg-version-force=17\n');
  });
});
