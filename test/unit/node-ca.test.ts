import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certOutdated, certPaths, certProbeScript, issueScript, normalizeSans, PKI_DIR, validityDays, type CertSpec } from '../../roles/ca/pki.ts';
import { caCertScript, caKeyScript } from '../../roles/ca/ca-scripts.ts';
import { PARAM_DEFAULTS } from '../../roles/params.ts';

const sh = (script: string): string => execFileSync('sh', ['-c', script], { input: '', encoding: 'utf8' });

describe('certificate specs', () => {
  it('types bare SANs by their form, sorted and deduplicated', () => {
    expect(normalizeSans(['localhost', '10.10.10.11', 'DNS:pg-test', 'ip:127.0.0.1', 'localhost'])).toEqual([
      'DNS:localhost',
      'DNS:pg-test',
      'IP:10.10.10.11',
      'IP:127.0.0.1',
    ]);
    expect(() => normalizeSans(['bad name'])).toThrow(/neither a DNS name nor an IP/);
    expect(() => normalizeSans(['IP:300.1.1.1'])).toThrow();
  });

  it('reads cert_validity in days, for the certificates of every role', () => {
    expect(validityDays('7300d')).toBe(7300);
    expect(validityDays(PARAM_DEFAULTS.cert_validity)).toBe(7300);
    expect(() => validityDays('20y')).toThrow(/number of days/);
    expect(() => validityDays('0d')).toThrow(/number of days/);
  });

  it('keeps files under files/pki and refuses path tricks', () => {
    expect(certPaths({ dir: 'pgsql', name: 'pg-test-1', key: 'pg-test', cn: 'x', sans: [] })).toEqual({
      key: `${PKI_DIR}/pgsql/pg-test.key`,
      crt: `${PKI_DIR}/pgsql/pg-test-1.crt`,
      csr: `${PKI_DIR}/csr/pg-test-1.csr`,
    });
    expect(() => certPaths({ dir: '../ca', name: 'x', cn: 'x', sans: [] })).toThrow(/plain file name/);
  });

  it('explains why a probed certificate is outdated', () => {
    const spec: CertSpec = { dir: 'etcd', name: 'etcd-1', cn: 'etcd-1', sans: ['IP:127.0.0.1', 'DNS:localhost'] };
    const good = 'key=yes\ncrt=yes\nverify=ok\nmatch=yes\ncn=etcd-1\nsan=DNS:localhost,IPAddress:127.0.0.1';
    expect(certOutdated(good, spec)).toBeUndefined();
    expect(certOutdated('key=no\ncrt=no', spec)).toBe('no private key yet');
    expect(certOutdated('key=yes\ncrt=no', spec)).toBe('no certificate yet');
    expect(certOutdated(good.replace('verify=ok', 'verify=no'), spec)).toBe('not signed by the current CA');
    expect(certOutdated(good.replace('match=yes', 'match=no'), spec)).toBe('issued for another private key');
    expect(certOutdated(good.replace('cn=etcd-1', 'cn=etcd-2'), spec)).toMatch(/common name is etcd-2/);
    expect(certOutdated(good, { ...spec, sans: [...spec.sans, 'IP:10.10.10.10'] })).toMatch(/^names are/);
  });
});

describe('CA and leaf certificates with openssl', () => {
  const root = mkdtempSync(join(tmpdir(), 'pki-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'ca'), { mode: 0o700 });
  const caKey = join(root, 'ca/ca.key');
  const caCrt = join(root, 'ca/ca.crt');

  it('makes a CA that is a CA with path length 1, once', () => {
    sh(caKeyScript(caKey));
    sh(caCertScript('pigsty-ca', caCrt, caKey));
    const text = sh(`openssl x509 -in ${caCrt} -noout -text`);
    expect(text).toContain('Subject: O = pigsty, OU = ca, CN = pigsty-ca');
    expect(text).toMatch(/CA:TRUE, pathlen:1/);
    expect(text).toMatch(/Certificate Sign, CRL Sign/);
    const before = sh(`openssl x509 -in ${caCrt} -noout -fingerprint`);
    sh(caKeyScript(caKey));
    sh(caCertScript('pigsty-ca', caCrt, caKey));
    expect(sh(`openssl x509 -in ${caCrt} -noout -fingerprint`)).toBe(before);
  }, 30_000);

  it('issues a leaf certificate the CA verifies, with the SANs, and sees it up to date afterwards', () => {
    const spec: CertSpec = { dir: 'etcd', name: 'etcd-1', cn: 'etcd-1', sans: ['DNS:localhost', 'IP:127.0.0.1', '10.10.10.10'], ou: 'etcd' };
    expect(certOutdated(sh(certProbeScript(spec, root)), spec)).toBe('no private key yet');
    sh(issueScript(spec, 7300, root));
    const { crt, key } = certPaths(spec, root);
    expect(sh(`openssl verify -CAfile ${caCrt} ${crt}`)).toContain('OK');
    const ext = sh(`openssl x509 -in ${crt} -noout -ext subjectAltName,extendedKeyUsage`);
    expect(ext).toContain('DNS:localhost, IP Address:10.10.10.10, IP Address:127.0.0.1');
    expect(ext).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    expect(sh(`stat -c %a ${key}`).trim()).toBe('600');
    expect(certOutdated(sh(certProbeScript(spec, root)), spec)).toBeUndefined();
    // A new name makes it outdated; reissuing keeps the key.
    const wider = { ...spec, sans: [...spec.sans, 'DNS:etcd-1'] };
    expect(certOutdated(sh(certProbeScript(wider, root)), wider)).toMatch(/^names are/);
    const keyBefore = sh(`sha256sum ${key}`);
    sh(issueScript(wider, 7300, root));
    expect(certOutdated(sh(certProbeScript(wider, root)), wider)).toBeUndefined();
    expect(sh(`sha256sum ${key}`)).toBe(keyBefore);
  }, 30_000);
});
