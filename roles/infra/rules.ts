import { yamlScalar } from '../../modules/template-helpers.ts';

/** The rule files vmalert loads from /infra/rules, one per Pigsty module (Pigsty's files/victoria/rules/*.yml). */
export const RULE_FILES = ['agent', 'infra', 'node', 'etcd', 'pgsql'] as const;
export type RuleFile = (typeof RULE_FILES)[number];

/** Pigsty's alert levels: the `level` label is the number, `severity` the word. */
const SEVERITY = ['CRIT', 'WARN', 'INFO'] as const;

export interface RecordingRule {
  file: RuleFile;
  record: string;
  expr: string;
}

export interface AlertRule {
  file: RuleFile;
  alert: string;
  expr: string;
  /** How long the condition holds before the alert fires; absent fires at once. */
  for?: string;
  level: 0 | 1 | 2;
  category: 'infra' | 'node' | 'etcd' | 'pgsql';
  /** What the alert means, for the annotation and the README. */
  description: string;
}

export type Rule = RecordingRule | AlertRule;

/** The ports the rules tell jobs' targets apart by, as the infra host sees them. */
export interface RulePorts {
  node_exporter_port: number;
  haproxy_exporter_port: number;
  pg_exporter_port: number;
  pgbouncer_exporter_port: number;
  patroni_port: number;
  /** Clusters whose pg_crontab runs backups: only their backups can grow too old. */
  backup_stanzas: string[];
}

/** The clusters among these hosts whose pg_crontab runs a backup (pg-backup, Pigsty's wrapper, or pgbackrest itself). */
export function scheduledBackupStanzas(hosts: { pg_cluster?: string; pg_crontab?: string[] }[]): string[] {
  const scheduled = hosts.filter((h) => h.pg_cluster !== undefined && (h.pg_crontab ?? []).some((line) => /\b(pg-backup|pgbackrest)\b/.test(line)));
  return [...new Set(scheduled.map((h) => h.pg_cluster as string))].sort();
}

const recording = (file: RuleFile, record: string, expr: string): RecordingRule => ({ file, record, expr });

