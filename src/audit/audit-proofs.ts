// Proofs over the stored log: inclusion of one event in a tree size, and consistency between two tree sizes, read
// from the stored subtree roots and leaves (O(log n) reads and a few blocks of leaves at any log size).
import { SluiceError } from '../errors.ts';
import type { AuditStore } from './audit-store.ts';
import { proveConsistency, proveInclusion } from './merkle/proofs.ts';
import type { NodeSource } from './merkle/proofs.ts';
import { storedNodeSource } from './merkle/subtree-store.ts';
import { consistencyProofJson, inclusionProofJson } from './merkle/proof-json.ts';
import type { ConsistencyProofJson, InclusionProofJson } from './merkle/proof-json.ts';

/** The log as a NodeSource: leaves from the events' table, stored subtree roots from audit_nodes. */
export function auditNodeSource(store: AuditStore): NodeSource {
  const leafHashes = async (start: number, count: number): Promise<Buffer[]> => {
    const rows = await store.readAuditRows(start + 1, count);
    if (rows.length !== count) throw new SluiceError('SLUICE_AUDIT_VERIFY_FAILED', `the audit log lacks events ${start + 1}–${start + count}`);
    return rows.map((r) => r.leaf);
  };
  return storedNodeSource({ get: (level, index) => store.getAuditNode(level, index) }, { leafHash: async (index) => (await leafHashes(index, 1))[0]!, leafHashes });
}

async function checkSize(store: AuditStore, treeSize: number): Promise<void> {
  const { size } = await store.auditHead();
  if (!Number.isSafeInteger(treeSize) || treeSize < 1 || treeSize > size) {
    throw new SluiceError('SLUICE_USAGE', `the audit log holds ${size} events: a tree size from 1 to ${size} is needed, not ${treeSize}`);
  }
}

/** The inclusion proof of event `seq` in the tree of `treeSize` events, with the event's text. */
export async function proveEvent(store: AuditStore, origin: string, seq: number, treeSize: number): Promise<InclusionProofJson> {
  await checkSize(store, treeSize);
  if (!Number.isSafeInteger(seq) || seq < 1 || seq > treeSize) throw new SluiceError('SLUICE_USAGE', `event ${seq} is not in a tree of ${treeSize} events (1 to ${treeSize})`);
  const [row] = await store.readAuditRows(seq, 1);
  const path = await proveInclusion(auditNodeSource(store), seq - 1, treeSize);
  return inclusionProofJson({ origin, leafIndex: seq - 1, treeSize, leafHash: row!.leaf, leaf: Buffer.from(row!.event, 'utf8'), path });
}

/** The consistency proof that the tree of `size1` events is a prefix of the tree of `size2`. */
export async function proveAppendOnly(store: AuditStore, origin: string, size1: number, size2: number): Promise<ConsistencyProofJson> {
  await checkSize(store, size2);
  if (!Number.isSafeInteger(size1) || size1 < 1 || size1 > size2) throw new SluiceError('SLUICE_USAGE', `a consistency proof needs 1 ≤ older size ≤ newer size (${size2}), not ${size1}`);
  return consistencyProofJson({ origin, treeSize1: size1, treeSize2: size2, path: await proveConsistency(auditNodeSource(store), size1, size2) });
}
