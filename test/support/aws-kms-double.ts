// A TEST DOUBLE of AWS KMS (no AWS here): an HTTPS server on 127.0.0.1 answering the documented JSON 1.1
// protocol for TrentService.Encrypt and TrentService.Decrypt (base64 blobs, EncryptionContext as associated
// data, InvalidCiphertextException and AccessDeniedException). It checks that requests are SigV4-signed with
// the expected access key id; it does not verify signatures.
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { TlsFixture } from './tls-fixture.ts';

export const KMS_KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-123456789abc';

export interface KmsDouble {
  endpoint: string;
  targets: string[];
  close(): Promise<void>;
}

function aadOf(keyId: string, encryptionContext: Record<string, string> | undefined): Buffer {
  const sorted = Object.fromEntries(Object.entries(encryptionContext ?? {}).sort(([a], [b]) => a.localeCompare(b)));
  return Buffer.from(`${keyId}\u0000${JSON.stringify(sorted)}`, 'utf8');
}

export async function startKmsDouble(tls: TlsFixture, accessKeyId: string): Promise<KmsDouble> {
  const key = randomBytes(32);
  const targets: string[] = [];
  const server = createServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: object) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      targets.push(target);
      const auth = String(req.headers.authorization ?? '');
      if (!auth.startsWith(`AWS4-HMAC-SHA256 Credential=${accessKeyId}/`)) return reply(400, { __type: 'AccessDeniedException', message: 'not authorized' });
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { KeyId?: string; Plaintext?: string; CiphertextBlob?: string; EncryptionContext?: Record<string, string> };
      if (input.KeyId !== KMS_KEY_ARN) return reply(400, { __type: 'NotFoundException', message: 'key not found' });
      const aad = aadOf(input.KeyId, input.EncryptionContext);
      if (target === 'TrentService.Encrypt') {
        const nonce = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
        cipher.setAAD(aad);
        const blob = Buffer.concat([nonce, cipher.update(Buffer.from(input.Plaintext ?? '', 'base64')), cipher.final(), cipher.getAuthTag()]);
        return reply(200, { CiphertextBlob: blob.toString('base64'), KeyId: KMS_KEY_ARN, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
      }
      if (target === 'TrentService.Decrypt') {
        try {
          const blob = Buffer.from(input.CiphertextBlob ?? '', 'base64');
          const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(0, 12), { authTagLength: 16 });
          decipher.setAAD(aad);
          decipher.setAuthTag(blob.subarray(blob.length - 16));
          const plaintext = Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]);
          return reply(200, { Plaintext: plaintext.toString('base64'), KeyId: KMS_KEY_ARN, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
        } catch {
          return reply(400, { __type: 'InvalidCiphertextException', message: '' });
        }
      }
      return reply(400, { __type: 'UnknownOperationException' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `https://127.0.0.1:${port}`, targets, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
