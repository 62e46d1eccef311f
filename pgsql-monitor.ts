#!/bin/sh
//bin/true; exec node "$(dirname "$0")/engine/launch.mjs" "$0" "$@"
import { runCli } from './engine/cli.ts';
import { pgsqlMonitor } from './playbooks/pgsql-monitor.ts';

process.exitCode = await runCli(pgsqlMonitor);
