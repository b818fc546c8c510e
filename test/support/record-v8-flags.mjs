// Preloaded (node --import) by test/v8-flags.test.ts: records every V8 flag the process sets at run time on
// stderr as "v8-flag <flag>", then sets it as asked.
import { syncBuiltinESMExports } from 'node:module';
import v8 from 'node:v8';

const setFlags = v8.setFlagsFromString;
v8.setFlagsFromString = (flags) => {
  process.stderr.write(`v8-flag ${flags}\n`);
  setFlags(flags);
};
// ES modules that import { setFlagsFromString } from 'node:v8' see the wrapper too.
syncBuiltinESMExports();
