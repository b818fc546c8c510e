// Opens what a command that touches state needs: settings, logger, state store.
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { CliContext } from './context.ts';
import { loadSettings } from './settings.ts';
import { createLogger } from './logger.ts';
import { SqliteStateStore } from '../store/sqlite/sqlite-state-store.ts';
import type { StateStore } from '../store/state-store.ts';

export interface Runtime {
  stateDir: string;
  logger: Logger;
  store: StateStore;
}

export async function openRuntime(context: CliContext): Promise<Runtime> {
  const settings = await loadSettings(context.cwd);
  const stateDir = context.global.stateDir ? resolve(context.cwd, context.global.stateDir) : settings.stateDir;
  // On a terminal, logs go to a file so the human output stays readable; elsewhere (CI, services) to stderr.
  const logFile = (context.global.logFile !== undefined ? resolve(context.cwd, context.global.logFile) : undefined) ?? settings.log.file ?? (context.stderr.isTTY ? join(stateDir, 'logs', 'sluice.log') : undefined);
  const logger = createLogger({ level: context.global.logLevel ?? settings.log.level, ...(logFile !== undefined ? { file: logFile } : {}) });
  const store = new SqliteStateStore(join(stateDir, 'state.db'));
  return { stateDir, logger, store };
}
