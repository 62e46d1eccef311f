import { dsl } from '../../../engine/dsl.ts';
import type { EtcdVars } from '../registers.ts';
import { certTasks } from './cert.ts';
import { confTasks } from './conf.ts';

const { include } = dsl<EtcdVars>();

/** [etcd_config]: the member's configuration, then its certificates. */
export const configTasks = [include('configure etcd', [...confTasks, ...certTasks], { tags: ['etcd_config'] })];
