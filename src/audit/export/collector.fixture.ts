// The collector's side of an export, for tests: RFC 5425 frame reading, an RFC 5424 parser written from the ABNF
// (not from the exporter's code), the SIEM's re-verification of leaf and chain, and a local TLS syslog listener.
import { createHash } from 'node:crypto';
import { createServer } from 'node:tls';
import type { Server, TLSSocket, TlsOptions } from 'node:tls';
import type { AddressInfo } from 'node:net';

// RFC 5424 §6: SD-NAME is 1*32 PRINTUSASCII except '=', SP, ']' and '"'; PARAM-VALUE escapes '"', '\' and ']'.
const SD_NAME = String.raw`[\x21\x23-\x3c\x3e-\x5c\x5e-\x7e]{1,32}`;
const PARAM_VALUE = String.raw`(?:[^"\\\]]|\\["\\\]])*`;
export const SD_ELEMENT = new RegExp(String.raw`\[(${SD_NAME})((?: ${SD_NAME}="${PARAM_VALUE}")*)\]`, 'gu');
const TIMESTAMP = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})`;
const FIELD = (max: number) => String.raw`(-|[\x21-\x7e]{1,${max}})`;
/** SYSLOG-MSG = HEADER SP STRUCTURED-DATA [SP MSG] (RFC 5424 §6). */
export const SYSLOG_MESSAGE = new RegExp(
  String.raw`^<(\d{1,3})>([1-9]\d{0,2}) (-|${TIMESTAMP}) ${FIELD(255)} ${FIELD(48)} ${FIELD(128)} ${FIELD(32)} (-|(?:\[${SD_NAME}(?: ${SD_NAME}="${PARAM_VALUE}")*\])+)(?: ([\s\S]*))?$`,
  'u',
);

export interface ParsedSyslog {
  facility: number;
  severity: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  /** SD-ID → parameters, values unescaped. */
  sd: Map<string, Map<string, string>>;
  /** MSG as sent (a UTF-8 MSG starts with the BOM). */
  msg: string | undefined;
}

/** A PARAM-VALUE with its escapes undone: '\' before '"', '\' or ']' is dropped; any other '\' stays (§6.3.3). */
export function unescapeParamValue(value: string): string {
  return value.replace(/\\(["\\\]])/g, '$1');
}

export function parseSdParams(params: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of params.matchAll(new RegExp(String.raw` (${SD_NAME})="(${PARAM_VALUE})"`, 'gu'))) out.set(m[1]!, unescapeParamValue(m[2]!));
  return out;
}

/** Parses one RFC 5424 message; undefined when it does not follow the grammar. */
export function parseSyslog(message: string): ParsedSyslog | undefined {
  const m = SYSLOG_MESSAGE.exec(message);
  if (!m) return undefined;
  const pri = Number(m[1]);
  if (pri > 191) return undefined;
  const sd = new Map<string, Map<string, string>>();
  if (m[8] !== '-') for (const element of m[8]!.matchAll(SD_ELEMENT)) sd.set(element[1]!, parseSdParams(element[2]!));
  return { facility: pri >> 3, severity: pri & 7, version: Number(m[2]), timestamp: m[3]!, hostname: m[4]!, appName: m[5]!, procId: m[6]!, msgId: m[7]!, sd, msg: m[9] };
}

/** Splits a byte stream of RFC 5425 frames (`MSG-LEN SP SYSLOG-MSG`), however it was chunked, into messages. */
export class FrameReader {
  #buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const space = this.#buffer.indexOf(0x20);
      if (space < 0) break;
      const length = this.#buffer.subarray(0, space).toString('ascii');
      // MSG-LEN = NONZERO-DIGIT *DIGIT
      if (!/^[1-9][0-9]*$/.test(length)) throw new Error(`bad MSG-LEN '${length}'`);
      const end = space + 1 + Number(length);
      if (this.#buffer.length < end) break;
      out.push(Buffer.from(this.#buffer.subarray(space + 1, end)));
      this.#buffer = this.#buffer.subarray(end);
    }
    return out;
  }

  get pending(): number {
    return this.#buffer.length;
  }
}

const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

export interface ExportedEvent {
  seq: number;
  /** The canonical event bytes. */
  event: Buffer;
  leaf: Buffer;
  chain: Buffer;
}

/**
 * What a SIEM does: for each event in sequence, leaf = SHA-256(0x00 ‖ event) and chain = SHA-256(previous ‖ leaf),
 * the chain before the first starting at `previous` (32 zero bytes before event 1). Returns the problems.
 */
export function reverify(events: readonly ExportedEvent[], previous: Buffer = Buffer.alloc(32)): string[] {
  const problems: string[] = [];
  let chain = previous;
  let expectedSeq: number | undefined;
  for (const e of events) {
    if (expectedSeq !== undefined && e.seq !== expectedSeq) problems.push(`seq ${e.seq} follows ${expectedSeq - 1}`);
    expectedSeq = e.seq + 1;
    const inText = (JSON.parse(e.event.toString('utf8')) as { seq: number }).seq;
    if (inText !== e.seq) problems.push(`seq ${e.seq}: the event says ${inText}`);
    const leaf = sha256(Buffer.from([0]), e.event);
    if (!leaf.equals(e.leaf)) problems.push(`seq ${e.seq}: leaf does not match the event`);
    chain = sha256(chain, leaf);
    if (!chain.equals(e.chain)) problems.push(`seq ${e.seq}: chain does not match`);
  }
  return problems;
}

/** An exported event out of one syslog message: seq, leaf and chain from the SD, the event from MSG minus the BOM. */
export function fromSyslog(message: Buffer, sdId = 'sluice@32473'): ExportedEvent {
  const parsed = parseSyslog(message.toString('utf8'));
  if (!parsed) throw new Error(`not RFC 5424: ${message.toString('utf8').slice(0, 120)}`);
  const params = parsed.sd.get(sdId);
  if (!params || parsed.msg === undefined) throw new Error('no structured data or no MSG');
  const msg = Buffer.from(parsed.msg, 'utf8');
  if (!msg.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))) throw new Error('MSG does not start with the UTF-8 BOM');
  return { seq: Number(params.get('seq')), event: msg.subarray(3), leaf: Buffer.from(params.get('leaf') ?? '', 'base64'), chain: Buffer.from(params.get('chain') ?? '', 'base64') };
}

export interface Collector {
  port: number;
  /** Every message received, in order, over every connection. */
  messages: Buffer[];
  /** TLS connections that completed the handshake. */
  connections: number;
  /** Handshakes that failed (an untrusted or missing client certificate, an old protocol). */
  clientErrors: Error[];
  /** Resolves once `count` messages have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A local TLS syslog listener on 127.0.0.1 that reads octet-counted frames. */
export async function startCollector(options: TlsOptions): Promise<Collector> {
  const messages: Buffer[] = [];
  const clientErrors: Error[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let connections = 0;
  const sockets = new Set<TLSSocket>();
  const server: Server = createServer(options, (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      messages.push(...reader.push(chunk));
      for (const w of waiters.filter((x) => messages.length >= x.count)) w.resolve();
    });
    socket.on('error', () => undefined);
  });
  server.on('tlsClientError', (error) => clientErrors.push(error));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const collector: Collector = {
    port: (server.address() as AddressInfo).port,
    messages,
    get connections() {
      return connections;
    },
    clientErrors,
    waitFor: (count, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        if (messages.length >= count) return resolve();
        const timer = setTimeout(() => reject(new Error(`the collector has ${messages.length} of ${count} messages after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return collector;
}
