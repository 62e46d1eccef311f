import { describe, expect, it } from 'vitest';
import { pgExtension } from '../../modules/pg-extension.ts';
import { fakeHost, psql, psqlRead, runModule } from './fake-host.ts';

/** The state read of a database with plpgsql and vector 0.7.4 installed, and postgis available. */
const STATE = {
  stdout: `${JSON.stringify({
    installed: { plpgsql: { version: '1.0', schema: 'pg_catalog' }, vector: { version: '0.7.4', schema: 'public' } },
    available: {
      plpgsql: { default_version: '1.0', versions: ['1.0'] },
      vector: { default_version: '0.8.0', versions: ['0.7.4', '0.8.0'] },
      postgis: { default_version: '3.5.2', versions: ['3.5.2'] },
    },
  })}\n`,
};

describe('pg_extension', () => {
  it('leaves an installed extension alone when no version is asked for: one read of all extensions', async () => {
    const host = fakeHost().on(psqlRead('meta'), STATE);
    expect((await runModule(pgExtension, { name: 'vector', db: 'meta' }, host)).result).toEqual({ changed: false, failed: false, statements: [] });
    expect(host.sent).toHaveLength(1);
    expect(host.sent[0]?.stdin).toContain('from pg_available_extension_versions');
  });

  it('creates a missing one in a schema with CASCADE', async () => {
    const host = fakeHost().on(psqlRead('meta'), STATE).on(psql('meta', 'BEGIN;'));
    const { plan } = await runModule(pgExtension, { name: 'postgis', schema: 'gis', cascade: true, db: 'meta' }, host);
    expect(plan?.summary).toBe('extension postgis in meta: CREATE EXTENSION "postgis" SCHEMA "gis" CASCADE');
    expect(host.sent[1]?.stdin).toBe('BEGIN;\nCREATE EXTENSION "postgis" SCHEMA "gis" CASCADE;\nCOMMIT;\n');
  });

  it('updates to latest (the default version) and moves it to another schema', async () => {
    const host = fakeHost().on(psqlRead('meta'), STATE).on(psql('meta', 'BEGIN;'));
    const { result } = await runModule(pgExtension, { name: 'vector', version: 'latest', schema: 'ext', db: 'meta' }, host);
    expect(result.statements).toEqual([`ALTER EXTENSION "vector" UPDATE TO '0.8.0'`, 'ALTER EXTENSION "vector" SET SCHEMA "ext"']);
    expect(host.sent).toHaveLength(2);
  });

  it('in check mode warns about an extension whose package an earlier task installs, and writes nothing', async () => {
    const host = fakeHost({ check: true }).on(psqlRead('meta'), STATE);
    const { result, plan } = await runModule(pgExtension, { name: 'timescaledb', db: 'meta' }, host);
    expect(result).toMatchObject({ changed: true, statements: ['CREATE EXTENSION "timescaledb"'] });
    expect(plan?.warnings).toEqual(['extension timescaledb in meta: timescaledb is not available on this server (is its package installed?)']);
    expect(host.sent).toHaveLength(1);
  });

  it('fails on a version the server does not have, naming the ones it has', async () => {
    const host = fakeHost().on(psqlRead('meta'), STATE);
    expect((await runModule(pgExtension, { name: 'vector', version: '0.9.0', db: 'meta' }, host)).result.msg).toBe(
      'extension vector in meta: version 0.9.0 is not available; available: 0.7.4, 0.8.0',
    );
    expect(host.sent).toHaveLength(1);
  });
});
