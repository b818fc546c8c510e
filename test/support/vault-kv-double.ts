// A TEST DOUBLE of HashiCorp Vault's KV v2 engine and AppRole login (no Vault can run here): an HTTPS server on
// 127.0.0.1 answering, in the shapes Vault's API docs show,
//   GET  /v1/<mount>/data/<path>        {data: {data, metadata}, lease_duration, renewable, ...}   (kv-v2.mdx)
//   POST /v1/auth/<mount>/login         {auth: {client_token, lease_duration, renewable, ...}}     (approle.mdx)
//   POST /v1/auth/token/renew-self      {auth: {client_token, lease_duration, renewable, ...}}     (token.mdx)
// with X-Vault-Token, {"errors": [...]} bodies, 403 "permission denied", 404 and 503 "Vault is sealed", plus
// switches for the failures a client must survive: sealed, hanging, tokens that expire, a 403 body that
// echoes the presented token.
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import type { TlsFixture } from './tls-fixture.ts';

export interface VaultKvDoubleOptions {
  /** The latest version's data map of each KV v2 secret, by "<mount>/<path>" (say 'secret/app/db'). */
  secrets: Record<string, Record<string, unknown>>;
  /** Tokens accepted as given (token auth). They never expire. */
  tokens?: readonly string[];
  /** The AppRole credentials the login accepts, and the tokens it issues. */
  approle?: { roleId: string; secretId: string; mount?: string; tokenTtlSeconds?: number; renewable?: boolean };
  /** Secrets ("<mount>/<path>") no token's policy grants: every read of them is 403 permission denied. */
  forbidden?: readonly string[];
  /** lease_duration put on KV answers (KV v2 answers 0; set it to exercise the lease path). */
  leaseSeconds?: number;
  /** The double's clock for token expiry, shared with the provider under test. Default Date.now. */
  now?: () => number;
}

export interface VaultKvCall {
  method: string;
  path: string;
  token: string | undefined;
  status: number;
}

export interface VaultKvDouble {
  address: string;
  /** Every request, in order, with the token it presented and the status it got (0 while hanging). */
  calls: VaultKvCall[];
  switches: {
    /** Answer every request 503 {"errors":["Vault is sealed"]}. */
    sealed: boolean;
    /** Accept requests and never answer them. */
    hang: boolean;
    /** Put the presented token into 403 bodies (as a misbehaving proxy might), to prove it never leaks. */
    echoToken: boolean;
    /** Refuse renew-self with 400 (a token at its max TTL). */
    refuseRenewal: boolean;
  };
  /** Tokens the AppRole login issued, newest last. */
  issued(): string[];
  /** Invalidates every issued token at once (as `vault token revoke` would). */
  revokeIssued(): void;
  close(): Promise<void>;
}

interface IssuedToken {
  token: string;
  expiresAt: number;
}

export async function startVaultKvDouble(tls: TlsFixture, options: VaultKvDoubleOptions): Promise<VaultKvDouble> {
  const now = options.now ?? Date.now;
  const calls: VaultKvCall[] = [];
  const issued = new Map<string, IssuedToken>();
  const approleMount = options.approle?.mount ?? 'approle';
  const ttl = options.approle?.tokenTtlSeconds ?? 3600;
  const switches: VaultKvDouble['switches'] = { sealed: false, hang: false, echoToken: false, refuseRenewal: false };

  const valid = (token: string | undefined): boolean => {
    if (token === undefined) return false;
    if (options.tokens?.includes(token)) return true;
    const entry = issued.get(token);
    return entry !== undefined && now() < entry.expiresAt;
  };
  const authBlock = (token: string) => ({
    client_token: token,
    accessor: randomUUID(),
    policies: ['default', 'sluice-read'],
    token_policies: ['default', 'sluice-read'],
    metadata: { role_name: 'sluice' },
    lease_duration: ttl,
    renewable: options.approle?.renewable ?? true,
    entity_id: randomUUID(),
    token_type: 'service',
    orphan: true,
  });
  const envelope = (fields: object) => ({ request_id: randomUUID(), lease_id: '', renewable: false, lease_duration: 0, data: null, wrap_info: null, warnings: null, auth: null, ...fields });

  const server = createServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const given = req.headers['x-vault-token'];
      const token = typeof given === 'string' ? given : undefined;
      const path = (req.url ?? '').split('?')[0] ?? '';
      const call: VaultKvCall = { method: req.method ?? '', path, token, status: 0 };
      calls.push(call);
      if (switches.hang) return; // never answered; close() drops the connection
      const reply = (status: number, body?: object) => {
        call.status = status;
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      if (switches.sealed) return reply(503, { errors: ['Vault is sealed'] });
      const denied = () => reply(403, { errors: [switches.echoToken ? `permission denied: token '${token ?? ''}' is not valid for ${path}` : 'permission denied'] });
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        return reply(400, { errors: ['failed to parse JSON input'] });
      }

      if (req.method === 'POST' && path === `/v1/auth/${approleMount}/login`) {
        const role = options.approle;
        // Vault answers a wrong role or secret id with 400 "invalid role or secret ID".
        if (!role || input.role_id !== role.roleId || input.secret_id !== role.secretId) return reply(400, { errors: ['invalid role or secret ID'] });
        const issuedToken = `hvs.${randomBytes(18).toString('base64url')}`;
        issued.set(issuedToken, { token: issuedToken, expiresAt: now() + ttl * 1000 });
        return reply(200, envelope({ auth: authBlock(issuedToken) }));
      }
      if (req.method === 'POST' && path === '/v1/auth/token/renew-self') {
        if (!valid(token)) return denied();
        const entry = issued.get(token ?? '');
        if (!entry || switches.refuseRenewal) return reply(400, { errors: ['lease is not renewable'] });
        entry.expiresAt = now() + ttl * 1000;
        return reply(200, envelope({ auth: authBlock(entry.token) }));
      }
      const kv = /^\/v1\/([^/]+)\/data\/(.+)$/.exec(path);
      if (req.method === 'GET' && kv) {
        if (!valid(token) || options.forbidden?.includes(`${kv[1]}/${kv[2]}`)) return denied();
        const data = options.secrets[`${kv[1]}/${kv[2]}`];
        // Vault answers a path with no secret 404 {"errors":[]}.
        if (data === undefined) return reply(404, { errors: [] });
        const created = new Date(0).toISOString();
        return reply(
          200,
          envelope({
            lease_duration: options.leaseSeconds ?? 0,
            data: { data, metadata: { created_time: created, custom_metadata: null, deletion_time: '', destroyed: false, version: 1 } },
          }),
        );
      }
      return reply(404, { errors: [] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `https://127.0.0.1:${port}`,
    calls,
    switches,
    issued: () => [...issued.keys()],
    revokeIssued: () => {
      for (const entry of issued.values()) entry.expiresAt = -Infinity;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
