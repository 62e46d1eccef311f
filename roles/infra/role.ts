import { dsl } from '../../engine/dsl.ts';
import type { InfraVars } from './infra-vars.ts';
import { alertmanagerTasks } from './tasks/alertmanager.ts';
import { blackboxTasks } from './tasks/blackbox.ts';
import { certTasks } from './tasks/cert.ts';
import { dirTasks } from './tasks/dir.ts';
import { dnsTasks } from './tasks/dns.ts';
import { pkgTasks } from './tasks/pkg.ts';
import { registerTasks } from './tasks/register.ts';
import { userTasks } from './tasks/user.ts';
import { victoriaTasks } from './tasks/victoria.ts';

const { role } = dsl<InfraVars>();

/**
 * Pigsty's infra role (spec 2.8) from Debian's packages: dnsmasq for the names under /infra/hosts, VictoriaMetrics
 * scraping the file_sd targets under /infra/targets, vmalert with our rules, Alertmanager, the blackbox exporter for
 * pings, and the infra components registered as targets. nginx and Grafana are not deployed yet.
 */
export const infra = role({
  name: 'infra',
  tasks: [
    ...userTasks,
    ...dirTasks,
    ...pkgTasks,
    ...certTasks,
    ...dnsTasks,
    ...victoriaTasks,
    ...alertmanagerTasks,
    ...blackboxTasks,
    ...registerTasks,
  ],
});
