#!/bin/sh
//bin/true; exec node "$(dirname "$0")/engine/launch.mjs" "$0" "$@"
import { runCli } from './engine/cli.ts';
import { pgsqlRm } from './playbooks/pgsql-rm.ts';

process.exitCode = await runCli(pgsqlRm);
