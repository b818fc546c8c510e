// A pipeline thread's entry: TypeScript is loaded through tsx here, as a thread does not inherit the loader
// hooks of the process that starts it.
import { register } from 'tsx/esm/api';

register();
await import('./pipeline-thread.ts');