// The down alerts query raw `up` and `probe_success`, never a recorded series: one evaluation hop less between a
// stopped exporter and Alertmanager (infra-design 0.2.7).
/** Every recording and alerting rule of the infra, node, etcd and pgsql modules, in file order. */
export function rules(p: RulePorts): Rule[] {
  const nodeTarget = `instance=~".*:${p.node_exporter_port}"`;
  const haproxyTarget = `instance=~".*:${p.haproxy_exporter_port}"`;
  const pgExporter = `job="pgsql", instance=~".*:${p.pg_exporter_port}"`;
  const pgbouncerExporter = `job="pgsql", instance=~".*:${p.pgbouncer_exporter_port}"`;
  const patroni = `job="pgsql", instance=~".*:${p.patroni_port}"`;
  const realFs = 'fstype!~"(n|root|tmp)fs.*"';
  return [
    recording('agent', 'node_up', `up{job="node", ${nodeTarget}}`),
    recording('agent', 'haproxy_up', `up{job="node", ${haproxyTarget}}`),
    recording('agent', 'etcd_up', 'up{job="etcd"}'),
    recording('agent', 'infra_up', 'up{job="infra"}'),
    recording('agent', 'pg_exporter_agent_up', `up{${pgExporter}} or up{job="pgrds"}`),
    recording('agent', 'pgbouncer_up', `up{${pgbouncerExporter}}`),
    recording('agent', 'patroni_up', `up{${patroni}}`),

    {
      file: 'infra',
      alert: 'InfraDown',
      expr: 'up{job="infra"} < 1',
      for: '1m',
      level: 0,
      category: 'infra',
      description: 'an infra component (VictoriaMetrics, vmalert, Alertmanager, blackbox exporter) does not answer its scrape',
    },
    {
      file: 'infra',
      alert: 'AgentDown',
      expr: 'up{job!~"infra|node|etcd|minio|pgsql|pgrds|ping|redis|mongo|mysql|kafka"} < 1',
      for: '1m',
      level: 0,
      category: 'infra',
      description: 'a target of a job no other down alert covers does not answer its scrape',
    },
    {
      file: 'infra',
      alert: 'CertExpiringSoon',
      expr: 'pigsty_cert_expiry_timestamp_seconds - time() < 30 * 86400',
      for: '1h',
      level: 1,
      category: 'infra',
      description: 'a certificate Pigsty deployed expires within 30 days',
    },
    {
      file: 'infra',
      alert: 'CertExpiryCritical',
      expr: 'pigsty_cert_expiry_timestamp_seconds - time() < 7 * 86400',
      for: '10m',
      level: 0,
      category: 'infra',
      description: 'a certificate Pigsty deployed expires within 7 days',
    },

    recording('node', 'node:ins:cpu_usage', '1 - avg without (cpu, mode) (rate(node_cpu_seconds_total{mode="idle"}[1m]))'),
    recording('node', 'node:ins:cpu_usage_1m', 'avg_over_time(node:ins:cpu_usage[1m])'),
    recording('node', 'node:ins:cpu_count', 'count without (cpu, mode) (node_cpu_seconds_total{mode="idle"})'),
    recording('node', 'node:ins:stdload1', 'node_load1 / node:ins:cpu_count'),
    recording('node', 'node:ins:mem_avail', 'node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes'),
    recording('node', 'node:ins:swap_usage', '1 - node_memory_SwapFree_bytes / node_memory_SwapTotal_bytes'),
    recording('node', 'node:fs:space_usage', `1 - node_filesystem_avail_bytes{${realFs}} / node_filesystem_size_bytes{${realFs}}`),
    recording('node', 'node:fs:inode_usage', `1 - node_filesystem_files_free{${realFs}} / node_filesystem_files{${realFs}}`),
    recording('node', 'node:ins:fd_usage', 'node_filefd_allocated / node_filefd_maximum'),
    recording('node', 'node:ins:tcp_error', 'node_netstat_TcpExt_ListenOverflows + node_netstat_TcpExt_ListenDrops + node_netstat_Tcp_InErrs'),
    recording('node', 'node:ins:tcp_retrans_ratio1m', 'rate(node_netstat_Tcp_RetransSegs[1m]) / rate(node_netstat_Tcp_OutSegs[1m])'),
    {
      file: 'node',
      alert: 'NodeDown',
      expr: `up{job="node", ${nodeTarget}} < 1`,
      for: '1m',
      level: 0,
      category: 'node',
      description: 'node_exporter does not answer its scrape',
    },
    {
      file: 'node',
      alert: 'NodePingLoss',
      expr: 'probe_success{job="ping"} < 1',
      for: '1m',
      level: 0,
      category: 'node',
      description: 'the node does not answer ICMP echo from the infra node',
    },
    {
      file: 'node',
      alert: 'HaproxyDown',
      expr: `up{job="node", ${haproxyTarget}} < 1`,
      for: '1m',
      level: 0,
      category: 'node',
      description: "HAProxy's metrics endpoint does not answer",
    },
    {
      file: 'node',
      alert: 'HaproxyBackendDown',
      expr: 'haproxy_backend_status{state="UP"} == 0',
      for: '1m',
      level: 1,
      category: 'node',
      description: 'an HAProxy backend has no server up (longer than a normal failover takes)',
    },
    {
      file: 'node',
      alert: 'NodeCpuHigh',
      expr: 'node:ins:cpu_usage_1m > 0.70',
      for: '1m',
      level: 1,
      category: 'node',
      description: 'CPU usage above 70% for a minute',
    },
    {
      file: 'node',
      alert: 'NodeLoadHigh',
      expr: 'node:ins:stdload1 > 1',
      for: '1m',
      level: 1,
      category: 'node',
      description: 'load average per CPU above 1',
    },
    {
      file: 'node',
      alert: 'NodeOutOfMem',
      expr: 'node:ins:mem_avail < 0.10',
      for: '1m',
      level: 1,
      category: 'node',
      description: 'less than 10% of memory available',
    },
    {
      file: 'node',
      alert: 'NodeMemSwapped',
      expr: 'node:ins:swap_usage > 0.01',
      for: '5m',
      level: 1,
      category: 'node',
      description: 'more than 1% of swap in use',
    },
    {
      file: 'node',
      alert: 'NodeFsSpaceFull',
      expr: 'node:fs:space_usage > 0.90',
      for: '1m',
      level: 1,
      category: 'node',
      description: 'a filesystem more than 90% full',
    },
    {
      file: 'node',
      alert: 'NodeFsFilesFull',
      expr: 'node:fs:inode_usage > 0.90',
      for: '1m',
      level: 1,
      category: 'node',
      description: "more than 90% of a filesystem's inodes used",
    },
    {
      file: 'node',
      alert: 'NodeFdFull',
      expr: 'node:ins:fd_usage > 0.90',
      for: '1m',
      level: 1,
      category: 'node',
      description: 'more than 90% of the file descriptor limit allocated',
    },
    {
      file: 'node',
      alert: 'NodeTcpErrHigh',
      expr: 'rate(node:ins:tcp_error[1m]) > 1',
      for: '1m',
      level: 1,
      category: 'node',
      description: 'more than one TCP listen overflow, drop or input error per second',
    },
    {
      file: 'node',
      alert: 'NodeTcpRetransHigh',
      expr: 'node:ins:tcp_retrans_ratio1m > 0.01',
      for: '1m',
      level: 2,
      category: 'node',
      description: 'more than 1% of TCP segments retransmitted',
    },
    {
      file: 'node',
      alert: 'NodeTimeDrift',
      expr: 'node_timex_sync_status != 1',
      for: '1m',
      level: 1,
      category: 'node',
      description: 'the kernel clock is not synchronised',
    },

    recording('etcd', 'etcd:ins:quota_usage', 'etcd_mvcc_db_total_size_in_bytes / etcd_server_quota_backend_bytes'),
    recording('etcd', 'etcd:cls:quota_usage', 'max by (cls) (etcd:ins:quota_usage)'),
    recording('etcd', 'etcd:ins:wal_fsync_rt_p95_5m', 'histogram_quantile(0.95, rate(etcd_disk_wal_fsync_duration_seconds_bucket[5m]))'),
    recording(
      'etcd',
      'etcd:ins:network_peer_rt_p95_5m',
      'histogram_quantile(0.95, sum without (To) (rate(etcd_network_peer_round_trip_time_seconds_bucket[5m])))',
    ),
    recording('etcd', 'etcd:ins:backend_commit_rt_p95_5m', 'histogram_quantile(0.95, rate(etcd_disk_backend_commit_duration_seconds_bucket[5m]))'),
    {
      file: 'etcd',
      alert: 'EtcdServerDown',
      expr: 'up{job="etcd"} < 1',
      for: '1m',
      level: 0,
      category: 'etcd',
      description: 'an etcd member does not answer its scrape',
    },
    {
      file: 'etcd',
      alert: 'EtcdNoLeader',
      expr: 'min by (cls) (etcd_server_has_leader) < 1',
      for: '15s',
      level: 0,
      category: 'etcd',
      description: 'a member of the etcd cluster sees no leader',
    },
    {
      file: 'etcd',
      alert: 'EtcdQuotaFull',
      expr: 'etcd:cls:quota_usage > 0.90',
      for: '1m',
      level: 1,
      category: 'etcd',
      description: 'the etcd database uses more than 90% of its quota',
    },
    {
      file: 'etcd',
      alert: 'EtcdNetworkPeerRTSlow',
      expr: 'etcd:ins:network_peer_rt_p95_5m > 0.2',
      for: '1m',
      level: 2,
      category: 'etcd',
      description: 'the 95th percentile round trip to etcd peers is above 200 ms',
    },
    {
      file: 'etcd',
      alert: 'EtcdWalFsyncSlow',
      expr: 'etcd:ins:wal_fsync_rt_p95_5m > 0.05',
      for: '1m',
      level: 2,
      category: 'etcd',
      description: 'the 95th percentile WAL fsync is above 50 ms',
    },
    ...pgsqlRules(pgExporter, pgbouncerExporter, patroni),
    ...pgbackrestRules(p.backup_stanzas),
  ];
}

