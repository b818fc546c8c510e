// A record in flight: a prototype-less object, so field names such as __proto__ are inert data.

/** One record. Created with a null prototype (newRecord); never merged into other objects. */
export type DataRecord = Record<string, unknown>;

/**
 * An empty record. Object.create(null) makes V8 keep an object's properties in a hash table (dictionary mode):
 * every read, write and JSON.stringify of a record then costs a lookup, about half again the time of a record
 * pass through the steps here. An object literal whose prototype is then set to null keeps fast properties,
 * and records filled in the same field order share one hidden class. With no prototype from the start, a field
 * named __proto__ is an own data property like any other.
 */
export function newRecord<T = unknown>(): Record<string, T> {
  return Object.setPrototypeOf({}, null) as Record<string, T>;
}
