import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { isAlert, renderRuleFile, RULE_FILES, rules, scheduledBackupStanzas } from '../../roles/infra/rules.ts';
import { PARAM_DEFAULTS } from '../../roles/params.ts';

const ROOT = join(import.meta.dirname, '../..');
const ALL = rules({ ...PARAM_DEFAULTS, backup_stanzas: ['pg-meta', 'pg-test'] });

// PromQL words that are not metric names: aggregations, operators, modifiers and the functions the rules call.
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset']);

/** The metric names an expression reads: identifiers outside label matchers, ranges, grouping lists and calls. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/[0-9.]*[A-Za-z_:][A-Za-z0-9_:]*/g)]
    .filter((m) => !/^\s*\(/.test(bare.slice((m.index ?? 0) + m[0].length)))
    .map((m) => m[0])
    .filter((w) => !KEYWORDS.has(w) && !/^[0-9.]/.test(w));
}

/** What the sandbox's exporters emit, captured once from x85 (node_exporter, HAProxy, etcd, a blackbox probe), and the series VictoriaMetrics adds. */
const KNOWN = new Set(
  readdirSync(join(ROOT, 'test/fixtures/metrics')).flatMap((f) =>
    readFileSync(join(ROOT, 'test/fixtures/metrics', f), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#')),
  ),
);

describe('infra, node and etcd rules', () => {
  it('labels every alert with Pigsty level, severity and category, in a file vmalert reads', () => {
    for (const file of RULE_FILES) {
      const doc = YAML.parse(renderRuleFile(file, ALL, '10s')) as { groups: { name: string; interval: string; rules: Record<string, unknown>[] }[] };
      for (const group of doc.groups) {
        expect(group.interval).toBe('10s');
        for (const rule of group.rules.filter((r) => 'alert' in r)) {
          const labels = rule.labels as Record<string, unknown>;
          expect(labels.level).toMatch(/^[012]$/);
          expect(labels.severity).toBe(['CRIT', 'WARN', 'INFO'][Number(labels.level)]);
          expect(labels.category).toMatch(/^(infra|node|etcd|pgsql)$/);
          expect((rule.annotations as Record<string, string>).summary).toBe(
            `${String(labels.severity)} ${String(rule.alert)} {{ $labels.ins }}@{{ $labels.instance }}`,
          );
        }
      }
    }
  });

  it('names each rule once, and keeps an expression as written through YAML', () => {
    const names = ALL.map((r) => (isAlert(r) ? r.alert : r.record));
    expect(new Set(names).size).toBe(names.length);
    const node = YAML.parse(renderRuleFile('node', ALL, '10s')) as { groups: { rules: { alert?: string; expr: string }[] }[] };
    expect(node.groups[1]?.rules.find((r) => r.alert === 'NodeDown')?.expr).toBe('up{job="node", instance=~".*:9100"} < 1');
  });

  it('reads only metrics the Debian exporters emit or the rules record', () => {
    const recorded = new Set(ALL.flatMap((r) => (isAlert(r) ? [] : [r.record])));
    const unknown = ALL.flatMap((r) =>
      metricNames(r.expr)
        .filter((m) => !KNOWN.has(m) && !recorded.has(m))
        .map((m) => `${isAlert(r) ? r.alert : r.record}: ${m}`),
    );
    expect(unknown).toEqual([]);
  });

  it('catches a metric name Debian does not have', () => {
    expect(metricNames('max by (cls) (pg_exporter_up{x="a"}) < 1 and on(ins) rate(node_cpu_seconds_total[1m]) > 1e6')).toEqual([
      'pg_exporter_up',
      'node_cpu_seconds_total',
    ]);
  });

  it('watches backup age only for clusters whose pg_crontab runs backups', () => {
    expect(
      scheduledBackupStanzas([
        { pg_cluster: 'pg-meta', pg_crontab: ['00 01 * * * /pg/bin/pg-backup full'] },
        { pg_cluster: 'pg-test', pg_crontab: ['*/5 * * * * /pg/bin/pg-heartbeat'] },
        { pg_cluster: 'pg-meta', pg_crontab: [] },
        { pg_cluster: 'pg-v', pg_crontab: ['00 02 * * * pgbackrest --stanza=pg-v backup'] },
        {},
      ]),
    ).toEqual(['pg-meta', 'pg-v']);
    const age = (stanzas: string[]) =>
      rules({ ...PARAM_DEFAULTS, backup_stanzas: stanzas }).find((r) => isAlert(r) && r.alert === 'PgBackrestBackupTooOld');
    expect(age(['pg-meta', 'pg-v'])?.expr).toBe(
      'time() - max by (stanza) (pgbackrest_backup_last_timestamp_seconds{stanza=~"pg-meta|pg-v"}) > 26 * 3600',
    );
    expect(age([])).toBeUndefined();
  });

  it('documents every alert in the README', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(
      ALL.filter(isAlert)
        .filter((a) => !readme.includes(`\`${a.alert}\``))
        .map((a) => a.alert),
    ).toEqual([]);
  });
});
