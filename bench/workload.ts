#!/bin/sh
//bin/true; exec node "$(dirname "$0")/../engine/launch.mjs" "$0" "$@"
import { runCli } from '../engine/cli.ts';
import { dsl, type Playbook } from '../engine/dsl.ts';
import { file } from '../modules/file.ts';
import { lineinfile } from '../modules/lineinfile.ts';
import { pkg } from '../modules/package.ts';
import { systemd } from '../modules/systemd.ts';
import { template, templatePath } from '../modules/template.ts';
import { user } from '../modules/user.ts';

/** The variables the workload reads, all from the benchmark inventory. */
interface BenchVars {
  inventory_hostname: string;
  ansible_host: string;
  bench_value: number;
  bench_packages: string[];
}

const { task } = dsl<BenchVars>();
const DIRS = [1, 2, 3, 4, 5, 6, 7, 8];
const owned = { owner: 'root', group: 'root' };

/** bench/ansible/site.yml's sysctl entries, in the same order, one of them following the inventory value. */
const sysctl = (v: BenchVars): [string, string | number][] => [
  ['vm.swappiness', 10],
  ['vm.overcommit_memory', 2],
  ['vm.dirty_background_ratio', 5],
  ['vm.dirty_ratio', 40],
  ['net.core.somaxconn', 1024 * v.bench_value],
  ['net.ipv4.tcp_syncookies', 1],
  ['net.ipv4.ip_local_port_range', '10000 65535'],
  ['kernel.pid_max', 4194304],
];

/** The benchmark workload, task for task what bench/ansible/site.yml does. */
const workload: Playbook = {
  name: 'bench-workload',
  description: 'The benchmark workload: directories, sysctl entries, templates, a hosts line, packages, a service, a user.',
  plays: [
    {
      name: 'bench workload',
      hosts: 'bench',
      tasks: [
        task('directories', file, (_v, item: number) => ({ path: `/opt/bench/d${item}`, state: 'directory' as const, ...owned, mode: '0755' }), {
          loop: DIRS,
        }),
        // The file only, as in the Ansible playbook: /proc/sys is read-only in the nodes.
        task(
          'sysctl entries',
          lineinfile,
          (_v, [key, value]: [string, string | number]) => ({
            path: '/etc/sysctl.d/90-bench.conf',
            regexp: `^${key.replace(/\./g, '\\.')}\\s*=`,
            line: `${key} = ${value}`,
            create: true,
            ...owned,
            mode: '0644',
          }),
          { loop: sysctl },
        ),
        task(
          'files from templates',
          template,
          (_v, item: number) => ({
            src: templatePath(import.meta.url, 'app.conf.hbs'),
            dest: `/opt/bench/d${item}/app.conf`,
            ...owned,
            mode: '0644',
          }),
          { loop: DIRS },
        ),
        task('hosts line', lineinfile, (v) => ({
          path: '/etc/hosts',
          regexp: '\\sbench\\.local$',
          line: `${v.ansible_host} ${v.inventory_hostname} bench.local`,
          create: true,
          ...owned,
          mode: '0644',
        })),
        task('packages present', pkg, (v) => ({ name: v.bench_packages, state: 'present' })),
        task('service started and enabled', systemd, { name: 'cron', state: 'started', enabled: true }),
        task('user', user, { name: 'bench', uid: 2001, comment: 'bench user', shell: '/bin/bash', create_home: true }),
      ],
    },
  ],
};

process.exitCode = await runCli(workload);
