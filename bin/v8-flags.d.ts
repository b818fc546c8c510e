// Types for v8-flags.js, which bin/sluice.js loads before TypeScript can be: see there.
export declare const V8_DEFAULTS_ENV: string;
export declare const THROUGHPUT_V8_FLAGS: readonly string[];
export declare function v8FlagsFor(verb: string, env?: NodeJS.ProcessEnv): readonly string[];
export declare function applyV8Flags(verb: string): void;
