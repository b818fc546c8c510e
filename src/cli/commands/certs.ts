// `sluice certs init`: a local CA, a server certificate and client certificates for developing against
// `sluice serve` with TLS and mutual TLS. NOT for production: the CA key sits in a file beside the certificates.
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { SluiceError, ioFailure } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { createDevCa, issueCertificate } from '../../tls/dev-ca.ts';

const CLIENT_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

export function registerCerts(program: Command, context: CliContext, setExit: (code: number) => void): void {
  const certs = program.command('certs').description('Certificates for development (not for production)');
  certs
    .command('init')
    .description('Create a local CA, a server certificate and client certificates (mTLS service principals) for development')
    .option('--dir <dir>', 'where to write them', 'certs')
    .option('--host <name...>', 'server host names and IP addresses', ['localhost', '127.0.0.1', '::1'])
    .option('--client <name...>', 'client certificates to issue; each becomes the service principal mtls:<name>', [])
    .option('--days <n>', 'validity of the leaf certificates in days', '90')
    .option('--force', 'overwrite existing files')
    .action(async (options: { dir: string; host: string[]; client: string[]; days: string; force?: boolean }) => {
      const days = Number(options.days);
      if (!Number.isInteger(days) || days < 1 || days > 825) throw new SluiceError('SLUICE_USAGE', `--days takes a whole number from 1 to 825, not '${options.days}'`);
      for (const name of options.client) {
        if (!CLIENT_NAME.test(name)) throw new SluiceError('SLUICE_USAGE', `--client '${name}': use lowercase letters, digits, '.', '-' and '_' (it becomes a certificate common name)`);
      }
      const dir = resolve(context.cwd, options.dir);
      const files: [string, string, boolean][] = [];
      const ca = await createDevCa('Sluice development CA (not for production)', 365);
      files.push(['ca.pem', ca.cert, false], ['ca-key.pem', ca.key, true]);
      const server = await issueCertificate(ca, 'server', options.host, days);
      files.push(['server.pem', server.cert, false], ['server-key.pem', server.key, true]);
      for (const name of options.client) {
        const client = await issueCertificate(ca, 'client', [name], days);
        files.push([`client-${name}.pem`, client.cert, false], [`client-${name}-key.pem`, client.key, true]);
      }
      if (!options.force) {
        const taken = [];
        for (const [name] of files) if (await exists(join(dir, name))) taken.push(name);
        if (taken.length > 0) throw new SluiceError('SLUICE_INIT_EXISTS', `${dir} already has ${taken.join(', ')}; use --force to replace them (clients of the old CA will stop trusting this server)`);
      }
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        for (const [name, text, secret] of files) {
          // writeFile's mode applies only to a new file: remove an old one first, so a key never sits in a file
          // whose mode --force inherited.
          await rm(join(dir, name), { force: true });
          await writeFile(join(dir, name), text, { mode: secret ? 0o600 : 0o644, flag: 'wx' });
        }
      } catch (error) {
        throw ioFailure('SLUICE_IO_FAILED', `cannot write certificates to ${dir}`, error);
      }
      const shown = relative(context.cwd, dir) || '.';
      println(context.stdout, `wrote a development CA, a server certificate for ${options.host.join(', ')}${options.client.length > 0 ? ` and client certificates for ${options.client.join(', ')}` : ''} to ${shown}/`);
      println(context.stdout, 'These are for development only: the CA key is a file next to them. Use your own PKI in production.');
      println(context.stdout, '\nIn sluice.settings.yaml:');
      println(context.stdout, `server:\n  tls:\n    cert: ${shown}/server.pem\n    key: ${shown}/server-key.pem\n    clientCa: ${shown}/ca.pem`);
      setExit(EXIT.OK);
    });
}
