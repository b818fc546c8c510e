// A secret scan as a SARIF 2.1.0 log (OASIS SARIF v2.1.0), with every property GitHub code scanning requires
// ("SARIF support for code scanning"): $schema, version, runs; tool.driver.name and rules with id,
// shortDescription, fullDescription and help; results with message, locations and partialFingerprints; and a
// region with startLine, startColumn, endLine and endColumn. Paths are relative to the scanned folder, named by
// the SRCROOT base id, so the results show inline in the repository that folder is. Accepted findings are results
// too, with their suppressions (§3.35): where the acceptance is written, and the reason given for it.
import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FolderScan, SecretFinding, SkipReason, Suppression } from './scan-files.ts';
import { SECRET_FIX, SECRET_RULES } from './rule-catalogue.ts';
import type { SecretRuleInfo } from './rule-catalogue.ts';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const SARIF_VERSION = '2.1.0';
/** The base id relative artifact URIs resolve against: the scanned folder. */
export const SRCROOT = 'SRCROOT';
const INFORMATION_URI = 'https://sluice.dev';

interface SarifMessage {
  text: string;
  markdown?: string;
}

interface SarifArtifactLocation {
  uri: string;
  uriBaseId?: string;
}

interface SarifRegion {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

interface SarifLocation {
  physicalLocation: { artifactLocation: SarifArtifactLocation; region?: SarifRegion };
}

/** A location by line only: where an acceptance is written, or an ignore-file entry. */
interface SarifLineLocation {
  physicalLocation: { artifactLocation: SarifArtifactLocation; region?: { startLine: number } };
}

/** SARIF 2.1.0 §3.35: the result was accepted, in the file itself (`inSource`) or outside it (`external`). */
export interface SarifSuppression {
  kind: 'inSource' | 'external';
  status: 'accepted';
  justification?: string;
  location: SarifLineLocation;
}

export interface SarifRule {
  id: string;
  name: string;
  shortDescription: SarifMessage;
  fullDescription: SarifMessage;
  help: SarifMessage;
  defaultConfiguration: { level: 'error' };
  properties: { tags: string[]; precision: 'high' | 'medium'; 'security-severity': string };
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: 'error';
  message: SarifMessage;
  locations: [SarifLocation];
  partialFingerprints: { primaryLocationLineHash: string };
  suppressions?: SarifSuppression[];
}

interface SarifNotification {
  level: 'note' | 'warning';
  message: SarifMessage;
  locations: SarifLineLocation[];
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: [
    {
      tool: { driver: { name: string; informationUri: string; semanticVersion: string; rules: SarifRule[] } };
      originalUriBaseIds: Record<string, { uri: string; description: SarifMessage }>;
      columnKind: 'utf16CodeUnits';
      invocations: [{ executionSuccessful: boolean; toolExecutionNotifications: SarifNotification[] }];
      results: SarifResult[];
    },
  ];
}

/** Sluice's version, from its package.json. */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return manifest.version ?? '0.0.0';
}

