// A private SoftHSM2 token for a test process: its own config and token folder, so no global state is touched.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_LIBRARY = '/usr/lib/softhsm/libsofthsm2.so';

/**
 * Why SoftHSM2 cannot be used here, or undefined when it can. Under SLUICE_REQUIRE_SERVICES=1 (CI) a missing
 * SoftHSM2 is a failure, not a skip.
 */
export function softHsmMissing(): string | undefined {
  if (existsSync(SOFTHSM_LIBRARY) && existsSync('/usr/bin/softhsm2-util')) return undefined;
  const why = 'SoftHSM2 is not installed (apt-get install softhsm2)';
  if (process.env.SLUICE_REQUIRE_SERVICES === '1') throw new Error(`${why}, and SLUICE_REQUIRE_SERVICES=1 requires it`);
  return why;
}

/** Initializes a token in a fresh folder and points SOFTHSM2_CONF at it (before the library is first loaded). */
export function createSoftHsmToken(label: string, pin: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', '5678', '--pin', pin], { stdio: 'ignore', env: process.env });
}
