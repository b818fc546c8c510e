// Parses one line of JSON Lines into a record: a JSON object with no prototype, or the reason it is not one.

/** A JSON line as a prototype-less record, or the reason it is not one. */
export function parseJsonRecord(text: string): object | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not valid JSON (${jsonProblem(error)})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return `the line holds ${what}, not a JSON object; write one object per line`;
  }
  // Records carry no prototype (see runtime/record.ts), so a field named constructor or toString is only
  // data. JSON.parse already made a "__proto__" key an own property (ECMA-262 §25.5.1, CreateDataProperty);
  // setPrototypeOf keeps V8's fast properties, where copying into Object.create(null) would not.
  Object.setPrototypeOf(value, null);
  return value;
}

/** JSON.parse's complaint without the snippet of input V8 quotes, which may be personal data. */
function jsonProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const at = / in JSON at position (\d+)/.exec(message);
  if (at) return `${message.slice(0, at.index)} at character ${Number(at[1]) + 1}`;
  if (message.startsWith('Unexpected end of JSON input')) return 'it ends too early';
  return 'unexpected character';
}
