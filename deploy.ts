#!/bin/sh
//bin/true; exec node "$(dirname "$0")/engine/launch.mjs" "$0" "$@"
import { runCli } from './engine/cli.ts';
import { deploy } from './playbooks/deploy.ts';

process.exitCode = await runCli(deploy);
