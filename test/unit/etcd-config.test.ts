import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { templatePath } from '../../modules/template.ts';
import { renderTemplate } from '../../modules/template.ts';
import { authProbeScript, checkPassword, keyValues, memberAddScript, memberPeerUrls } from '../../roles/etcd/etcdctl.ts';
import { certAltNames, caScript, leafScript } from '../../roles/etcd/etcd-certs.ts';
import {
  etcdEndpoints,
  etcdIdentityProblems,
  etcdMembers,
  etcdSeqOf,
  initialCluster,
  otherEndpoints,
  type EtcdHostVars,
  type EtcdView,
} from '../../roles/etcd/etcd-members.ts';
import { PARAM_DEFAULTS } from '../../roles/params.ts';

const ROLE = new URL('../../roles/etcd/role.ts', import.meta.url).href;

/** A host's etcd variables: the declared defaults, then what the inventory sets. */
const member = (vars: Partial<EtcdHostVars> = {}): EtcdHostVars => ({ ...PARAM_DEFAULTS, ...vars });

/** Three members whose addresses sort differently as strings and as numbers, and a host outside the group. */
function view(host: string, overrides: Partial<EtcdView> = {}): EtcdView {
  return {
    inventory_hostname: host,
    groups: { all: ['10.10.10.9', '10.10.10.10', '10.10.10.100', '10.10.10.5'], etcd: ['10.10.10.9', '10.10.10.10', '10.10.10.100'] },
    hostvars: {
      '10.10.10.9': member({ etcd_seq: 3 }),
      '10.10.10.10': member({ etcd_seq: 1 }),
      '10.10.10.100': member({ etcd_seq: 2, etcd_peer_port: 12380 }),
      '10.10.10.5': member(),
    },
    ...overrides,
  };
}

describe('etcd cluster membership', () => {
  it('lists the group sorted as strings, as Pigsty sorts it, with each member its own name and ports', () => {
    expect(etcdMembers(view('10.10.10.10'))).toEqual([
      { host: '10.10.10.10', name: 'etcd-1', peerUrl: 'https://10.10.10.10:2380', clientUrl: 'https://10.10.10.10:2379' },
      { host: '10.10.10.100', name: 'etcd-2', peerUrl: 'https://10.10.10.100:12380', clientUrl: 'https://10.10.10.100:2379' },
      { host: '10.10.10.9', name: 'etcd-3', peerUrl: 'https://10.10.10.9:2380', clientUrl: 'https://10.10.10.9:2379' },
    ]);
  });

  it('renders the same initial-cluster on every member', () => {
    const expected = 'etcd-1=https://10.10.10.10:2380,etcd-2=https://10.10.10.100:12380,etcd-3=https://10.10.10.9:2380';
    for (const host of ['10.10.10.9', '10.10.10.10', '10.10.10.100']) expect(initialCluster(view(host))).toBe(expected);
  });

  it('gives clients every endpoint, and a joining member the others', () => {
    expect(etcdEndpoints(view('10.10.10.9'))).toBe('https://10.10.10.10:2379,https://10.10.10.100:2379,https://10.10.10.9:2379');
    expect(otherEndpoints(view('10.10.10.9'))).toBe('https://10.10.10.10:2379,https://10.10.10.100:2379');
  });

  it('uses the group named by etcd_cluster', () => {
    const v = view('10.10.10.9', {
      groups: { 'etcd-x': ['10.10.10.9'] },
      hostvars: { '10.10.10.9': member({ etcd_seq: 7, etcd_cluster: 'etcd-x' }) },
    });
    expect(initialCluster(v)).toBe('etcd-x-7=https://10.10.10.9:2380');
    expect(etcdIdentityProblems(v)).toEqual([]);
  });

  it('accepts a complete member and reports what makes one invalid', () => {
    expect(etcdIdentityProblems(view('10.10.10.10'))).toEqual([]);
    expect(etcdIdentityProblems(view('10.10.10.5'))).toEqual([
      'etcd_seq is required for etcd instance 10.10.10.5',
      '10.10.10.5 is not in the inventory group "etcd": the group of etcd members must be named as etcd_cluster',
    ]);
    const v = view('10.10.10.10');
    v.hostvars['10.10.10.9'] = member({ etcd_seq: 1 });
    expect(etcdIdentityProblems(v)).toEqual(['etcd_seq 1 is also used by 10.10.10.9 in group etcd']);
    v.hostvars['10.10.10.9'] = member();
    expect(etcdIdentityProblems(v)).toEqual(['member 10.10.10.9 of group etcd has no etcd_seq']);
    expect(() => initialCluster(v)).toThrow('etcd member 10.10.10.9 of group etcd has no etcd_seq');
    v.hostvars['10.10.10.10'] = member({ etcd_seq: -1 });
    expect(etcdIdentityProblems(v)[0]).toBe('etcd_seq must be a non-negative integer, got -1');
  });

  it('names the member whose identity is missing instead of making one up', () => {
    expect(etcdSeqOf({ inventory_hostname: '10.10.10.5', etcd_seq: 0 })).toBe(0);
    expect(() => etcdSeqOf({ inventory_hostname: '10.10.10.5' })).toThrow('etcd_seq is required for etcd instance 10.10.10.5');
    const v = view('10.10.10.10');
    delete v.hostvars['10.10.10.100'];
    expect(() => etcdMembers(v)).toThrow('10.10.10.100 is not a host of the inventory');
  });
});

