// `sluice access`: API keys and role bindings from the command line, acting as the local user. This is how the
// first admin is made (no API principal exists yet), so only the owner of the state folder (or root) may use it.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { SluiceError } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { closeRuntime, openRuntime, recordEvent } from '../runtime-setup.ts';
import type { Runtime } from '../runtime-setup.ts';
import { localActor, stateOwnerReadPolicy } from '../../auth/local-principal.ts';
import { createApiKey } from '../../auth/api-key.ts';
import { isPermission } from '../../auth/permissions.ts';
import type { Permission } from '../../auth/permissions.ts';
import { BUILTIN_ROLES } from '../../auth/permissions.ts';
import { CLASSIFICATIONS } from '../../spec/classification.ts';
import type { Classification } from '../../spec/classification.ts';

const NAMESPACE = /^(\*|[a-z0-9][a-z0-9_-]{0,62})$/;

async function asOwner(context: CliContext, work: (runtime: Runtime) => Promise<void>): Promise<void> {
  const runtime = await openRuntime(context);
  try {
    const refusal = stateOwnerReadPolicy(runtime.stateDir)(localActor(), 'access');
    if (refusal !== undefined) throw new SluiceError('SLUICE_SECRET_DENIED', `access management is for the owner of the state folder: ${refusal}`);
    await work(runtime);
  } finally {
    await closeRuntime(runtime);
  }
}

function binding(role: string, namespace: string, clearance: string, runtime: Runtime): { role: string; namespace: string; clearance: Classification } {
  const known = [...Object.keys(BUILTIN_ROLES), ...Object.keys(runtime.settings.server.roles)];
  if (!known.includes(role)) throw new SluiceError('SLUICE_USAGE', `no role '${role}'; roles: ${known.join(', ')}`);
  if (!NAMESPACE.test(namespace)) throw new SluiceError('SLUICE_USAGE', `--namespace takes a namespace (lowercase letters, digits, - and _) or '*', not '${namespace}'`);
  if (!(CLASSIFICATIONS as readonly string[]).includes(clearance)) throw new SluiceError('SLUICE_USAGE', `--clearance takes one of ${CLASSIFICATIONS.join(', ')}, not '${clearance}'`);
  return { role, namespace, clearance: clearance as Classification };
}

