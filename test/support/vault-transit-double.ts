// A TEST DOUBLE of HashiCorp Vault's Transit engine (no Vault can run here): an HTTPS server on 127.0.0.1 that
// answers POST /v1/<mount>/encrypt|decrypt/<key> as Vault documents it (base64 plaintext, associated_data,
// "vault:v1:" ciphertexts, X-Vault-Token, 403 for a bad token, 400 when decryption fails).
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { TlsFixture } from './tls-fixture.ts';

export interface VaultDouble {
  address: string;
  calls: { path: string; token: string | undefined }[];
  close(): Promise<void>;
}

export async function startVaultTransitDouble(tls: TlsFixture, token: string, mount = 'transit', keyName = 'sluice'): Promise<VaultDouble> {
  const key = randomBytes(32);
  const calls: VaultDouble['calls'] = [];
  const server: Server = createServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: object) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const given = req.headers['x-vault-token'];
      calls.push({ path: req.url ?? '', token: typeof given === 'string' ? given : undefined });
      if (given !== token) return reply(403, { errors: ['permission denied'] });
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { plaintext?: string; ciphertext?: string; associated_data?: string };
      const aad = Buffer.from(input.associated_data ?? '', 'base64');
      if (req.method === 'POST' && req.url === `/v1/${mount}/encrypt/${keyName}`) {
        const nonce = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
        cipher.setAAD(aad);
        const sealed = Buffer.concat([nonce, cipher.update(Buffer.from(input.plaintext ?? '', 'base64')), cipher.final(), cipher.getAuthTag()]);
        return reply(200, { data: { ciphertext: `vault:v1:${sealed.toString('base64')}`, key_version: 1 } });
      }
      if (req.method === 'POST' && req.url === `/v1/${mount}/decrypt/${keyName}`) {
        try {
          const sealed = Buffer.from((input.ciphertext ?? '').replace(/^vault:v1:/, ''), 'base64');
          const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12), { authTagLength: 16 });
          decipher.setAAD(aad);
          decipher.setAuthTag(sealed.subarray(sealed.length - 16));
          const plaintext = Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
          return reply(200, { data: { plaintext: plaintext.toString('base64') } });
        } catch {
          return reply(400, { errors: ['cipher: message authentication failed'] });
        }
      }
      return reply(404, { errors: [] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { address: `https://127.0.0.1:${port}`, calls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