describe('etcd templates', () => {
  const vars = {
    inventory_hostname: '10.10.10.10',
    etcd_cluster: 'etcd',
    etcd_data: '/data/etcd',
    etcd_init: 'new',
    etcd_port: 2379,
    etcd_peer_port: 2380,
    etcd_election_timeout: 1000,
    etcd_heartbeat_interval: 100,
    etcd_instance: 'etcd-1',
    etcd_initial_cluster: initialCluster(view('10.10.10.10')),
    etcd_endpoints: etcdEndpoints(view('10.10.10.10')),
  };

  /** The YAML settings of a rendered etcd.conf, comments and blank lines left out. */
  const settings = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));

  it('renders etcd.conf with the member identity, timings, quota, compaction and mutual TLS', () => {
    expect(settings(renderTemplate(templatePath(ROLE, 'etcd.conf.hbs'), vars))).toEqual([
      'name: etcd-1',
      'data-dir: /data/etcd',
      'initial-cluster-token: "etcd"',
      'initial-cluster-state: "new"',
      'initial-cluster: "etcd-1=https://10.10.10.10:2380,etcd-2=https://10.10.10.100:12380,etcd-3=https://10.10.10.9:2380"',
      'initial-advertise-peer-urls: "https://10.10.10.10:2380"',
      'listen-peer-urls: "https://10.10.10.10:2380"',
      'listen-client-urls: "https://10.10.10.10:2379,https://127.0.0.1:2379"',
      'advertise-client-urls: "https://10.10.10.10:2379"',
      'election-timeout: 1000',
      'heartbeat-interval: 100',
      'quota-backend-bytes: 8589934592',
      'auto-compaction-mode: periodic',
      'auto-compaction-retention: "24h"',
      'logger: zap',
      'log-outputs: [stderr]',
      'enable-grpc-gateway: true',
      'client-transport-security:',
      '  cert-file: /etc/etcd/server.crt',
      '  key-file: /etc/etcd/server.key',
      '  trusted-ca-file: /etc/etcd/ca.crt',
      'peer-transport-security:',
      '  cert-file: /etc/etcd/server.crt',
      '  key-file: /etc/etcd/server.key',
      '  trusted-ca-file: /etc/etcd/ca.crt',
      '  client-cert-auth: true',
    ]);
  });

  it('joins an existing cluster when etcd_init says so, and takes the timings from the inventory', () => {
    const text = renderTemplate(templatePath(ROLE, 'etcd.conf.hbs'), {
      ...vars,
      etcd_init: 'existing',
      etcd_election_timeout: 3000,
      etcd_heartbeat_interval: 300,
    });
    expect(text).toContain('initial-cluster-state: "existing"\n');
    expect(text).toContain('election-timeout: 3000\nheartbeat-interval: 300\n');
  });

  it('keeps a cluster name or data dir carrying YAML syntax inside its own value', () => {
    const text = renderTemplate(templatePath(ROLE, 'etcd.conf.hbs'), {
      ...vars,
      etcd_cluster: 'etcd"\nforce-new-cluster: true',
      etcd_data: '/data/etcd\u2028force-new-cluster: true',
    });
    expect(text).toContain('\ninitial-cluster-token: "etcd\\"\\nforce-new-cluster: true"\n');
    expect(text).toContain('\ndata-dir: "/data/etcd\\u2028force-new-cluster: true"\n');
    const doc = YAML.parse(text) as Record<string, unknown>;
    expect(doc['force-new-cluster']).toBeUndefined();
    expect(doc['initial-cluster-token']).toBe('etcd"\nforce-new-cluster: true');
  });

  it('runs etcd from its config file as the etcd user in its own unit', () => {
    const unit = renderTemplate(templatePath(ROLE, 'etcd.service.hbs'), vars);
    expect(unit).toContain('ExecStart=/usr/bin/etcd --config-file /etc/etcd/etcd.conf\n');
    expect(unit).toContain('Type=notify\nUser=etcd\nGroup=etcd\nWorkingDirectory=/data/etcd\n');
    expect(unit).toContain('[Install]\nWantedBy=multi-user.target\n');
  });

  it('points login shells at every member, with the password read from etcd.pass rather than written in', () => {
    const profile = renderTemplate(templatePath(ROLE, 'etcdctl.sh.hbs'), vars);
    expect(profile).toContain('export ETCDCTL_ENDPOINTS=https://10.10.10.10:2379,https://10.10.10.100:2379,https://10.10.10.9:2379\n');
    expect(profile).toContain('export ETCDCTL_API=3\n');
    expect(profile).toContain('ETCDCTL_USER="root:$(cat /etc/etcd/etcd.pass)"');
  });
});

