// Deny-by-default authorization: a principal holds a permission in a namespace only through a role binding
// (namespace or '*') whose role has it, or an approved, unexpired just-in-time grant. Clearance comes only from
// bindings: a grant lends a permission, never a higher clearance.
import type { Classification } from '../spec/classification.ts';
import { maxClassification } from '../spec/classification.ts';
import type { AccessStore, RoleBinding } from './access-store.ts';
import type { Permission, RoleDefinition } from './permissions.ts';
import { BUILTIN_ROLES } from './permissions.ts';
import type { Principal } from './principal.ts';

/** Every namespace: in a binding, it covers them all. */
export const ALL_NAMESPACES = '*';

export interface Decision {
  allowed: boolean;
  /** The highest classification the principal may receive in plaintext there ('public' when unbound). */
  clearance: Classification;
  /** What allowed it: "role:engineer@sales" or "grant:<id>". */
  via?: string;
}

export class Authorizer {
  readonly #store: AccessStore;
  readonly #roles: Readonly<Record<string, RoleDefinition>>;
  readonly #now: () => Date;

  constructor(store: AccessStore, options: { customRoles?: Readonly<Record<string, RoleDefinition>>; now?: () => Date } = {}) {
    this.#store = store;
    this.#roles = { ...options.customRoles, ...BUILTIN_ROLES };
    this.#now = options.now ?? (() => new Date());
  }

  /** The roles known: built in and custom. */
  get roles(): Readonly<Record<string, RoleDefinition>> {
    return this.#roles;
  }

  #usable(principal: Principal, binding: RoleBinding): RoleDefinition | undefined {
    const role = Object.hasOwn(this.#roles, binding.role) ? this.#roles[binding.role] : undefined;
    if (!role) return undefined;
    if (role.serviceOnly && principal.kind !== 'service') return undefined;
    return role;
  }

  /** Whether `principal` may use `permission` in `namespace`, and up to which clearance. */
  async decide(principal: Principal, permission: Permission, namespace: string): Promise<Decision> {
    if (principal.scopes.length > 0 && !principal.scopes.includes(permission)) return { allowed: false, clearance: 'public' };
    const bindings = (await this.#store.listBindings(principal.id)).filter((b) => b.namespace === ALL_NAMESPACES || b.namespace === namespace);
    let clearance: Classification = 'public';
    let via: string | undefined;
    for (const binding of bindings) {
      const role = this.#usable(principal, binding);
      if (!role) continue;
      clearance = maxClassification(clearance, binding.clearance);
      if (via === undefined && role.permissions.includes(permission)) via = `role:${binding.role}@${binding.namespace}`;
    }
    if (via === undefined) {
      const grant = await this.#activeGrant(principal, permission, namespace);
      if (grant) via = `grant:${grant}`;
    }
    return via === undefined ? { allowed: false, clearance } : { allowed: true, clearance, via };
  }

  async #activeGrant(principal: Principal, permission: Permission, namespace: string): Promise<string | undefined> {
    const now = this.#now().getTime();
    const grants = await this.#store.listGrants({ principal: principal.id, status: 'approved' });
    const grant = grants.find((g) => g.permission === permission && (g.namespace === namespace || g.namespace === ALL_NAMESPACES) && g.expiresAt !== undefined && Date.parse(g.expiresAt) > now);
    return grant?.id;
  }

  /**
   * The namespaces where `principal` holds `permission`: '*' when a binding or grant covers all of them. Lists use
   * it to show only what the caller may see.
   */
  async namespacesWith(principal: Principal, permission: Permission): Promise<ReadonlySet<string>> {
    if (principal.scopes.length > 0 && !principal.scopes.includes(permission)) return new Set();
    const namespaces = new Set<string>();
    for (const binding of await this.#store.listBindings(principal.id)) {
      if (this.#usable(principal, binding)?.permissions.includes(permission)) namespaces.add(binding.namespace);
    }
    const now = this.#now().getTime();
    for (const grant of await this.#store.listGrants({ principal: principal.id, status: 'approved' })) {
      if (grant.permission === permission && grant.expiresAt !== undefined && Date.parse(grant.expiresAt) > now) namespaces.add(grant.namespace);
    }
    return namespaces;
  }
}

/** Whether a set from namespacesWith covers `namespace`. */
export function covers(namespaces: ReadonlySet<string>, namespace: string): boolean {
  return namespaces.has(ALL_NAMESPACES) || namespaces.has(namespace);
}
