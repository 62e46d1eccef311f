#!/bin/sh
//bin/true; exec node "$(dirname "$0")/engine/launch.mjs" "$0" "$@"
import { runCli } from './engine/cli.ts';
import { pgsql } from './playbooks/pgsql.ts';

process.exitCode = await runCli(pgsql);
