#!/bin/sh
//bin/true; exec node "$(dirname "$0")/engine/launch.mjs" "$0" "$@"
import { runCli } from './engine/cli.ts';
import { infraRm } from './playbooks/infra-rm.ts';

process.exitCode = await runCli(infraRm);
