// A throwaway CA for the TLS tests, made with the openssl CLI: leaf certificates for given
// names, so real clients (curl --cacert, openssl s_client) can verify what the store serves.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';

const run = promisify(execFile);

export interface Leaf {
  certPem: string;
  keyPem: string;
}

export interface TestCa {
  dir: string;
  caFile: string;
  caPem: string;
  /** a fresh key and certificate (new serial each call) for `names`, valid `days` days */
  issue(names: string[], days?: number): Promise<Leaf>;
  close(): Promise<void>;
}

export async function makeTestCa(): Promise<TestCa> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tls-ca-'));
  const caKey = path.join(dir, 'ca.key');
  const caFile = path.join(dir, 'ca.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', '/CN=globaldns tls test CA']);
  let n = 0;
  return {
    dir,
    caFile,
    caPem: await readFile(caFile, 'utf8'),
    async issue(names, days = 1) {
      const base = path.join(dir, `leaf${++n}`);
      const ext = `${base}.ext`;
      await writeFile(ext, `subjectAltName=${names.map((x) => `DNS:${x}`).join(',')}\n`);
      await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${names[0]}`]);
      await run('openssl', ['x509', '-req', '-in', `${base}.csr`, '-CA', caFile, '-CAkey', caKey, '-set_serial', `0x${randomBytes(12).toString('hex')}`, '-out', `${base}.pem`, '-days', String(days), '-extfile', ext]);
      return { certPem: await readFile(`${base}.pem`, 'utf8'), keyPem: await readFile(`${base}.key`, 'utf8') };
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
