/**
 * A minimal STS endpoint for tests: AssumeRole over the Query protocol (form-encoded POST,
 * XML answer), so the real AWS SDK's fromTemporaryCredentials can assume a role here.
 * Records every call with the role asked for and the key the request was signed with.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StsCall {
  action: string;
  roleArn?: string;
  sessionName?: string;
  /** Access key id of the SigV4 signature: who asked. */
  signedBy?: string;
}

export interface StsSim {
  url: string;
  calls: StsCall[];
  /** The temporary access key id handed out for `roleArn`. */
  accessKeyFor(roleArn: string): string;
  stop(): Promise<void>;
}

export async function startStsSim(): Promise<StsSim> {
  const calls: StsCall[] = [];
  const keyFor = (roleArn: string) => `ASIA${Buffer.from(roleArn).toString('hex').slice(-12).toUpperCase()}`;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const signedBy = /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? '')?.[1];
      const call: StsCall = { action: form.get('Action') ?? '', roleArn: form.get('RoleArn') ?? undefined, sessionName: form.get('RoleSessionName') ?? undefined, signedBy };
      calls.push(call);
      if (call.action !== 'AssumeRole' || !call.roleArn) {
        res.writeHead(400, { 'content-type': 'text/xml' });
        res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation ${call.action}</Message></Error><RequestId>sts-sim</RequestId></ErrorResponse>`);
        return;
      }
      const expiration = new Date(Date.now() + 3600_000).toISOString();
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
          `<Credentials><AccessKeyId>${keyFor(call.roleArn)}</AccessKeyId><SecretAccessKey>sim-secret</SecretAccessKey>` +
          `<SessionToken>sim-session-token</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
          `<AssumedRoleUser><AssumedRoleId>AROASIM:${call.sessionName ?? ''}</AssumedRoleId><Arn>${call.roleArn}/${call.sessionName ?? ''}</Arn></AssumedRoleUser>` +
          `</AssumeRoleResult><ResponseMetadata><RequestId>sts-sim</RequestId></ResponseMetadata></AssumeRoleResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    accessKeyFor: keyFor,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