describe('etcd certificates', () => {
  it('names loopback, the host and the member', () => {
    expect(certAltNames('10.10.10.10', 'etcd-1')).toBe('IP:127.0.0.1,DNS:localhost,IP:10.10.10.10,DNS:etcd-1');
    expect(certAltNames('node-1.example', 'etcd-2')).toBe('IP:127.0.0.1,DNS:localhost,DNS:node-1.example,DNS:etcd-2');
  });

  it('issues server-and-client certificates for the validity asked, from a CA that may not be made when ca_create is false', () => {
    const leaf = leafScript('10.10.10.10', 'etcd-1', 365);
    expect(leaf).toContain('extendedKeyUsage=serverAuth,clientAuth');
    expect(leaf).toContain('-days 365 ');
    expect(leaf).toContain('-subj /CN=etcd-1/O=pigsty/OU=etcd ');
    expect(leaf.split('\n')[0]).toBe('cat >/dev/null');
    expect(caScript('pigsty-ca', true)).toContain('openssl genpkey');
    expect(caScript('pigsty-ca', false)).toContain('ca_create is false');
    expect(caScript('pigsty-ca', false)).not.toContain('openssl genpkey');
  });
});

describe('etcdctl helpers', () => {
  it('reads key=value probe output, ignoring other lines', () => {
    expect(keyValues('auth=on\nnoise: x\nroot=ok\n')).toEqual({ auth: 'on', root: 'ok' });
    expect(keyValues(undefined)).toEqual({});
  });

  it('takes peer URLs from member list JSON whose IDs do not fit a JavaScript number', () => {
    const out =
      '{"header":{"cluster_id":14443903163313418560,"member_id":11417610130673999598,"raft_term":2},"members":[{"ID":11417610130673999598,"name":"etcd-1","peerURLs":["https://10.10.10.31:2380"],"clientURLs":["https://10.10.10.31:2379"]},{"ID":7733231434118285618,"name":"","peerURLs":["https://10.10.10.34:2380"],"isLearner":true}]}';
    expect(memberPeerUrls(out)).toEqual(['https://10.10.10.31:2380', 'https://10.10.10.34:2380']);
    expect(memberPeerUrls('')).toEqual([]);
  });

  it('adds a member as a learner only when asked, quoting every argument', () => {
    expect(memberAddScript('https://a:2379', 'etcd-4', 'https://10.10.10.34:2380', false).split('\n').at(-1)).toBe(
      'etcdctl member add etcd-4 --peer-urls=https://10.10.10.34:2380',
    );
    expect(memberAddScript('https://a:2379', 'etcd-4', 'https://10.10.10.34:2380', true)).toMatch(/--learner=true$/);
  });

  it('keeps passwords out of command lines and refuses those etcdctl would cut', () => {
    expect(authProbeScript('https://a:2379')).not.toMatch(/Etcd\.Root/);
    expect(authProbeScript('https://a:2379')).toContain('IFS= read -r root_pass');
    expect(() => checkPassword('etcd_root_password', 'two words')).toThrow('without whitespace');
    expect(() => checkPassword('etcd_root_password', '')).toThrow('non-empty');
    expect(() => checkPassword('etcd_root_password', 'Etcd.Root')).not.toThrow();
  });
});
