// Throwaway PKI for the fake API server, made with the openssl CLI once per process.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OPENSSL = process.env.OPENSSL ?? 'openssl';

export interface FakePki {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** client certificate (CN=fake-admin, O=system:masters) signed by the CA */
  clientCertPem: string;
  clientKeyPem: string;
}

let cached: Promise<FakePki> | undefined;

/** The per-process PKI (generated on first use, ~100 ms with EC keys). */
export function fakePki(): Promise<FakePki> {
  if (!cached) {
    cached = generate();
    cached.catch(() => {
      cached = undefined;
    });
  }
  return cached;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run(OPENSSL, args, { cwd: dir });
}

async function generate(): Promise<FakePki> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-kube-pki-'));
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await openssl(dir, [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=fake-kube-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await writeFile(
      join(dir, 'server.ext'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n',
    );
    await writeFile(
      join(dir, 'client.ext'),
      'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n',
    );
    const issue = async (name: string, subj: string): Promise<void> => {
      await openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj]);
      await openssl(dir, [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      ]);
    };
    await issue('server', '/CN=fake-kube-apiserver');
    await issue('client', '/O=system:masters/CN=fake-admin');
    const read = (f: string): Promise<string> => readFile(join(dir, f), 'utf8');
    return {
      caPem: await read('ca.crt'),
      serverCertPem: await read('server.crt'),
      serverKeyPem: await read('server.key'),
      clientCertPem: await read('client.crt'),
      clientKeyPem: await read('client.key'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
