// `sluice serve`: the control plane over HTTPS (or plain HTTP on loopback with --insecure-dev), offering the
// pipelines of the settings' pipelines folder to authenticated, authorized principals.
import { readFile, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { SluiceError } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { closeRuntime, openKeyring, openRuntime, openSecretResolver } from '../runtime-setup.ts';
import { openWorkQueue } from '../cluster-setup.ts';
import { ackWaitMs } from '../../cluster/cluster-settings.ts';
import type { OpenQueue } from '../cluster-setup.ts';
import type { SecretResolver } from '../../secrets/resolve/secret-resolver.ts';
import { loadPlan } from '../load-plan.ts';
import { trustedKeys } from './audit.ts';
import { ServerPipelineRunner } from '../server-runner.ts';
import { SERVER_MODE_FILE } from '../server-mode.ts';
import type { ServerMode } from '../server-mode.ts';
import { verifyAuditLog } from '../../audit/verify-log.ts';
import { Authorizer } from '../../auth/authorizer.ts';
import { BUILTIN_ROLES } from '../../auth/permissions.ts';
import { FailureThrottle } from '../../auth/failure-throttle.ts';
import { isLoopbackHost } from '../../connectors/loopback-host.ts';
import type { ControlPlane } from '../../server/control-plane.ts';
import { PipelineCatalog } from '../../server/pipeline-catalog.ts';
import { Scheduler } from '../../server/scheduler.ts';
import { datasetShapes } from '../../server/dataset-shape.ts';
import { KeyringDatasetReader } from '../../server/keyring-dataset-reader.ts';
import { eraseSubject } from '../../crypto/subjects/subject-keys.ts';
import { RunProgressHub } from '../../server/run-progress.ts';
import { ioFailure } from '../../errors.ts';


function splitListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  const host = listen.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(at + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SluiceError('SLUICE_USAGE', `--listen takes host:port with a port up to 65535, not '${listen}'`);
  return { host, port };
}

async function readPem(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw ioFailure('SLUICE_SETTINGS_INVALID', `cannot read the ${what} ${file}`, error);
  }
}

