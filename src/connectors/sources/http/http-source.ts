// The `http` source: records from a JSON API over HTTPS, page by page. One page gives one batch (more when it
// holds more than batchSize records); each batch ends at the position that resumes the run right after it.
import type { Agent } from 'undici';
import { SluiceError } from '../../../errors.ts';
import type { CreateContext } from '../../../spec/component.ts';
import { defineSource } from '../../../spec/component.ts';
import { loadClientTls } from '../../../tls/client-tls.ts';
import type { MalformedRecord, OpenOptions, Source, SourceBatch, SourcePosition, SourceReader } from '../../source.ts';
import { previewText } from '../line-reader.ts';
import { createAuthenticator, withoutCredentialParameters } from './auth.ts';
import { EgressPolicy } from './egress-policy.ts';
import { guardedDispatcher } from './guarded-dispatcher.ts';
import type { Resolve } from './guarded-dispatcher.ts';
import { HttpClient } from './http-client.ts';
import type { HttpAnswer, HttpClientOptions } from './http-client.ts';
import { httpSourceSpec } from './http-source-spec.ts';
import type { HttpSourceOptions } from './http-source-spec.ts';
import { jsonKind, pathSegments, valueAt } from './json-path.ts';
import { firstPageUrl, nextPageUrl } from './pagination.ts';
import type { Pagination } from './pagination.ts';
import { displayUrl, urlWithoutQuery } from './safe-url.ts';

/** What tests may replace: the DNS resolver the SSRF guard checks, the clock, the wait between retries. */
export interface HttpSourceHooks {
  resolve?: Resolve;
  now?: () => number;
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const httpSource = defineSource({
  name: 'http',
  summary: 'Reads records from a JSON API over HTTPS, page by page, with credentials from secret references and egress checked.',
  spec: httpSourceSpec,
  insecureOptOuts: (options) =>
    options.allowPrivateAddresses && options.allowPrivateAddresses.length > 0
      ? [{ at: ['allowPrivateAddresses'], allows: `connections to ${options.allowPrivateAddresses.join(', ')} past the SSRF guard (private, loopback or link-local addresses)` }]
      : [],
  examples: [
    { url: 'https://api.example.com/v1/customers', records: 'data', auth: { bearer: 'vault://secret/crm#token' }, paginate: { next: '$.links.next' } },
    {
      url: 'https://api.example.com/v2/orders',
      records: 'orders',
      auth: { oauth2: { tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'sluice', clientSecret: 'env://ORDERS_CLIENT_SECRET', scope: 'orders:read' } },
      paginate: { cursor: { from: 'meta.next_cursor', param: 'cursor' } },
      retry: { attempts: 3, maxWaitMs: 30_000 },
    },
    {
      url: 'https://127.0.0.1:8443/customers',
      paginate: { page: { size: 100, sizeParam: 'per_page' } },
      allowPrivateAddresses: ['127.0.0.1'],
      tls: { ca: 'certs/demo-ca.pem' },
    },
    { url: 'https://api.github.com/orgs/example/repos', auth: { apiKey: { header: 'X-Api-Key', value: 'env://GITHUB_KEY' } }, paginate: { linkHeader: true }, allow: ['*.github.com'] },
  ],
  create: (options, context) => createHttpSource(options, context),
});

/** The source for the options; `hooks` replace the resolver, the clock and the retry wait (tests only). */
export function createHttpSource(options: HttpSourceOptions, context: CreateContext, hooks: HttpSourceHooks = {}): Source {
  return new HttpSource(options, context, hooks);
}

/** The host:port of a URL as an allowlist entry that allows that port only. */
function exactHost(url: URL): string {
  return `${url.hostname}:${url.port === '' ? '443' : url.port}`;
}

class HttpSource implements Source {
  readonly description: string;
  readonly #options: HttpSourceOptions;
  readonly #context: CreateContext;
  readonly #hooks: HttpSourceHooks;

