#!/usr/bin/env node
// The `sluice` command: loads the TypeScript sources through tsx (also used to load TypeScript pipeline specs).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
