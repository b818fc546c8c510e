// A record in flight: a prototype-less object, so field names such as __proto__ are inert data.

/** One record. Created with a null prototype; never merged into other objects. */
export type DataRecord = Record<string, unknown>;
