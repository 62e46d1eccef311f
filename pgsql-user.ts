#!/bin/sh
//bin/true; exec node "$(dirname "$0")/engine/launch.mjs" "$0" "$@"
import { runCli } from './engine/cli.ts';
import { pgsqlUser } from './playbooks/pgsql-user.ts';

process.exitCode = await runCli(pgsqlUser);
