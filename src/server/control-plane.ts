// What the control plane's routes work with, behind interfaces: the composition root (`sluice serve`) builds it
// from the state folder, the keyring and the settings; tests build it with an in-memory store.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { StateStore } from '../store/state-store.ts';
import type { AuditRecorder } from '../audit/audit-log.ts';
import type { AuditVerification } from '../audit/verify-log.ts';
import type { Authorizer } from '../auth/authorizer.ts';
import type { FailureThrottle } from '../auth/failure-throttle.ts';
import type { OidcIdentity } from '../auth/oidc-verifier.ts';
import type { Principal } from '../auth/principal.ts';
import type { PipelineCatalog } from './pipeline-catalog.ts';
import type { CatalogEntry } from './pipeline-catalog.ts';
import type { RunProgressHub } from './run-progress.ts';
import type { DatasetReader } from './keyring-dataset-reader.ts';
import type { ErasureReceipt } from '../crypto/subjects/subject-keys.ts';

/** Starts runs of catalogued pipelines in this process. */
export interface PipelineRunner {
  /** Starts a run and resolves with its id once claimed; the run goes on in the background. */
  start(entry: CatalogEntry, by: Principal, requestId: string): Promise<{ runId: string }>;
  /** Runs still going, by pipeline name. */
  active(): ReadonlySet<string>;
  /** Stops every run after its batch in flight and waits for them. */
  stopAll(): Promise<void>;
}

export interface ControlPlane {
  store: StateStore;
  audit: AuditRecorder;
  authorizer: Authorizer;
  pipelines: PipelineCatalog;
  runner: PipelineRunner;
  /** Live progress of the runs this server started (the runner feeds it). */
  progress: RunProgressHub;
  /** Reads what pipelines wrote at rest; undefined when the server runs without a keyring. */
  datasets?: DatasetReader;
  /** Erases a data subject (crypto-shredding) under a dataset key; undefined without a keyring. */
  eraseSubject?: (subjectId: string, keyId: string) => Promise<ErasureReceipt>;
  /** Rotates a keyring key; undefined when the server runs without a keyring. */
  rotateKey?: (keyId: string) => Promise<number>;
  verifyAudit(): Promise<AuditVerification>;
  /** Verifies OIDC access tokens; undefined when no issuer is configured. */
  oidc?: { verify(token: string): Promise<OidcIdentity> };
  throttle: FailureThrottle;
  metrics: Registry;
  logger: Logger;
  /** Requests allowed per principal per minute (default 1200). */
  requestsPerMinute?: number;
  /** Served over plain HTTP on loopback (--insecure-dev): no HSTS. Authentication is still required. */
  insecureDev?: boolean;
  now?: () => Date;
}
