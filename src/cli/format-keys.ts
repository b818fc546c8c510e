// Human text and JSON rows for `sluice keys list`, here or over --server: versions and states, never material.

/** A key version as `keys list` shows it. */
export interface KeyRow {
  key: string;
  version: number;
  state: string;
  provider: string;
  created: string;
  rotationDays: number | null;
}

export function formatKeyRows(rows: readonly KeyRow[]): string {
  if (rows.length === 0) return 'no keys yet (sluice run creates the default key)';
  return rows.map((r) => `${r.key.padEnd(20)} v${String(r.version).padEnd(4)} ${r.state.padEnd(10)} ${r.provider.padEnd(8)} ${r.created}`).join('\n');
}

/** The message of a rotation. */
export function rotatedMessage(keyId: string, version: number): string {
  return `key '${keyId}' version ${version} is now primary; older versions decrypt only`;
}
