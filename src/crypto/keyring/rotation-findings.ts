// Findings about the keyring for `sluice check`: keys whose primary version is older than their rotation period.
import type { Finding } from '../../plan/findings.ts';
import type { KeyVersionRecord } from './key-store.ts';

const DAY_MS = 86_400_000;

export function rotationFindings(versions: readonly KeyVersionRecord[], settingsFile: string, now: Date = new Date()): Finding[] {
  const findings: Finding[] = [];
  for (const primary of versions.filter((v) => v.state === 'primary' && v.rotationDays !== undefined)) {
    const age = Math.floor((now.getTime() - Date.parse(primary.createdAt)) / DAY_MS);
    if (age > (primary.rotationDays ?? Infinity)) {
      findings.push({
        rule: 'SLC201',
        severity: 'warning',
        message: `key '${primary.keyId}' version ${primary.version} is ${age} days old; its rotation period is ${primary.rotationDays} days`,
        location: { file: settingsFile },
        fix: `run 'sluice keys rotate ${primary.keyId}', then 'sluice keys rewrap ${primary.keyId}'`,
      });
    }
  }
  return findings;
}
