#!/bin/sh
//bin/true; exec node "$(dirname "$0")/engine/launch.mjs" "$0" "$@"
import { runCli } from './engine/cli.ts';
import { pgsqlDb } from './playbooks/pgsql-db.ts';

process.exitCode = await runCli(pgsqlDb);
