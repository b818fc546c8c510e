// The closed catalogue of permissions and the built-in roles that bundle them. Every API route names one
// permission (or says it is public); a principal holds a permission only through a role binding or a
// just-in-time grant, scoped to a namespace. Deny by default: nothing here is granted implicitly.

export const PERMISSIONS = {
  'pipelines:read': 'see pipelines, their specs and plans (metadata only)',
  'pipelines:write': 'create and update pipeline specs',
  'pipelines:run': 'start runs of a pipeline',
  'runs:read': 'see runs and their summaries',
  'datasets:read': "read a pipeline's output, fields above the caller's clearance masked",
  'data:decrypt': "read a pipeline's output in plaintext up to the caller's clearance",
  'data:detokenize': 'turn tokens back into values',
  'keys:read': 'list keyring keys and their versions (never material)',
  'keys:rotate': 'rotate keyring keys',
  'secrets:read': 'list secret metadata (never values)',
  'audit:read': 'query and export the audit log',
  'audit:verify': 'verify the audit log',
  'access:manage': 'create and revoke API keys, bind and unbind roles',
  'grants:request': 'ask for just-in-time access',
  'grants:approve': "approve or deny someone else's just-in-time access request",
  'subjects:erase': "erase a data subject's keys (crypto-shredding)",
  'metrics:read': 'read Prometheus metrics',
  'workers:report': "report a cluster worker's heartbeat, as the worker its client certificate names",
  'workers:read': 'list cluster workers and their last heartbeats',
} as const;

export type Permission = keyof typeof PERMISSIONS;

export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

/** What a role may do, described for people. */
export interface RoleDefinition {
  description: string;
  permissions: readonly Permission[];
  /** Roles only services (mTLS principals) may hold. */
  serviceOnly?: boolean;
}

const everyoneMay: Permission[] = ['grants:request'];

/** The built-in roles (issue #9). Custom roles come from settings and may not reuse these names. */
export const BUILTIN_ROLES: Readonly<Record<string, RoleDefinition>> = {
  admin: { description: 'everything, including access management and approvals', permissions: ALL_PERMISSIONS },
  engineer: {
    description: 'manage and run pipelines',
    permissions: ['pipelines:read', 'pipelines:write', 'pipelines:run', 'runs:read', 'datasets:read', 'keys:read', 'secrets:read', 'workers:read', ...everyoneMay],
  },
  analyst: { description: 'read datasets up to its clearance, protected fields masked', permissions: ['pipelines:read', 'runs:read', 'datasets:read', ...everyoneMay] },
  scientist: { description: 'tokenized data, no detokenize', permissions: ['pipelines:read', 'runs:read', 'datasets:read', ...everyoneMay] },
  auditor: { description: 'read and verify the audit log', permissions: ['pipelines:read', 'runs:read', 'keys:read', 'audit:read', 'audit:verify', 'metrics:read', 'workers:read', ...everyoneMay] },
  viewer: { description: 'metadata only', permissions: ['pipelines:read', 'runs:read', 'keys:read', 'metrics:read', 'workers:read', ...everyoneMay] },
  worker: { description: 'a service that runs pipelines (cluster workers)', permissions: ['pipelines:read', 'pipelines:run', 'runs:read', 'workers:report'], serviceOnly: true },
};

/** Permissions that a just-in-time grant may give: the sensitive ones nobody should hold standing. */
export const GRANTABLE: readonly Permission[] = ['data:decrypt', 'data:detokenize', 'datasets:read', 'keys:rotate', 'subjects:erase', 'audit:read'];

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}
