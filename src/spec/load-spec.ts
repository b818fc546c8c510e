// Loads a spec file (YAML, or TypeScript with a default export), validates it and returns it with its hash.
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { SluiceError } from '../errors.ts';
import type { ComponentRegistry } from './registry.ts';
import type { Locator, Location } from './location.ts';
import { fileOnlyLocator, formatLocation, formatPath } from './location.ts';
import { parseYamlSpec } from './yaml-document.ts';
import { validateSpec } from './validate.ts';
import type { ValidationResult } from './validate.ts';

/** A spec problem ready to print: where, which path, what. */
export interface LocatedIssue {
  location: Location;
  path: string;
  message: string;
}

export interface LoadedSpec {
  file: string;
  /** sha256 of the file text. */
  hash: string;
  /** The file text, as read. */
  text: string;
  result: ValidationResult;
  /** Maps spec paths to places in the file. */
  locator: Locator;
  /** Every problem, located. Empty when `result.spec` is set. */
  issues: LocatedIssue[];
}

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.js', '.mjs']);

export function formatIssue(issue: LocatedIssue): string {
  return `${formatLocation(issue.location)}  ${issue.path}: ${issue.message}`;
}

async function importSpec(file: string): Promise<unknown> {
  try {
    // tsImport loads the file through tsx from any folder; a .ts file in a folder whose package.json does not say
    // "type": "module" (a spec folder often has none) is still compiled as CommonJS.
    type Exports = { default?: unknown; pipeline?: unknown; __esModule?: unknown };
    const module = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Exports;
    // A spec compiled as CommonJS arrives wrapped once more: { default: module.exports }, and module.exports (marked
    // __esModule by the compiler) holds the real `default` and `pipeline` exports.
    const exports = typeof module.default === 'object' && module.default !== null && (module.default as Exports).__esModule === true ? (module.default as Exports) : module;
    return exports.default ?? exports.pipeline;
  } catch (error) {
    if (error instanceof SluiceError) throw error;
    // The first line says what failed; the rest (a require stack, a code frame) is noise for a spec author.
    const first = ((error as Error).message ?? String(error)).split('\n')[0];
    const hint = (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' || (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND'
      ? " (to import 'sluice' from a spec outside this repository, run 'npm link' in the repository and 'npm link sluice' in the spec's folder)"
      : '';
    throw new SluiceError('SLUICE_SPEC_INVALID', `${file}: the TypeScript spec failed to load: ${first}${hint}`, { cause: error });
  }
}

/** Reads and validates `path` (relative to `cwd`). Throws only when the file cannot be read; spec problems come back as issues. */
export async function loadSpec(path: string, registry: ComponentRegistry, cwd = process.cwd()): Promise<LoadedSpec> {
  const file = resolve(cwd, path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new SluiceError('SLUICE_SPEC_UNREADABLE', `cannot read the pipeline spec ${path}: ${why}. Pass the spec's path, or run 'sluice init' to create one`, { cause: error });
  }
  const hash = createHash('sha256').update(text).digest('hex');
  let document: unknown;
  let locator: Locator;
  const issues: LocatedIssue[] = [];
  if (TS_EXTENSIONS.has(extname(file))) {
    document = await importSpec(file);
    locator = fileOnlyLocator(path);
  } else {
    const parsed = parseYamlSpec(text, path);
    locator = parsed.locator;
    for (const issue of parsed.issues) issues.push({ location: issue.location ?? { file: path }, path: formatPath(issue.path), message: issue.message });
    if (issues.length > 0) return { file, hash, text, locator, result: { issues: [], partial: { steps: [] } }, issues };
    document = parsed.data;
  }
  const result = validateSpec(document, registry, locator, dirname(file));
  for (const issue of result.issues) issues.push({ location: locator.locate(issue.path), path: formatPath(issue.path), message: issue.message });
  return { file, hash, text, locator, result, issues };
}
