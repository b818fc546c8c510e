// How the http source finds the next page: a link in the body, a cursor in the body sent back as a query
// parameter, a page number or an offset in the query, or the RFC 8288 Link header. Every page is named by its
// full URL, so the position that resumes a run is that URL, whatever the style.
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { SluiceError } from '../../../errors.ts';
import { jsonKind, jsonPathSchema, pathSegments, valueAt } from './json-path.ts';
import { parseLinkHeader } from './link-header.ts';
import { displayUrl } from './safe-url.ts';

const param = z.string().min(1);

export const paginationSchema = z
  .strictObject({
    next: jsonPathSchema.optional().describe('The body path of the next page\'s URL (absolute or relative), e.g. links.next; reading stops when it is missing, null or empty.'),
    cursor: z
      .strictObject({
        from: jsonPathSchema.describe('The body path of the cursor for the next page, e.g. meta.next_cursor.'),
        param: param.describe('The query parameter the cursor is sent back in, e.g. cursor.'),
      })
      .optional()
      .describe('Cursor pagination: reading stops when the cursor is missing, null or empty.'),
    page: z
      .strictObject({
        param: param.default('page').describe('The query parameter of the page number.'),
        start: z.number().int().min(0).default(1).describe('The number of the first page.'),
        size: z.number().int().min(1).optional().describe('Records per page: a shorter page is the last one. Without it only an empty page ends.'),
        sizeParam: param.optional().describe('The query parameter that asks for `size` records per page, e.g. per_page.'),
      })
      .optional()
      .describe('Page numbers: reading stops at an empty page, or a short one when size is set.'),
    offset: z
      .strictObject({
        param: param.default('offset').describe('The query parameter of the offset of the first record of a page.'),
        start: z.number().int().min(0).default(0).describe('The offset of the first page.'),
        size: z.number().int().min(1).optional().describe('Records per page: a shorter page is the last one. Without it only an empty page ends.'),
        sizeParam: param.optional().describe('The query parameter that asks for `size` records per page, e.g. limit.'),
      })
      .optional()
      .describe('Offsets: each page starts where the last one ended; reading stops at an empty page, or a short one when size is set.'),
    linkHeader: z.literal(true).optional().describe('Follow the Link header\'s rel="next" (RFC 8288), as GitHub\'s API does.'),
  })
  .superRefine((p, context) => {
    const chosen = Object.entries(p).filter(([, v]) => v !== undefined);
    if (chosen.length !== 1) context.addIssue({ code: 'custom', message: 'choose exactly one of next, cursor, page, offset or linkHeader' });
    for (const style of ['page', 'offset'] as const) {
      const o = p[style];
      if (o?.sizeParam !== undefined && o.size === undefined) context.addIssue({ code: 'custom', path: [style, 'size'], message: 'sizeParam needs size (the number to send)' });
    }
  })
  .describe('How to reach the next page. Without it the source reads the one page at url.');

export type Pagination = z.output<typeof paginationSchema>;

/** What is known once a page has been read. */
export interface ReadPage {
  /** The URL asked for. */
  url: URL;
  /** The URL that answered (after redirects): relative links resolve against it. */
  finalUrl: URL;
  body: unknown;
  headers: IncomingHttpHeaders;
  /** How many records the page held. */
  count: number;
}

function withParams(url: URL, params: Record<string, string | number | undefined>): URL {
  const out = new URL(url.href);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) out.searchParams.set(name, String(value));
  return out;
}

/** The URL of the first page: the configured url, with the page or offset parameters when those are used. */
export function firstPageUrl(url: URL, pagination: Pagination | undefined): URL {
  const numbered = pagination?.page ?? pagination?.offset;
  if (!numbered) return url;
  return withParams(url, { [numbered.param]: numbered.start, ...(numbered.sizeParam !== undefined ? { [numbered.sizeParam]: numbered.size } : {}) });
}

/** The URL of the page after `page`, or undefined when it was the last one. */
export function nextPageUrl(pagination: Pagination | undefined, page: ReadPage, label: string): URL | undefined {
  if (!pagination) return undefined;
  const where = `${displayUrl(page.url)} (${label})`;
  const fail = (why: string) => new SluiceError('SLUICE_SOURCE_FAILED', `${where}: ${why}`);
  let next: URL | undefined;
  if (pagination.next !== undefined || pagination.linkHeader) {
    const link = pagination.next !== undefined ? valueAt(page.body, pathSegments(pagination.next)) : parseLinkHeader(page.headers.link).next;
    if (link === undefined || link === null || link === '') return undefined;
    if (typeof link !== 'string') throw fail(`the next link at ${pagination.next ?? 'Link'} is ${jsonKind(link)}, not a URL; check paginate.next`);
    try {
      next = new URL(link, page.finalUrl);
    } catch {
      throw fail('the next link is not a URL');
    }
    next.hash = '';
  } else if (pagination.cursor) {
    const cursor = valueAt(page.body, pathSegments(pagination.cursor.from));
    if (cursor === undefined || cursor === null || cursor === '') return undefined;
    if (typeof cursor !== 'string' && typeof cursor !== 'number') throw fail(`the cursor at ${pagination.cursor.from} is ${jsonKind(cursor)}; check paginate.cursor.from`);
    next = withParams(page.url, { [pagination.cursor.param]: cursor });
  } else {
    const numbered = pagination.page ?? pagination.offset;
    if (!numbered) return undefined;
    if (page.count === 0 || (numbered.size !== undefined && page.count < numbered.size)) return undefined;
    const current = Number(page.url.searchParams.get(numbered.param));
    if (!Number.isSafeInteger(current)) throw fail(`the ${numbered.param} parameter is not a whole number`);
    next = withParams(page.url, { [numbered.param]: current + (pagination.page ? 1 : page.count) });
  }
  // A next page that is this page again would be read forever.
  if (next.href === page.url.href) throw fail('the API names this same page as the next one (a pagination loop); check paginate');
  return next;
}