const pgAlert = (alert: string, expr: string, level: 0 | 1 | 2, description: string, duration?: string): AlertRule => ({
  file: 'pgsql',
  alert,
  expr,
  ...(duration === undefined ? {} : { for: duration }),
  level,
  category: 'pgsql',
  description,
});

/**
 * PostgreSQL, Patroni and pgbouncer: Pigsty's names over what Debian's exporters give (postgres_exporter's built-in
 * collectors and our queries, the pgbouncer exporter, Patroni's /metrics). A custom metric keeps its last value while
 * PostgreSQL is down (pg_up 0), so rules on them are gated on pg_up == 1. The pgbouncer exporter is bound to
 * pgbouncer's unit, so its target being down is pgbouncer being down.
 */
function pgsqlRules(pgExporter: string, pgbouncerExporter: string, patroni: string): Rule[] {
  const datname = (expr: string): string => `label_replace(${expr}, "datname", "$1", "database", "(.*)")`;
  return [
    // The number of primaries answering in each cluster: 0 (no series would say nothing) as well as 2 or more.
    recording('pgsql', 'pg:cls:partition', 'sum by (job, cls) ((pg_in_recovery{job="pgsql"} == bool 0) and on (instance) pg_up == 1)'),
    recording('pgsql', 'pg:ins:lag_bytes', 'max without (appname, server) (label_replace(pg_repl_replay_diff, "ins", "$1", "appname", "(.+)"))'),
    recording('pgsql', 'pg:db:age', 'pg_db_age / 2147483647'),
    recording(
      'pgsql',
      'pg:ins:conn_usage',
      'sum without (datname, datid, server) (pg_stat_database_numbackends) / on (instance) group_left max without (server) (pg_settings_max_connections)',
    ),
    recording('pgsql', 'pg:db:ixact_backends', 'sum without (state) (pg_stat_activity_count{state=~"idle in transaction.*"})'),
    recording(
      'pgsql',
      'pgbouncer:db:waiting_clients',
      `sum without (user, database) (${datname('pgbouncer_waiting_clients{database!="pgbouncer"}')})`,
    ),
    recording(
      'pgsql',
      'pgbouncer:db:query_rt_1m',
      `${datname('rate(pgbouncer_query_microseconds_total{database!="pgbouncer"}[1m]) / rate(pgbouncer_queries_total[1m]) / 1e6')}`,
    ),
    pgAlert('PostgresDown', 'pg_up{job=~"pgsql|pgrds"} < 1', 0, 'postgres_exporter answers but cannot reach PostgreSQL', '1m'),
    pgAlert('PgExporterDown', `up{${pgExporter}} < 1 or up{job="pgrds"} < 1`, 1, 'postgres_exporter does not answer its scrape', '1m'),
    pgAlert('PgbouncerDown', `up{${pgbouncerExporter}} < 1`, 0, 'pgbouncer is down (its exporter stops with it)', '1m'),
    pgAlert('PatroniDown', `up{${patroni}} < 1`, 0, "Patroni's REST API does not answer its scrape", '1m'),
    pgAlert('PatroniNoLeader', 'max by (cls) (patroni_cluster_unlocked) == 1', 0, 'the cluster has no leader lock in etcd', '1m'),
    pgAlert('PatroniPaused', 'max by (cls) (patroni_is_paused) == 1', 2, 'Patroni is in maintenance mode: no automatic failover', '1m'),
    pgAlert('PatroniFailSafeActive', 'sum by (cls) (patroni_failsafe_mode_is_active) > 0', 0, 'Patroni runs in failsafe mode: etcd is unreachable'),
    pgAlert('PostgresRestart', 'pg_uptime < 300 and on (instance) pg_up == 1', 2, 'PostgreSQL started less than 5 minutes ago', '1m'),
    pgAlert('PostgresPartition', 'pg:cls:partition != 1', 0, 'a cluster has no primary, or more than one', '1m'),
    pgAlert(
      'PostgresReplicationBreak',
      'pg_downstream_count{state="streaming"} < max_over_time(pg_downstream_count{state="streaming"}[5m]) and on (instance) pg_in_recovery == 0 and on (instance) pg_up == 1',
      1,
      'a primary streams to fewer replicas than it did in the last 5 minutes (a demoted primary is no longer one)',
      '1m',
    ),
    pgAlert(
      'PostgresReplicaNotStreaming',
      'pg_recv_streaming == 0 and on (instance) pg_in_recovery == 1 and on (instance) pg_up == 1',
      1,
      'a replica does not stream WAL from its upstream',
      '1m',
    ),
    pgAlert('PostgresReplicationLag', 'pg:ins:lag_bytes > 1048576', 1, 'a replica is more than 1 MiB of WAL behind its primary', '1m'),
    pgAlert(
      'PostgresReplayDelay',
      'pg_lag > 60 and on (instance) pg_up == 1',
      1,
      "a replica's replay is more than a minute behind what it received",
      '1m',
    ),
    pgAlert('PostgresXidWrapAround', 'pg:db:age > 0.80', 0, 'a database used more than 80% of its transaction ids before wraparound', '1m'),
    pgAlert('PostgresConnUsageHigh', 'pg:ins:conn_usage > 0.70', 1, 'more than 70% of max_connections are in use', '3m'),
    pgAlert('PostgresIdleInXact', 'pg:db:ixact_backends > 1', 2, 'more than one session sits idle in a transaction', '3m'),
    pgAlert('PgbouncerClientQueue', 'pgbouncer:db:waiting_clients > 1', 0, 'clients wait for a server connection in pgbouncer', '1m'),
    pgAlert('PgbouncerQuerySlow', 'pgbouncer:db:query_rt_1m > 0.016', 1, 'the average query through pgbouncer takes more than 16 ms', '3m'),
  ];
}

