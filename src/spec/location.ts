// Where something is in a spec: a path into the document and, when known, file:line:column.

/** A path into a spec document, e.g. ['sinks', 0, 'file', 'clearance']. */
export type SpecPath = readonly (string | number)[];

/** A place in a spec file. Line and column are 1-based. */
export interface Location {
  file: string;
  line?: number;
  column?: number;
}

/** Finds where a path sits in the document a spec came from. */
export interface Locator {
  readonly file: string;
  locate(path: SpecPath): Location;
}

/** `sinks[0].file.clearance` */
export function formatPath(path: SpecPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? '(top level)' : out;
}

/** `pipeline.yaml:12:5` */
export function formatLocation(location: Location): string {
  if (location.line === undefined) return location.file;
  return `${location.file}:${location.line}:${location.column ?? 1}`;
}

/** A locator for specs without source positions (TypeScript specs): the file and nothing finer. */
export function fileOnlyLocator(file: string): Locator {
  return { file, locate: () => ({ file }) };
}
