#!/usr/bin/env node
// The `sluice` command: loads the TypeScript sources through tsx (also used to load TypeScript pipeline specs).
import { register } from 'tsx/esm/api';
import { applyV8Flags } from './v8-flags.js';

register();
// `sluice cat … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv, {}, { beforeCommand: applyV8Flags });
