// Types for v8-flags.js, which bin/sluice.js loads before TypeScript can be: see there.
export declare const V8_FLAGS: readonly string[];
export declare function applyV8Flags(): void;
