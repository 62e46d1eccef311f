import { describe, expect, it } from 'vitest';
import { facts } from '../../modules/facts.ts';
import { fakeHost, runModule } from './fake-host.ts';

/** The probe is one command reading /etc/os-release and the rest. */
const PROBE = /^\. \/etc\/os-release 2>\/dev\/null; echo "os_vendor=/;

// What the probe prints on a Debian 12 node with 2 CPUs and 4 GB.
const DEBIAN12 =
  'os_vendor=debian\nos_version_full=12\nos_codename=bookworm\nos_arch=x86_64\nos_package=deb\nnode_user=root\nnode_hostname=meta\nnode_cpu=2\nnode_mem_kb=4015396\n';

describe('facts', () => {
  it('reads OS, hostname, CPU and memory with one command and sets them as facts, unchanged', async () => {
    const host = fakeHost().on(PROBE, { stdout: DEBIAN12 });
    const { result, plan } = await runModule(facts, {}, host);
    const expected = {
      os_vendor: 'debian',
      os_version_full: '12',
      os_version: 12,
      os_codename: 'bookworm',
      os_arch: 'x86_64',
      os_package: 'deb',
      node_user: 'root',
      node_hostname: 'meta',
      node_cpu: 2,
      node_mem_bytes: 4015396 * 1024,
      node_mem_mb: 3922,
      node_mem_gb: 4,
    };
    expect(plan?.facts).toEqual(expected);
    expect(result).toEqual({ changed: false, failed: false, ...expected });
    expect(host.sent).toHaveLength(1);
  });

  it('takes the major version from an EL point release and an empty codename; check mode reads the same', async () => {
    const el = DEBIAN12.replace('debian', 'rocky').replace('=12', '=9.3').replace('bookworm', '').replace('=deb', '=rpm');
    const host = fakeHost({ check: true }).on(PROBE, { stdout: el });
    expect((await runModule(facts, {}, host)).plan?.facts).toMatchObject({
      os_vendor: 'rocky',
      os_version_full: '9.3',
      os_version: 9,
      os_codename: '',
      os_package: 'rpm',
    });
  });

  it('fails naming the read when the probe fails', async () => {
    const host = fakeHost().on(PROBE, { code: 126, stderr: 'sh: 1: nproc: Permission denied\n' });
    expect((await runModule(facts, {}, host)).result).toMatchObject({
      failed: true,
      rc: 126,
      msg: 'reading host facts failed: sh: 1: nproc: Permission denied',
    });
  });
});