/**
 * pgBackRest, from pg_monitor's textfile collector (every member of a cluster reads the stanza; with a local
 * repository only the primary's holds backups, so the cluster's best answer is what counts).
 */
function pgbackrestRules(stanzas: string[]): Rule[] {
  const scope = stanzas.map((st) => st.replace(/[\\.+*?()|[\]{}^$"]/g, '\\\\$&')).join('|');
  return [
    pgAlert(
      'PgBackrestStanzaError',
      'min by (stanza) (pgbackrest_stanza_status) > 0',
      1,
      'no member of the cluster sees a healthy pgBackRest stanza',
      '5m',
    ),
    pgAlert(
      'PgBackrestMetricsStale',
      'time() - pgbackrest_metrics_timestamp_seconds > 900',
      2,
      'the pgBackRest metrics were not refreshed for 15 minutes',
      '5m',
    ),
    ...(stanzas.length > 0
      ? [
          pgAlert(
            'PgBackrestBackupTooOld',
            `time() - max by (stanza) (pgbackrest_backup_last_timestamp_seconds{stanza=~"${scope}"}) > 26 * 3600`,
            1,
            'a cluster whose pg_crontab runs backups has none newer than 26 hours',
            '10m',
          ),
        ]
      : []),
  ];
}

export const isAlert = (rule: Rule): rule is AlertRule => 'alert' in rule;

/**
 * One rule file in vmalert's (Prometheus') format: a recording group and an alerting group, each evaluated every
 * `interval`. Every value is a YAML scalar that reads back as written; summaries carry Pigsty's labels.
 */
export function renderRuleFile(file: RuleFile, all: Rule[], interval: string): string {
  const mine = all.filter((r) => r.file === file);
  const q = (s: string): string => yamlScalar(s);
  const groups: string[] = [];
  const recordings = mine.filter((r): r is RecordingRule => !isAlert(r));
  const alerts = mine.filter(isAlert);
  if (recordings.length > 0) {
    groups.push(
      [
        `  - name: ${q(`${file}-recording`)}`,
        `    interval: ${q(interval)}`,
        '    rules:',
        ...recordings.flatMap((r) => [`      - record: ${q(r.record)}`, `        expr: ${q(r.expr)}`]),
      ].join('\n'),
    );
  }
  if (alerts.length > 0) {
    groups.push(
      [
        `  - name: ${q(`${file}-alert`)}`,
        `    interval: ${q(interval)}`,
        '    rules:',
        ...alerts.flatMap((a) => [
          `      - alert: ${q(a.alert)}`,
          `        expr: ${q(a.expr)}`,
          ...(a.for ? [`        for: ${q(a.for)}`] : []),
          '        labels:',
          `          level: ${q(String(a.level))}`,
          `          severity: ${SEVERITY[a.level]}`,
          `          category: ${a.category}`,
          '        annotations:',
          `          summary: ${q(`${SEVERITY[a.level]} ${a.alert} {{ $labels.ins }}@{{ $labels.instance }}`)}`,
          `          description: ${q(a.description)}`,
        ]),
      ].join('\n'),
    );
  }
  return `# Written by Pigsty's infra role: ${file} rules for vmalert (roles/infra/rules.ts).\ngroups:\n${groups.join('\n')}\n`;
}
