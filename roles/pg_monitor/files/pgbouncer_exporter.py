#!/usr/bin/python3
# Pigsty's pgbouncer exporter on Debian 12: runs Debian's prometheus-pgbouncer-exporter (1.7) with two changes, so it
# works with Debian's pgbouncer (1.18) and survives pgbouncer restarts. Written by Pigsty's pg_monitor role.
#
# 1. SHOW STATS has no total_requests column since pgbouncer 1.8; the packaged collector reads it and dies. Export the
#    columns that replaced it instead: total_query_count and total_xact_count.
# 2. The package connects once, at start, and fails every later scrape once that connection breaks. Connect at the
#    first scrape instead, and again after the connection is lost, so a scrape fails only while pgbouncer is down.
# 3. The package takes no password. Connect with the URI in $PGBOUNCER_URL (Pigsty's pgbouncer_exporter_url), which
#    systemd reads from a file only root can read; the package's --pgbouncer-* options are not used.
import os

import psycopg2

from prometheus_pgbouncer_exporter import cli, collectors

stats = dict(collectors.StatsCollector.metrics)
del stats['total_requests']
stats['total_query_count'] = ('queries_total', 'Total number of SQL queries pooled by pgbouncer')
stats['total_xact_count'] = ('transactions_total', 'Total number of SQL transactions pooled by pgbouncer')
collectors.StatsCollector.metrics = stats


class Reconnecting:
    """The part of a psycopg2 connection the collectors use, opened on demand and reopened once it is closed."""

    def __init__(self, *_options):
        self.connection = None

    def connect(self):
        connection = psycopg2.connect(os.environ['PGBOUNCER_URL'])
        # pgbouncer's admin console has no transactions
        connection.set_session(autocommit=True)
        return connection

    def cursor(self):
        if self.connection is not None and self.connection.closed:
            self.connection = None
        if self.connection is None:
            self.connection = self.connect()
        try:
            return self.connection.cursor()
        except psycopg2.Error:
            self.connection = None
            raise

    def close(self):
        if self.connection is not None:
            self.connection.close()


cli.get_connection = Reconnecting

if __name__ == '__main__':
    cli.main()