export function registerAccess(program: Command, context: CliContext, setExit: (code: number) => void): void {
  const access = program.command('access').description('API keys and role bindings for sluice serve (the state folder owner only)');
  const apikey = access.command('apikey').description('API keys: created here, shown once, stored only as hashes');
  apikey
    .command('create')
    .description('Create an API key bound to a role; the key is printed once and never stored')
    .requiredOption('--name <name>', 'what the key is for')
    .requiredOption('--role <role>', 'the role it gets (admin, engineer, analyst, scientist, auditor, viewer, or a custom role)')
    .option('--namespace <ns>', "the namespace of the binding, or '*' for all", '*')
    .option('--clearance <level>', 'the highest classification it may receive in plaintext', 'internal')
    .option('--scope <permission...>', 'limit the key to these permissions whatever its role', [])
    .option('--expires-days <n>', 'expire after this many days')
    .action(async (options: { name: string; role: string; namespace: string; clearance: string; scope: string[]; expiresDays?: string }) => {
      await asOwner(context, async (runtime) => {
        const bound = binding(options.role, options.namespace, options.clearance, runtime);
        const scopes: Permission[] = options.scope.map((s) => {
          if (!isPermission(s)) throw new SluiceError('SLUICE_USAGE', `--scope '${s}' is not a permission`);
          return s;
        });
        let expiresAt: Date | undefined;
        if (options.expiresDays !== undefined) {
          const days = Number(options.expiresDays);
          if (!Number.isInteger(days) || days < 1 || days > 3650) throw new SluiceError('SLUICE_USAGE', `--expires-days takes a whole number from 1 to 3650, not '${options.expiresDays}'`);
          expiresAt = new Date(Date.now() + days * 86_400_000);
        }
        const actor = localActor().principal;
        const created = createApiKey({ name: options.name, createdBy: actor, scopes, ...(expiresAt ? { expiresAt } : {}) });
        await runtime.store.access.createApiKey(created.record);
        const principal = `apikey:${created.record.id}`;
        await runtime.store.access.bindRole({ principal, ...bound, createdAt: created.record.createdAt, createdBy: actor });
        await recordEvent(runtime, { action: 'config.change', resource: principal, outcome: 'success', details: { what: 'api-key.create', role: bound.role, namespace: bound.namespace, clearance: bound.clearance } });
        println(context.stderr, `created ${principal} (${bound.role} in ${bound.namespace}, clearance ${bound.clearance}). The key is below, once: store it now (e.g. 'sluice secrets set'), it cannot be shown again.`);
        println(context.stdout, created.value);
      });
      setExit(EXIT.OK);
    });
  apikey
    .command('list')
    .description('API keys (never their values)')
    .action(async () => {
      await asOwner(context, async (runtime) => {
        const keys = await runtime.store.access.listApiKeys();
        if (keys.length === 0) println(context.stdout, 'no API keys');
        for (const k of keys) {
          const state = k.revokedAt !== undefined ? `revoked ${k.revokedAt}` : k.expiresAt !== undefined ? `expires ${k.expiresAt}` : 'no expiry';
          println(context.stdout, `apikey:${k.id}  ${k.name}  created ${k.createdAt} by ${k.createdBy}  ${state}${k.scopes.length > 0 ? `  scopes ${k.scopes.join(',')}` : ''}`);
        }
      });
      setExit(EXIT.OK);
    });
  apikey
    .command('revoke')
    .description('Revoke an API key: its next request is refused')
    .argument('<id>', 'the key id (apikey:<id> or <id>)')
    .action(async (id: string) => {
      await asOwner(context, async (runtime) => {
        const keyId = id.replace(/^apikey:/, '');
        if (!(await runtime.store.access.revokeApiKey(keyId, new Date().toISOString()))) throw new SluiceError('SLUICE_USAGE', `no active API key ${keyId}; 'sluice access apikey list' shows them`);
        await recordEvent(runtime, { action: 'config.change', resource: `apikey:${keyId}`, outcome: 'success', details: { what: 'api-key.revoke' } });
        println(context.stdout, `revoked apikey:${keyId}`);
      });
      setExit(EXIT.OK);
    });
  access
    .command('bind')
    .description('Bind a role to a principal (apikey:<id>, oidc:<issuer>#<subject>, mtls:<name>)')
    .argument('<principal>', 'who')
    .argument('<role>', 'which role')
    .option('--namespace <ns>', "the namespace, or '*' for all", '*')
    .option('--clearance <level>', 'the highest classification it may receive in plaintext', 'internal')
    .action(async (principal: string, role: string, options: { namespace: string; clearance: string }) => {
      if (!/^(apikey|oidc|mtls):.+/.test(principal)) throw new SluiceError('SLUICE_USAGE', `a principal is apikey:<id>, oidc:<issuer>#<subject> or mtls:<name>, not '${principal}'`);
      await asOwner(context, async (runtime) => {
        const bound = binding(role, options.namespace, options.clearance, runtime);
        await runtime.store.access.bindRole({ principal, ...bound, createdAt: new Date().toISOString(), createdBy: localActor().principal });
        await recordEvent(runtime, { action: 'config.change', resource: principal, outcome: 'success', details: { what: 'role-binding.create', ...bound } });
        println(context.stdout, `bound ${role} to ${principal} in ${bound.namespace} (clearance ${bound.clearance})`);
      });
      setExit(EXIT.OK);
    });
  access
    .command('unbind')
    .description('Remove a role binding')
    .argument('<principal>', 'who')
    .argument('<role>', 'which role')
    .option('--namespace <ns>', "the namespace, or '*'", '*')
    .action(async (principal: string, role: string, options: { namespace: string }) => {
      await asOwner(context, async (runtime) => {
        if (!(await runtime.store.access.unbindRole(principal, role, options.namespace))) throw new SluiceError('SLUICE_USAGE', `${principal} has no ${role} binding in ${options.namespace}`);
        await recordEvent(runtime, { action: 'config.change', resource: principal, outcome: 'success', details: { what: 'role-binding.remove', role, namespace: options.namespace } });
        println(context.stdout, `unbound ${role} from ${principal} in ${options.namespace}`);
      });
      setExit(EXIT.OK);
    });
  access
    .command('bindings')
    .description('List role bindings')
    .option('--principal <p>', 'only this principal')
    .action(async (options: { principal?: string }) => {
      await asOwner(context, async (runtime) => {
        const bindings = await runtime.store.access.listBindings(options.principal);
        if (bindings.length === 0) println(context.stdout, 'no role bindings');
        for (const b of bindings) println(context.stdout, `${b.principal}  ${b.role}  ${b.namespace}  ${b.clearance}`);
      });
      setExit(EXIT.OK);
    });
}