export function registerServe(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('serve')
    .description('Serve the control plane API over HTTPS (settings: server.tls, server.oidc, server.pipelines)')
    .option('--listen <host:port>', 'address to listen on (default: server.listen, 127.0.0.1:8443)')
    .option('--insecure-dev', 'plain HTTP, loopback only, for development: sluice check reports it')
    .option('--cluster', "coordinate: runs are split into tasks for 'sluice worker' processes (settings: cluster, state.store postgresql)")
    .action(async (options: { listen?: string; insecureDev?: boolean; cluster?: boolean }) => {
      const runtime = await openRuntime(context);
      const server = runtime.settings.server;
      const listen = options.listen ?? server.listen;
      const { host, port } = splitListen(listen);
      if (options.insecureDev && !isLoopbackHost(host)) {
        await closeRuntime(runtime);
        throw new SluiceError('SLUICE_USAGE', `--insecure-dev serves plain HTTP, so it listens on loopback only (127.0.0.1, ::1, localhost), not ${host}`);
      }
      if (!options.insecureDev && !server.tls) {
        await closeRuntime(runtime);
        throw new SluiceError('SLUICE_SETTINGS_INVALID', "serve speaks HTTPS only: set server.tls.cert and server.tls.key in sluice.settings.yaml ('sluice certs init' makes development certificates), or use --insecure-dev on loopback");
      }
      for (const name of Object.keys(server.roles)) {
        if (Object.hasOwn(BUILTIN_ROLES, name)) {
          await closeRuntime(runtime);
          throw new SluiceError('SLUICE_SETTINGS_INVALID', `server.roles.${name}: '${name}' is a built-in role and cannot be redefined; choose another name`);
        }
      }
      // Loaded here, not at CLI start: fastify, jose and prom-client are for serve alone.
      const [{ buildServer }, { routeTable }, { OidcVerifier }, { Registry, collectDefaultMetrics }] = await Promise.all([
        import('../../server/app.ts'),
        import('../../server/route-table.ts'),
        import('../../auth/oidc-verifier.ts'),
        import('prom-client'),
      ]);
      const keyring = await openKeyring(runtime, context, { createRootKey: true });
      await keyring.ensure(runtime.settings.keys.keyId);
      const oidc = server.oidc.length > 0 ? new OidcVerifier(server.oidc) : undefined;
      const progress = new RunProgressHub();
      let clusterQueue: OpenQueue | undefined;
      let clusterSecrets: SecretResolver | undefined;
      if (options.cluster) {
        try {
          clusterSecrets = await openSecretResolver(runtime, context, keyring);
          clusterQueue = await openWorkQueue(runtime, context.cwd, clusterSecrets);
        } catch (error) {
          await clusterSecrets?.close();
          keyring.close();
          await closeRuntime(runtime);
          throw error;
        }
      }
      const runner = new ServerPipelineRunner(runtime, keyring, context, progress, clusterQueue ? { queue: clusterQueue.queue, taskBytes: clusterQueue.settings.taskBytes, ackWaitMs: ackWaitMs(clusterQueue.settings) } : undefined);
      let scheduler: Scheduler | undefined;
      const metrics = new Registry();
      collectDefaultMetrics({ register: metrics, prefix: 'sluice_' });
      const plane: ControlPlane = {
        store: runtime.store,
        audit: runtime.audit,
        authorizer: new Authorizer(runtime.store.access, { customRoles: Object.fromEntries(Object.entries(server.roles).map(([name, role]) => [name, { description: role.description, permissions: role.permissions }])) }),
        pipelines: new PipelineCatalog(server.pipelines, async (file) => {
          const { plan } = await loadPlan(file, context.registry, context.cwd);
          return { pipeline: plan.spec.pipeline, datasets: datasetShapes(plan), ...(plan.spec.schedule !== undefined ? { schedule: plan.spec.schedule } : {}), findings: plan.findings.map((f) => ({ severity: f.severity, rule: f.rule, message: f.message, fix: f.fix, ...(f.field !== undefined ? { field: f.field } : {}) })) };
        }),
        runner,
        progress,
        datasets: new KeyringDatasetReader(keyring, runtime.store),
        eraseSubject: (subject, keyId) => eraseSubject(subject, runtime.store, keyring, keyId),
        rotateKey: (keyId) => keyring.rotate(keyId),
        verifyAudit: async () => await verifyAuditLog(runtime.store, await trustedKeys(keyring)),
        ...(oidc ? { oidc } : {}),
        throttle: new FailureThrottle({ maxFailures: server.authFailures.max, windowMs: server.authFailures.windowSeconds * 1000 }),
        metrics,
        logger: runtime.logger,
        requestsPerMinute: server.requestsPerMinute,
        insecureDev: options.insecureDev === true,
      };
      const tls = options.insecureDev
        ? undefined
        : {
            cert: await readPem(server.tls!.cert, 'server certificate'),
            key: await readPem(server.tls!.key, 'server key'),
            ...(server.tls!.clientCa !== undefined ? { clientCa: await readPem(server.tls!.clientCa, 'client CA') } : {}),
            requireClientCert: server.tls!.requireClientCert,
          };
      const app = await buildServer(plane, { routes: routeTable(), ...(tls ? { tls } : {}) });
      const mode: ServerMode = { insecureDev: options.insecureDev === true, listen, startedAt: new Date().toISOString() };
      if (mode.insecureDev) {
        await writeFile(join(runtime.stateDir, SERVER_MODE_FILE), JSON.stringify(mode), { mode: 0o600 });
        await runtime.audit.append({ time: mode.startedAt, actor: { principal: 'system:serve', method: 'system' }, action: 'config.change', resource: 'server', outcome: 'success', source: 'local', details: { what: 'server.insecure-dev', listen } });
      } else {
        await rm(join(runtime.stateDir, SERVER_MODE_FILE), { force: true });
      }
      let stopping: Promise<void> | undefined;
      const stop = () =>
        (stopping ??= (async () => {
          scheduler?.stop();
          await app.close();
          await runner.stopAll();
          await clusterQueue?.close();
          await clusterSecrets?.close();
          await oidc?.close();
          keyring.close();
          await closeRuntime(runtime);
        })());
      await new Promise<void>((resolve, reject) => {
        const onSignal = (signal: NodeJS.Signals) => {
          println(context.stderr, `${signal}: stopping (runs in flight finish their batch first)`);
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          stop().then(resolve, reject);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        app.listen({ host, port }).then(
          (address) => {
            const url = address.replace(/^http:/, options.insecureDev ? 'http:' : 'https:');
            println(context.stdout, `sluice serve: listening on ${url}/api/v1/ (OpenAPI: ${url}/api/v1/openapi.json)${options.insecureDev ? ' — plain HTTP for development (--insecure-dev)' : ''}`);
            scheduler = new Scheduler({ catalog: plane.pipelines, runner, store: runtime.store, logger: runtime.logger });
            scheduler.start().catch((error: unknown) => runtime.logger.error({ err: error }, 'the scheduler did not start'));
          },
          async (error: unknown) => {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
            await stop();
            reject(ioFailure('SLUICE_IO_FAILED', `cannot listen on ${listen}`, error));
          },
        );
      });
      setExit(EXIT.OK);
    });
}