  constructor(options: HttpSourceOptions, context: CreateContext, hooks: HttpSourceHooks) {
    this.#options = options;
    this.#context = context;
    this.#hooks = hooks;
    this.description = `http ${displayUrl(new URL(options.url))}`;
  }

  async open(from: SourcePosition | undefined, openOptions?: OpenOptions): Promise<SourceReader> {
    const options = this.#options;
    const url = new URL(options.url);
    const start = startAt(from, firstPageUrl(url, options.paginate));
    const tls = await loadClientTls(options.tls, this.#context.baseDir, this.#context.secrets);
    const tokenUrl = options.auth?.oauth2 ? new URL(options.auth.oauth2.tokenUrl) : undefined;
    const policy = new EgressPolicy({
      hosts: [exactHost(url), ...(tokenUrl ? [exactHost(tokenUrl)] : []), ...(options.allow ?? [])],
      allowPrivateAddresses: options.allowPrivateAddresses ?? [],
    });
    const dispatcher = await guardedDispatcher({ policy, tls, connectTimeoutMs: options.timeouts.connectMs, ...(this.#hooks.resolve ? { resolve: this.#hooks.resolve } : {}) });
    try {
      const signal = openOptions?.signal;
      const common: HttpClientOptions = {
        dispatcher,
        policy,
        timeouts: options.timeouts,
        retry: options.retry,
        maxResponseBytes: options.maxResponseBytes,
        maxRedirects: options.maxRedirects,
        ...(signal ? { signal } : {}),
        ...(this.#hooks.now ? { now: this.#hooks.now } : {}),
        ...(this.#hooks.wait ? { wait: this.#hooks.wait } : {}),
      };
      const authenticator = createAuthenticator(options.auth, this.#context.secrets, new HttpClient(common), this.#hooks.now);
      const progress = { bytes: 0 };
      const client = new HttpClient({
        ...common,
        ...(options.headers ? { headers: options.headers } : {}),
        ...(authenticator ? { auth: { authenticator, origin: url.origin } } : {}),
        onBytes: (bytes) => (progress.bytes += bytes),
      });
      const plan: ReaderPlan = {
        clean: (link) => withoutCredentialParameters(link, authenticator),
        records: options.records === undefined ? undefined : pathSegments(options.records),
        recordsOption: options.records,
        paginate: options.paginate,
        maxPages: options.maxPages,
      };
      return new HttpReader(plan, client, dispatcher, start, progress, signal);
    } catch (error) {
      await dispatcher.destroy().catch(() => undefined);
      throw error;
    }
  }
}

/** Where a run starts: pages read so far, the next page's URL (none when all were read), records of it already committed. */
interface Start {
  page: number;
  url: URL | undefined;
  skip: number;
}

/** The start the saved position names, or the first page. A position this source did not write is refused. */
function startAt(from: SourcePosition | undefined, first: URL): Start {
  if (from === undefined) return { page: 0, url: first, skip: 0 };
  const count = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  const { page, url, skip = 0, done } = from;
  if (count(page) && count(skip) && done === 1) return { page, url: undefined, skip: 0 };
  if (count(page) && count(skip) && typeof url === 'string' && URL.canParse(url) && new URL(url).protocol === 'https:') return { page, url: new URL(url), skip };
  throw new SluiceError('SLUICE_RESUME_MISMATCH', 'the saved position of the http source is not one it wrote; rerun with --fresh to start from the first page');
}

interface ReaderPlan {
  /** Takes the query parameters that carry credentials out of a URL before it is stored or followed. */
  clean: (url: URL) => URL;
  records: string[] | undefined;
  recordsOption: string | undefined;
  paginate: Pagination | undefined;
  maxPages: number;
}

class HttpReader implements SourceReader {
  readonly #plan: ReaderPlan;
  readonly #client: HttpClient;
  readonly #dispatcher: Agent;
  readonly #start: Start;
  readonly #progress: { bytes: number };
  readonly #signal: AbortSignal | undefined;

  constructor(plan: ReaderPlan, client: HttpClient, dispatcher: Agent, start: Start, progress: { bytes: number }, signal: AbortSignal | undefined) {
    this.#plan = plan;
    this.#client = client;
    this.#dispatcher = dispatcher;
    this.#start = start;
    this.#progress = progress;
    this.#signal = signal;
  }

  async *batches(batchSize: number): AsyncGenerator<SourceBatch, void, undefined> {
    const plan = this.#plan;
    let { page, url, skip } = this.#start;
    while (url !== undefined) {
      // On shutdown the source stops pulling; the batches it gave are committed by the runtime.
      if (this.#signal?.aborted) return;
      const number = page + 1;
      const label = `page ${number}`;
      if (number > plan.maxPages) {
        throw new SluiceError('SLUICE_SOURCE_FAILED', `${displayUrl(url)} (${label}): the source read maxPages (${plan.maxPages}) pages and the API names another; raise maxPages if the data set is that big`);
      }
      let answer: HttpAnswer;
      try {
        answer = await this.#client.request({ url, label });
      } catch (error) {
        if (this.#signal?.aborted) return;
        throw error;
      }
      const items = recordsOf(answer.value, plan, `${displayUrl(url)} (${label})`);
      // A next link that echoes an API key in its query is stored without it: checkpoints hold no credential.
      const link = nextPageUrl(plan.paginate, { url, finalUrl: answer.url, body: answer.value, headers: answer.headers, count: items.length }, label);
      const next = link ? plan.clean(link) : undefined;
      const after: SourcePosition = next ? { page: number, url: next.href } : { page: number, done: 1 };
      const ref = `${urlWithoutQuery(url)}#page=${number}`;
      for (let from = Math.min(skip, items.length); from < items.length; from += batchSize) {
        const to = Math.min(from + batchSize, items.length);
        // A batch that ends inside the page resumes by reading the page again and skipping what was committed.
        const end = to === items.length ? after : { page, url: url.href, skip: to };
        yield { ...splitRecords(items, from, to, ref), end };
      }
      page = number;
      url = next;
      skip = 0;
    }
  }

  progress(): { done: number; total?: number } {
    return { done: this.#progress.bytes };
  }

  async close(): Promise<void> {
    await this.#dispatcher.destroy().catch(() => undefined);
  }
}

/** The records array of a page body, where `records` says it is. */
function recordsOf(body: unknown, plan: ReaderPlan, where: string): unknown[] {
  const value = plan.records === undefined ? body : valueAt(body, plan.records);
  if (Array.isArray(value)) return value;
  if (value === null && plan.records !== undefined) return [];
  const found = plan.recordsOption === undefined ? `the body is ${jsonKind(value)}` : `the body has ${value === undefined ? 'nothing' : jsonKind(value)} at ${plan.recordsOption}`;
  throw new SluiceError('SLUICE_SOURCE_FAILED', `${where}: ${found}, not an array of records; set records to the path of the array (e.g. data.items)`);
}

/** Records [from, to) of a page: JSON objects become records, anything else a malformed record for the quarantine. */
function splitRecords(items: readonly unknown[], from: number, to: number, ref: string): Omit<SourceBatch, 'end'> {
  const records: unknown[] = [];
  const refs: string[] = [];
  const malformed: MalformedRecord[] = [];
  for (let i = from; i < to; i++) {
    const item = items[i];
    const where = `${ref},record=${i + 1}`;
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      // Records carry no prototype (runtime/record.ts): a field named constructor is only data.
      Object.setPrototypeOf(item, null);
      records.push(item);
      refs.push(where);
    } else {
      malformed.push({ ref: where, reason: `the element is ${jsonKind(item)}, not a JSON object`, raw: previewText(JSON.stringify(item) ?? String(item)) });
    }
  }
  return { records, refs, malformed };
}
