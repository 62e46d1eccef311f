import { existsSync, readFileSync } from 'node:fs';
import { dsl, type TaskItem, type TaskResult } from '../../../engine/dsl.ts';
import { copy } from '../../../modules/copy.ts';
import { debug } from '../../../modules/debug.ts';
import { pgDatabase } from '../../../modules/pg-database.ts';
import { pgExtension } from '../../../modules/pg-extension.ts';
import { pgPrivileges } from '../../../modules/pg-privileges.ts';
import { quoteLiteral } from '../../../modules/pg-quote.ts';
import { pgSchema } from '../../../modules/pg-schema.ts';
import { pgSql } from '../../../modules/pg-sql.ts';
import type { PgDatabase } from '../../params.ts';
import type { RoleVars } from '../../vars.ts';
import { dbsu } from '../paths.ts';
import {
  appliedState,
  baselinePath,
  databaseArgs,
  extensionItems,
  MAX_TEMPLATE_DEPTH,
  portArg,
  privilegeArgs,
  provisionHost,
  schemaItems,
  SYSTEM_DATABASES,
  templateDepth,
  type DropPolicy,
  type ExtensionItem,
  type SchemaItem,
} from '../provision-args.ts';

type ProvisionVars = RoleVars & { pg_db_created?: Record<string, TaskResult> };
const { task } = dsl<ProvisionVars>();

/** Whether the pg_database result of a database shows it was (re)created by this run. */
const createdNow = (result: TaskResult | undefined, name: string): boolean => {
  const create = `CREATE DATABASE "${name.replace(/"/g, '""')}"`;
  return (
    result?.changed === true &&
    Array.isArray(result.statements) &&
    (result.statements as string[]).some((s) => s === create || s.startsWith(`${create} `))
  );
};

/** The steps of one wave: databases at one template depth, created and provisioned before their clones are made. */
function waveTasks(depth: number, select: (v: RoleVars) => PgDatabase[], policy: DropPolicy): TaskItem<ProvisionVars>[] {
  const wave = (v: RoleVars) => select(v).filter((db) => db.state !== 'absent' && templateDepth(db, v.pg_databases) === depth);
  const at = depth === 0 ? '' : ` (clones, depth ${depth})`;
  const some = (items: (v: RoleVars) => unknown[]) => (v: RoleVars) => provisionHost(v) && items(v).length > 0;
  const clonesOfUserTemplates = (v: RoleVars) => (depth === 0 ? [] : wave(v).filter((db) => appliedState(db, policy) !== 'recreate'));
  return [
    task(
      `close sessions on the templates of new clones${at}`,
      pgSql,
      (v, db: PgDatabase) => ({
        // Only while the clone does not exist yet: CREATE DATABASE ... TEMPLATE needs the template to itself.
        sql: `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${quoteLiteral(db.template ?? '')} AND pid <> pg_backend_pid() AND NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = ${quoteLiteral(db.name)})`,
        ...portArg(v),
      }),
      {
        tags: ['pg_db_create'],
        loop: clonesOfUserTemplates,
        when: some(clonesOfUserTemplates),
        become_user: dbsu,
        changed_when: (r) => (r.results ?? [r]).some((x) => Array.isArray(x.rows) && x.rows.length > 0),
      },
    ),
    task(`create or update databases${at}`, pgDatabase, (v, db: PgDatabase) => databaseArgs(v, db, policy), {
      tags: ['pg_db_create'],
      loop: wave,
      when: some(wave),
      become_user: dbsu,
      register: `pg_db_wave${depth}`,
    }),
    task(`set database privileges${at}`, pgPrivileges, (v, db: PgDatabase) => privilegeArgs(v, db), {
      tags: ['pg_db_create'],
      loop: wave,
      when: some(wave),
      become_user: dbsu,
    }),
    task(`create or drop schemas${at}`, pgSchema, (_v, item: SchemaItem) => item, {
      tags: ['pg_db_create'],
      loop: (v) => schemaItems(v, wave(v)),
      when: some((v) => schemaItems(v, wave(v))),
      become_user: dbsu,
    }),
    task(`create, update or drop extensions${at}`, pgExtension, (_v, item: ExtensionItem) => item, {
      tags: ['pg_db_create'],
      loop: (v) => extensionItems(v, wave(v)),
      when: some((v) => extensionItems(v, wave(v))),
      become_user: dbsu,
    }),
    ...baselineTasks(depth, wave),
  ];
}

/** Whether the database was created by this run's wave step. */
function createdInWave(v: ProvisionVars, depth: number, db: PgDatabase, wave: (v: RoleVars) => PgDatabase[]): boolean {
  const result = (v as unknown as Record<string, TaskResult | undefined>)[`pg_db_wave${depth}`];
  const index = wave(v).findIndex((d) => d.name === db.name);
  return createdNow(result?.results?.[index], db.name);
}

