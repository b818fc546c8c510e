// The benchmark suites by name, each loaded only when it runs: the baselines (redact-pii with the Google Cloud DLP
// client, secretlint, the AWS SDK) would otherwise sit in memory and count in a suite's peak RSS.
import type { BenchSuite } from '../harness.ts';

/** A suite by name; `runsAs` is the sluice command it measures, whose V8 settings its process runs under ("run" when unset). */
export interface SuiteEntry {
  name: string;
  load: () => Promise<BenchSuite>;
  runsAs?: string;
}

export const SUITES: SuiteEntry[] = [
  { name: 'end-to-end', load: async () => (await import('./end-to-end.ts')).endToEndSuite },
  { name: 'encryption', load: async () => (await import('./encryption.ts')).encryptionSuite },
  { name: 'detection', load: async () => (await import('./detection.ts')).detectionSuite },
  { name: 'secret-scanning', load: async () => (await import('./secret-scanning.ts')).secretScanningSuite },
  { name: 'protective-steps', load: async () => (await import('./protective-steps.ts')).protectiveStepsSuite },
  { name: 'audit', load: async () => (await import('./audit.ts')).auditSuite },
  { name: 'postgres', load: async () => (await import('./postgres.ts')).postgresSuite },
  { name: 'nats', load: async () => (await import('./nats.ts')).natsSuite },
  { name: 'api', load: async () => (await import('./api.ts')).apiSuite, runsAs: 'serve' },
  { name: 'cluster', load: async () => (await import('./cluster.ts')).clusterSuite },
];
