/**
 * Throwaway certificates for TLS tests, made with the `openssl` CLI once per process.
 * `ca` signs `server` (valid for 127.0.0.1 and localhost), `expired` and `otherHost`;
 * `selfSigned` is its own issuer. Pass `ca` to a connection to trust the signed ones.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface KeyPair {
  key: string;
  cert: string;
}

export interface TestCerts {
  /** PEM of the test CA. */
  ca: string;
  /** For 127.0.0.1 and localhost, signed by `ca`. */
  server: KeyPair;
  /** For 127.0.0.1 and localhost, signed by `ca`, expired yesterday. */
  expired: KeyPair;
  /** For mail.example.com only, signed by `ca`. */
  otherHost: KeyPair;
  /** For 127.0.0.1 and localhost, self-signed (no CA). */
  selfSigned: KeyPair;
}

let cached: TestCerts | undefined;

export function testCerts(): TestCerts {
  if (cached) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtpflow-certs-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  // EC keys: an order of magnitude faster to generate than RSA, and every TLS stack takes them.
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const file = (name: string): string => path.join(dir, name);
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const read = (name: string): string => fs.readFileSync(file(name), 'utf8');
  const local = 'subjectAltName=IP:127.0.0.1,DNS:localhost\n';

  run(['req', '-x509', ...newKey, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=smtpflow test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);

  const signed = (name: string, cn: string, ext: string, days: string): KeyPair => {
    fs.writeFileSync(file(`${name}.ext`), ext);
    run(['req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    // A negative -days puts notAfter before now: the simplest way to a really expired certificate.
    run(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', `${name}.pem`, '-days', days, '-extfile', `${name}.ext`]);
    return { key: read(`${name}.key`), cert: read(`${name}.pem`) };
  };

  const server = signed('server', '127.0.0.1', local, '2');
  const expired = signed('expired', '127.0.0.1', local, '-1');
  const otherHost = signed('other', 'mail.example.com', 'subjectAltName=DNS:mail.example.com\n', '2');
  run(['req', '-x509', ...newKey, '-keyout', 'self.key', '-out', 'self.pem', '-days', '2', '-subj', '/CN=self-signed.smtpflow.test',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  const selfSigned = { key: read('self.key'), cert: read('self.pem') };

  cached = { ca: read('ca.pem'), server, expired, otherHost, selfSigned };
  return cached;
}
