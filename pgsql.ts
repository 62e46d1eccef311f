#!/bin/sh
":" //; exec node --import "$(dirname "$0")/node_modules/tsx/dist/loader.mjs" "$0" "$@"
import { runCli } from './engine/cli.ts';
import { pgsql } from './playbooks/pgsql.ts';

process.exitCode = await runCli(pgsql);
