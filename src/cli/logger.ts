// Structured JSON logs (pino): to a file when one is set, else to stderr.
import { pino } from 'pino';
import type { Logger } from 'pino';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ioFailure } from '../errors.ts';
import { redactions } from '../secrets/redaction.ts';

/** Every log line passes the redaction registry on its way out: a resolved secret never reaches a log. */
const hooks = { streamWrite: (line: string) => redactions.scrub(line) };

export function createLogger(options: { file?: string; level: string }): Logger {
  if (options.file !== undefined) {
    try {
      mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
      // Synchronous writes: a crash must not lose the lines that explain it.
      return pino({ level: options.level, base: { pid: process.pid }, hooks }, pino.destination({ dest: options.file, sync: true, mode: 0o600 }));
    } catch (error) {
      throw ioFailure('SLUICE_IO_FAILED', `the log file ${options.file} cannot be written`, error);
    }
  }
  return pino({ level: options.level, base: { pid: process.pid }, hooks }, pino.destination({ fd: 2, sync: true }));
}
