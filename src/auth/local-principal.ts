// The principal behind the command line in embedded mode: the operating-system user running sluice. The
// state folder is theirs (mode 0700), so the local read policy lets its owner (and root) read stored secrets
// and refuses every other user. The control plane replaces this with OIDC, API keys and RBAC.
import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { AuditActor } from '../audit/audit-event.ts';
import type { ReadPolicy } from '../secrets/store/builtin-store.ts';

/** The local user as an audit actor: "os:alice(1000)". */
export function localActor(): AuditActor {
  const { username, uid } = userInfo();
  return { principal: `os:${username}(${uid})`, method: 'os-user' };
}

/** Reads allowed to the owner of the state folder and to root; `uid` is the caller's (injectable for tests). */
export function stateOwnerReadPolicy(stateDir: string, uid: number = process.getuid?.() ?? -1): ReadPolicy {
  return () => {
    if (uid === 0) return undefined;
    let owner: number;
    try {
      owner = statSync(stateDir).uid;
    } catch {
      return `the state folder ${stateDir} cannot be read`;
    }
    return owner === uid ? undefined : `only the owner of ${stateDir} (uid ${owner}) may read stored secrets, not uid ${uid}`;
  };
}
