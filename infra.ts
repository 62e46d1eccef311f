#!/bin/sh
//bin/true; exec node "$(dirname "$0")/engine/launch.mjs" "$0" "$@"
import { runCli } from './engine/cli.ts';
import { infra } from './playbooks/infra.ts';

process.exitCode = await runCli(infra);
