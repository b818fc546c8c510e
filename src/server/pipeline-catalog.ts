// The pipelines a server offers: spec files in one folder, each subfolder a namespace (`pipelines/sales/x.yaml`
// is pipeline x in namespace sales; files at the top are in namespace `default`). Files stay the source of truth,
// so `sluice run` and the API run the same specs; writes through the API are validated first, then renamed into
// place atomically.
import { readdir, readFile, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { SluiceError, isSluiceError } from '../errors.ts';
import type { DatasetShape } from './dataset-shape.ts';

/** A catalogued pipeline. `name` is the spec's `pipeline` and the file name without its extension. */
export interface CatalogEntry {
  namespace: string;
  name: string;
  file: string;
}

/** Plans a spec file: the composition root passes the CLI's loader. */
export type SpecChecker = (file: string) => Promise<{
  pipeline: string;
  schedule?: string;
  findings: readonly { severity: string; rule: string; message: string; field?: string; fix: string }[];
  /** What each sink holds (datasetShapes of the plan). */
  datasets?: readonly DatasetShape[];
}>;

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const DEFAULT_NAMESPACE = 'default';

/** Whether a namespace or pipeline name is well-formed (lowercase letters, digits, '-' and '_'; 63 at most). */
export function isCatalogName(value: string): boolean {
  return NAME.test(value);
}

export class PipelineCatalog {
  readonly #dir: string;
  readonly #check: SpecChecker;
  /** Plans of specs that loaded, by file, with the hash of the text they were made from. */
  readonly #checked = new Map<string, { specHash: string; result: Awaited<ReturnType<SpecChecker>> }>();

  constructor(dir: string, check: SpecChecker) {
    this.#dir = dir;
    this.#check = check;
  }

  /** Every pipeline, by namespace then name. Files whose names are not catalog names are skipped. */
  async list(): Promise<CatalogEntry[]> {
    const entries: CatalogEntry[] = [];
    const specsIn = async (dir: string, namespace: string) => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      return names.flatMap((file) => {
        const match = /^(.*)\.ya?ml$/.exec(file);
        return match?.[1] !== undefined && isCatalogName(match[1]) ? [{ namespace, name: match[1], file: join(dir, file) }] : [];
      });
    };
    entries.push(...(await specsIn(this.#dir, DEFAULT_NAMESPACE)));
    let folders: Dirent[] = [];
    try {
      folders = await readdir(this.#dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const folder of folders) {
      if (folder.isDirectory() && isCatalogName(folder.name) && folder.name !== DEFAULT_NAMESPACE) entries.push(...(await specsIn(join(this.#dir, folder.name), folder.name)));
    }
    // Runs are kept by pipeline name, so a name in two namespaces (files placed by hand; PUT refuses it) would
    // show each namespace the other's runs: such pipelines are left out until one is renamed.
    const namespacesOf = new Map<string, number>();
    for (const e of entries) namespacesOf.set(e.name, (namespacesOf.get(e.name) ?? 0) + 1);
    return entries.filter((e) => namespacesOf.get(e.name) === 1).sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  async get(namespace: string, name: string): Promise<CatalogEntry | undefined> {
    return (await this.list()).find((e) => e.namespace === namespace && e.name === name);
  }

  async text(entry: CatalogEntry): Promise<{ text: string; specHash: string }> {
    const text = await readFile(entry.file, 'utf8');
    return { text, specHash: createHash('sha256').update(text).digest('hex') };
  }

  /**
   * Plans a catalogued spec. The result depends only on the spec's text, so it is kept per file and text hash:
   * listing datasets and the scheduler's minute refresh plan each spec once, not once per request.
   */
  async check(entry: CatalogEntry): ReturnType<SpecChecker> {
    const { specHash } = await this.text(entry);
    const cached = this.#checked.get(entry.file);
    if (cached?.specHash === specHash) return cached.result;
    const result = await this.#checkAs(entry.file, `${entry.namespace}/${entry.name}.yaml`);
    // Kept only if the file did not change while it was planned: the result must belong to that hash.
    if ((await this.text(entry)).specHash === specHash) this.#checked.set(entry.file, { specHash, result });
    return result;
  }

  /** Checks `file`, naming it `shown` in every error: callers of the API never see the server's paths. */
  async #checkAs(file: string, shown: string): ReturnType<SpecChecker> {
    const hide = (text: string) => text.split(file).join(shown).split(dirname(file)).join(dirname(shown));
    let checked: Awaited<ReturnType<SpecChecker>>;
    try {
      checked = await this.#check(file);
    } catch (error) {
      if (!isSluiceError(error)) throw error;
      throw new SluiceError(error.code, hide(error.message), { details: error.details.map(hide) });
    }
    return { ...checked, findings: checked.findings.map((f) => ({ ...f, message: hide(f.message), fix: hide(f.fix) })) };
  }

  /**
   * Writes a spec (create or replace) after checking it in a temporary file: a spec that does not load, names
   * another pipeline, or whose name another namespace already uses is refused and nothing changes.
   */
  async write(namespace: string, name: string, text: string): Promise<{ created: boolean; entry: CatalogEntry; checked: Awaited<ReturnType<SpecChecker>> }> {
    if (!isCatalogName(namespace) || !isCatalogName(name)) throw new SluiceError('SLUICE_REQUEST_INVALID', 'namespaces and pipeline names are 1–63 lowercase letters, digits, - and _');
    const existing = await this.list();
    // Pipeline names are unique on a server (runs are kept by name), so this answer tells a writer that the name
    // is taken elsewhere, though not where: the one fact about other namespaces the API gives away.
    const clash = existing.find((e) => e.name === name && e.namespace !== namespace);
    if (clash) throw new SluiceError('SLUICE_CONFLICT', `a pipeline named '${name}' already exists in another namespace; pipeline names are unique on a server (runs are kept by name)`);
    const dir = namespace === DEFAULT_NAMESPACE ? this.#dir : join(this.#dir, namespace);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${name}.yaml`);
    const temp = join(dir, `.${name}.${randomUUID()}.tmp.yaml`);
    await writeFile(temp, text, { mode: 0o600, flag: 'wx' });
    try {
      const checked = await this.#checkAs(temp, `${namespace}/${name}.yaml`);
      if (checked.pipeline !== name) throw new SluiceError('SLUICE_REQUEST_INVALID', `the spec names pipeline '${checked.pipeline}', but it is being written as '${name}'; the two must match`);
      const created = !existing.some((e) => e.namespace === namespace && e.name === name);
      await rename(temp, file);
      return { created, entry: { namespace, name, file }, checked };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}
