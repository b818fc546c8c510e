// Reads a response body as JSON within a byte limit: refuses what is not JSON (an HTML error page) before
// reading it, stops reading as soon as the limit is passed (a 10 GB body is never buffered), and fails clearly
// on a body that is not valid UTF-8 or JSON. The body itself never appears in a message.
import type { Dispatcher } from 'undici';
import { SluiceError } from '../../../errors.ts';

export interface JsonBody {
  value: unknown;
  bytes: number;
}

/** The media type of a Content-Type header, lower-case, without parameters. */
function mediaType(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  const type = text?.split(';')[0]?.trim().toLowerCase();
  return type === '' ? undefined : type;
}

/** application/json, text/json and the structured +json types (RFC 6839 §3.1, e.g. application/problem+json). */
function isJsonType(type: string): boolean {
  return type === 'application/json' || type === 'text/json' || /^application\/[^/]+\+json$/.test(type);
}

/** JSON.parse's complaint without the snippet of input V8 quotes, which may be personal data. */
function jsonProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const at = / in JSON at position (\d+)/.exec(message);
  if (at) return `${message.slice(0, at.index)} at character ${Number(at[1]) + 1}`.replace(/ *\(line \d+ column \d+\)/, '');
  if (message.startsWith('Unexpected end of JSON input')) return 'it ends too early';
  return 'unexpected character';
}

/**
 * Stops reading a body and closes its connection. undici's body then emits an abort error, which nobody waits
 * for any more: the listener keeps it from becoming an uncaught exception.
 */
export function abandon(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

function failed(where: string, problem: string, fix: string): SluiceError {
  return new SluiceError('SLUICE_SOURCE_FAILED', `${where} ${problem}; ${fix}`);
}

/**
 * The JSON value of a response body of at most `maxBytes`. `where` names the request in messages ("page 3
 * of https://api.example.com/v1/items?cursor=…"). Errors of the transfer itself (a reset, a timeout) pass
 * through untouched for the caller to classify.
 */
export async function readJsonBody(response: Dispatcher.ResponseData, where: string, maxBytes: number): Promise<JsonBody> {
  const { body, headers } = response;
  const type = mediaType(headers['content-type']);
  if (type !== undefined && !isJsonType(type)) {
    abandon(body);
    const page = type === 'text/html' ? ' (an error or login page, or a proxy in the way?)' : '';
    throw failed(where, `answered with ${type} where JSON was expected${page}`, 'check the url, and that the API answers JSON to this request');
  }
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && String(encoding).trim().toLowerCase() !== 'identity') {
    abandon(body);
    throw failed(where, `sent a ${String(encoding)}-encoded body although the source asked for none (Accept-Encoding: identity)`, 'ask the API operator, or put no compressing proxy in the way');
  }
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    abandon(body);
    throw failed(where, `announces a body of ${declared} bytes, more than maxResponseBytes (${maxBytes})`, 'raise maxResponseBytes or ask the API for smaller pages');
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > maxBytes) {
      // Abandoning the body closes the connection: nothing more is read from it.
      abandon(body);
      throw failed(where, `sent more than maxResponseBytes (${maxBytes} bytes) and was cut off`, 'raise maxResponseBytes or ask the API for smaller pages');
    }
    chunks.push(chunk);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, bytes));
  } catch {
    throw failed(where, 'sent a body that is not valid UTF-8', 'JSON must be UTF-8 (RFC 8259 §8.1)');
  }
  try {
    return { value: JSON.parse(text), bytes };
  } catch (error) {
    const html = /^\s*</.test(text) ? ', and it looks like an HTML page' : '';
    throw failed(where, `sent a body that is not valid JSON (${jsonProblem(error)})${html}`, 'check the url, and that the API answers JSON to this request');
  }
}
