// The documented exit codes of `sluice`, and which errors map to which.
import type { ErrorCode } from '../errors.ts';

export const EXIT = {
  /** Everything went well. */
  OK: 0,
  /** `check` found errors, or a run failed. */
  FAILED: 1,
  /** The command line, a spec or the settings are wrong: nothing was run. */
  USAGE: 2,
  /** Interrupted by SIGINT or SIGTERM after committing the batch in flight. */
  INTERRUPTED: 130,
} as const;

const USAGE_ERRORS: ReadonlySet<ErrorCode> = new Set([
  'SLUICE_USAGE',
  'SLUICE_SPEC_UNREADABLE',
  'SLUICE_SPEC_INVALID',
  'SLUICE_SETTINGS_INVALID',
  'SLUICE_INIT_EXISTS',
  'SLUICE_SECRET_REFERENCE',
]);

export function exitCodeFor(code: ErrorCode): number {
  if (code === 'SLUICE_RUN_INTERRUPTED') return EXIT.INTERRUPTED;
  return USAGE_ERRORS.has(code) ? EXIT.USAGE : EXIT.FAILED;
}

export const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    check found errors, or the run failed (committed batches are kept; run again to resume)
  2    usage or configuration error (bad arguments, spec or settings): nothing ran
  130  interrupted (SIGINT/SIGTERM) after committing the batch in flight; run again to resume`;