/** A relative path as a relative URI reference (RFC 3986 §4.2): each segment percent-encoded, `/` kept. */
export function relativeUri(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

function descriptor(rule: SecretRuleInfo): SarifRule {
  const where = rule.sources.length > 0 ? ` Format: ${rule.sources.join('; ')}.` : '';
  const help = `${rule.description}${where} Fix: ${SECRET_FIX}, and rotate the credential if it was ever committed or shared.`;
  return {
    id: rule.id,
    name: rule.id.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(''),
    shortDescription: { text: `${rule.title} written in clear text` },
    fullDescription: { text: rule.description },
    help: { text: help, markdown: help.replace(/(env|file|vault|aws-sm|sluice):\/\//g, '`$&`') },
    defaultConfiguration: { level: 'error' },
    properties: {
      tags: ['security', 'secret', rule.family],
      // A name-and-randomness judgement is less certain than a documented prefix or checksum.
      precision: rule.family === 'generic' ? 'medium' : 'high',
      'security-severity': '8.0',
    },
  };
}

const SKIP_TEXT: Record<SkipReason, string> = {
  binary: 'not scanned: a binary file',
  'too-large': 'not scanned: larger than the size limit',
  'outside-root': 'not followed: a symbolic link that leads out of the scanned folder',
  unreadable: 'not scanned: the file could not be read',
};

/** Code-unit order: the same on every machine and locale. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The scan as a SARIF log. Deterministic for a given scan and folder. */
export function secretScanSarif(scan: FolderScan, options: { version?: string } = {}): SarifLog {
  const rules = SECRET_RULES.map(descriptor);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const artifact = (file: string): SarifArtifactLocation => ({ uri: relativeUri(file), uriBaseId: SRCROOT });
  // The ignore file by SRCROOT when it lies in the scanned folder (so a viewer opens it in the repository), else absolute.
  const ignoreRel = scan.ignoreFile === undefined ? undefined : relative(scan.root, scan.ignoreFile.path).split('\\').join('/');
  const ignoreArtifact = (): SarifArtifactLocation =>
    ignoreRel === undefined || ignoreRel.startsWith('../') || isAbsolute(ignoreRel) ? { uri: pathToFileURL(scan.ignoreFile?.path ?? scan.root).href } : artifact(ignoreRel);
  const suppression = (f: SecretFinding, s: Suppression): SarifSuppression =>
    s.kind === 'inSource'
      ? { kind: 'inSource', status: 'accepted', location: { physicalLocation: { artifactLocation: artifact(f.file), region: { startLine: s.marker === 'sluice:allow' ? f.line : f.line - 1 } } } }
      : { kind: 'external', status: 'accepted', ...(s.justification === undefined ? {} : { justification: s.justification }), location: { physicalLocation: { artifactLocation: ignoreArtifact(), region: { startLine: s.line } } } };
  const all: SecretFinding[] = [...scan.findings, ...scan.suppressed].sort((a, b) => compare(a.file, b.file) || a.line - b.line || a.column - b.column || compare(a.ruleId, b.ruleId));
  const results: SarifResult[] = all.map((f) => ({
    ruleId: f.ruleId,
    ruleIndex: index.get(f.ruleId) ?? -1,
    level: 'error',
    message: { text: `${f.message}. Fix: ${f.fix}.` },
    locations: [{ physicalLocation: { artifactLocation: artifact(f.file), region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn } } }],
    partialFingerprints: { primaryLocationLineHash: f.fingerprint },
    ...(f.suppression === undefined ? {} : { suppressions: [suppression(f, f.suppression)] }),
  }));
  // Binary files are many and expected; the others may hide a credential, so they are told as warnings.
  const notifications: SarifNotification[] = scan.skipped.map((s) => ({
    level: s.reason === 'binary' ? 'note' : 'warning',
    message: { text: SKIP_TEXT[s.reason] },
    locations: [{ physicalLocation: { artifactLocation: artifact(s.file) } }],
  }));
  // An ignore-file entry that matched nothing is a note: the file should lose it, but nothing is wrong.
  for (const s of scan.stale) {
    const what = s.kind === 'fingerprint' ? 'no finding has this fingerprint' : 'this glob matched no path';
    notifications.push({ level: 'note', message: { text: `stale entry '${s.entry}' in ${s.ignoreFile}: ${what}; remove it` }, locations: [{ physicalLocation: { artifactLocation: ignoreArtifact(), region: { startLine: s.line } } }] });
  }
  // SARIF 2.1.0, run.originalUriBaseIds: a base URI is absolute and ends with a slash.
  const rootUri = pathToFileURL(scan.root).href.replace(/\/?$/, '/');
  return {
    $schema: SARIF_SCHEMA,
    version: SARIF_VERSION,
    runs: [
      {
        tool: { driver: { name: 'sluice', informationUri: INFORMATION_URI, semanticVersion: options.version ?? packageVersion(), rules } },
        originalUriBaseIds: { [SRCROOT]: { uri: rootUri, description: { text: 'The scanned folder.' } } },
        columnKind: 'utf16CodeUnits',
        invocations: [{ executionSuccessful: true, toolExecutionNotifications: notifications }],
        results,
      },
    ],
  };
}
