import { dsl } from '../../../engine/dsl.ts';
import { shell } from '../../../modules/shell.ts';
import type { NodeVars } from '../node-vars.ts';
import { PROBE_VIRT } from '../virt-probe.ts';

const { task } = dsl<NodeVars>();

/** Read once what the feature, kernel, tune and ntp steps adapt to: the container type and the clock capability. */
export const probeTasks = [
  task(
    'probe the virtualization and clock capability',
    shell,
    { cmd: PROBE_VIRT },
    {
      tags: ['node_feature', 'node_kernel', 'node_tune', 'node_sysctl', 'node_ntp', 'node_ntp_config'],
      check_mode: false,
      changed_when: () => false,
      register: 'node_virt',
    },
  ),
];