/**
 * Baselines [pg_db_baseline]: the SQL file is copied to /pg/tmp for reference and loaded once, right after the
 * database is created (a re-run leaves an existing database's data alone); a missing file is a notice.
 */
function baselineTasks(depth: number, wave: (v: RoleVars) => PgDatabase[]): TaskItem<ProvisionVars>[] {
  const withBaseline = (v: RoleVars) => wave(v).filter((db) => db.baseline !== undefined && db.baseline !== '');
  const present = (v: RoleVars) => withBaseline(v).filter((db) => existsSync(baselinePath(db.baseline as string)));
  const missing = (v: RoleVars) => withBaseline(v).filter((db) => !existsSync(baselinePath(db.baseline as string)));
  const at = depth === 0 ? '' : ` (clones, depth ${depth})`;
  return [
    task(
      `skip baselines that are not on the controller${at}`,
      debug,
      (v) => ({
        msg: `baseline skipped, file not found on the controller: ${missing(v)
          .map((db) => `${db.name} (${baselinePath(db.baseline as string)})`)
          .join(', ')}`,
      }),
      { tags: ['pg_db_config', 'pg_db_baseline'], when: (v) => provisionHost(v) && missing(v).length > 0 },
    ),
    task(
      `copy database baselines${at}`,
      copy,
      (v, db: PgDatabase) => ({
        src: baselinePath(db.baseline as string),
        dest: `/pg/tmp/pg-db-${db.name}-baseline.sql`,
        owner: dbsu(v),
        group: 'postgres',
        mode: '0640',
      }),
      { tags: ['pg_db_config', 'pg_db_baseline'], loop: present, when: (v) => provisionHost(v) && present(v).length > 0 },
    ),
    task(
      `load baselines into new databases${at}`,
      pgSql,
      (v, db: PgDatabase) => ({ sql: readFileSync(baselinePath(db.baseline as string), 'utf8'), db: db.name, ...portArg(v) }),
      {
        tags: ['pg_db_create', 'pg_db_baseline'],
        loop: (v) => present(v).filter((db) => createdInWave(v, depth, db, wave)),
        when: (v) => provisionHost(v) && present(v).some((db) => createdInWave(v, depth, db, wave)),
        become_user: dbsu,
      },
    ),
  ];
}

/**
 * The database steps [pg_db] for the databases `select` picks, under a drop policy: drop the absent ones (never a
 * system database; refused under pg_safeguard),
 * then, template depth by depth, create or converge them with their privileges, schemas, extensions and
 * baseline, so a clone copies a template that is complete.
 */
export function databaseTasks(select: (v: RoleVars) => PgDatabase[], policy: DropPolicy): TaskItem<ProvisionVars>[] {
  const dropped = (v: RoleVars) => select(v).filter((db) => db.state === 'absent' && !SYSTEM_DATABASES.includes(db.name));
  const tooDeep = (v: RoleVars) => select(v).filter((db) => db.state !== 'absent' && templateDepth(db, v.pg_databases) > MAX_TEMPLATE_DEPTH);
  const leftToRecreate = (v: RoleVars) =>
    select(v).flatMap((db) => (db.state === 'recreate' && appliedState(db, policy) !== 'recreate' ? [db.name] : []));
  return [
    task('drop absent databases', pgDatabase, (v, db: PgDatabase) => ({ name: db.name, state: 'absent', safeguard: v.pg_safeguard, ...portArg(v) }), {
      tags: ['pg_db_drop'],
      loop: dropped,
      when: (v) => provisionHost(v) && dropped(v).length > 0,
      become_user: dbsu,
    }),
    task(
      'refuse template chains too deep',
      debug,
      (v) => ({
        msg: `cloned from clones more than ${MAX_TEMPLATE_DEPTH} deep: ${tooDeep(v)
          .map((d) => d.name)
          .join(', ')}`,
      }),
      {
        tags: ['pg_db_create'],
        when: (v) => provisionHost(v) && tooDeep(v).length > 0,
        failed_when: () => true,
      },
    ),
    task(
      'leave databases at state recreate to pgsql-db',
      debug,
      (v) => ({ msg: `state recreate is applied by ./pgsql-db.ts -e dbname=NAME only; created here when missing: ${leftToRecreate(v).join(', ')}` }),
      { tags: ['pg_db_create'], when: (v) => provisionHost(v) && leftToRecreate(v).length > 0 },
    ),
    ...Array.from({ length: MAX_TEMPLATE_DEPTH + 1 }, (_, depth) => waveTasks(depth, select, policy)).flat(),
  ];
}
