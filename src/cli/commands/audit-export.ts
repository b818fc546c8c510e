// `sluice audit export`: the audit log, with each event's sequence number, leaf and chain hash, as JSON Lines,
// ECS JSON or RFC 5424 syslog, to stdout or over TLS to a syslog collector; --follow keeps sending new events.
import { Option } from 'commander';
import type { Command } from 'commander';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { resolve } from 'node:path';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { closeRuntime, openRuntime, recordEvent } from '../runtime-setup.ts';
import { EXIT } from '../exit-codes.ts';
import { ioFailure, isSluiceError, SluiceError } from '../../errors.ts';
import { EXPORT_FORMATS, octetCounted, toEcs, toJsonLine, toSyslog } from '../../audit/export/formats.ts';
import type { ExportFormat } from '../../audit/export/formats.ts';
import { SyslogTlsClient } from '../../audit/export/syslog-tls.ts';
import { exportRows } from '../../audit/export/export-rows.ts';
import type { AuditRow } from '../../audit/audit-store.ts';

interface ExportCliOptions {
  format?: ExportFormat;
  after: string;
  follow?: boolean;
  maxEvents?: string;
  pollInterval: string;
  to?: string;
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
  connectTimeout: string;
  hostname?: string;
}

/** What the tests (and embedders) can add: a signal that stops a --follow as SIGINT would. */
export interface AuditExportHooks {
  signal?: AbortSignal;
}

function wholeNumber(text: string, what: string, min: number): number {
  if (!/^[0-9]{1,16}$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw new SluiceError('SLUICE_USAGE', `${what} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, not '${text}'`);
  }
  return Number(text);
}

/** "host:port" or "[v6-address]:port". */
function parseCollector(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):([0-9]{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) throw new SluiceError('SLUICE_USAGE', `--to must be host:port (or [v6-address]:port), not '${text}'`);
  return { host: match[1] ?? match[2]!, port };
}

async function readPem(context: CliContext, file: string, option: string): Promise<Buffer> {
  try {
    return await readFile(resolve(context.cwd, file));
  } catch (error) {
    throw ioFailure('SLUICE_IO_FAILED', `cannot read the ${option} file ${file}`, error);
  }
}

/** Writes to a stream, waiting while it is full (a slow pipe slows the export instead of filling memory). */
async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/** The checks that need no state: every problem of the command line before anything is opened. */
function validate(options: ExportCliOptions): { format: ExportFormat; after: number; maxEvents?: number; pollMs: number; connectMs: number; to?: { host: string; port: number } } {
  const to = options.to !== undefined ? parseCollector(options.to) : undefined;
  const format = options.format ?? (to ? 'syslog' : 'jsonl');
  if (to && format !== 'syslog') throw new SluiceError('SLUICE_USAGE', `--to sends RFC 5424 syslog over TLS: use --format syslog (or leave --format out), not '${format}'`);
  if (to && options.ca === undefined) throw new SluiceError('SLUICE_USAGE', "--to needs --ca FILE: the CA certificate (PEM) that issued the collector's certificate, which is always checked");
  if (!to && [options.ca, options.cert, options.key, options.servername].some((o) => o !== undefined)) throw new SluiceError('SLUICE_USAGE', '--ca, --cert, --key and --servername only go with --to host:port');
  if ((options.cert === undefined) !== (options.key === undefined)) throw new SluiceError('SLUICE_USAGE', '--cert and --key go together (a client certificate and its private key, for mutual TLS)');
  return {
    format,
    after: wholeNumber(options.after, '--after', 0),
    ...(options.maxEvents !== undefined ? { maxEvents: wholeNumber(options.maxEvents, '--max-events', 1) } : {}),
    pollMs: wholeNumber(options.pollInterval, '--poll-interval', 10),
    connectMs: wholeNumber(options.connectTimeout, '--connect-timeout', 1),
    ...(to ? { to } : {}),
  };
}

export function registerAuditExport(audit: Command, context: CliContext, setExit: (code: number) => void, hooks: AuditExportHooks = {}): void {
  audit
    .command('export')
    .description('Export events with their sequence numbers, leaf and chain hashes (a SIEM can re-verify them): JSON Lines, ECS JSON or RFC 5424 syslog, to stdout or over TLS to a syslog collector; --follow keeps sending new ones')
    .addOption(new Option('--format <format>', 'jsonl (default), ecs (Elastic Common Schema 8.x, one document a line) or syslog (RFC 5424; the default with --to)').choices(EXPORT_FORMATS))
    .option('--after <seq>', 'only events after this sequence number (where the collector left off)', '0')
    .option('--follow', 'keep running and export new events as they are recorded, until SIGINT or SIGTERM')
    .option('--max-events <n>', 'stop after this many events')
    .option('--poll-interval <ms>', 'with --follow, how often to look for new events', '500')
    .option('--to <host:port>', 'send to this syslog collector over TLS (RFC 5425 octet counting) instead of stdout')
    .option('--ca <file>', "with --to: the CA certificate(s) (PEM) that issued the collector's certificate")
    .option('--cert <file>', 'with --to: a client certificate (PEM), for collectors that require mutual TLS')
    .option('--key <file>', "with --to: the client certificate's private key (PEM)")
    .option('--servername <name>', "with --to: the name in the collector's certificate (default: the host of --to)")
    .option('--connect-timeout <ms>', 'with --to: give up if the TLS handshake has not completed after this long', '10000')
    .option('--hostname <name>', "HOSTNAME of syslog messages and host.name of ECS documents (default: this machine's name)")
    .addHelpText(
      'after',
      `
Every format carries the canonical event text exactly, with seq, leaf and chain (base64), so a collector can
recompute leaf = SHA-256(0x00 || event) and chain = SHA-256(previous chain || leaf), from 32 zero bytes before
event 1. jsonl: {"seq","event" (the text, as a JSON string),"leaf","chain"}. ecs: event.original is the text,
sluice.leaf and sluice.chain the hashes. syslog: MSG is the text after a UTF-8 BOM (RFC 5424 §6.4), and
[sluice@32473 seq leaf chain] the structured data; on stdout one message a line, over TLS octet-counted.
The export is recorded in the audit log (data.read on audit:log) before any event leaves.`,
    )
    .action(async (raw: ExportCliOptions) => {
      const options = validate(raw);
      const tls = options.to
        ? {
            ca: await readPem(context, raw.ca!, '--ca'),
            ...(raw.cert !== undefined ? { cert: await readPem(context, raw.cert, '--cert'), key: await readPem(context, raw.key!, '--key') } : {}),
          }
        : undefined;
      const hostname = raw.hostname ?? osHostname();
      const runtime = await openRuntime(context);
      let client: SyslogTlsClient | undefined;
      const controller = new AbortController();
      const onAbort = () => controller.abort();
      hooks.signal?.addEventListener('abort', onAbort, { once: true });
      if (hooks.signal?.aborted) controller.abort();
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals++;
        if (signals > 1) process.exit(EXIT.INTERRUPTED);
        println(context.stderr, `\n${signal}: stopping after the event in flight (again to stop at once)`);
        controller.abort();
      };
      if (raw.follow) {
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      }
      try {
        const head = await runtime.store.auditHead();
        const backlog = Math.max(0, head.size - options.after);
        const planned = Math.min(backlog, options.maxEvents ?? backlog);
        if (options.to) {
          client = await SyslogTlsClient.connect({
            host: options.to.host,
            port: options.to.port,
            ...tls!,
            ...(raw.servername !== undefined ? { servername: raw.servername } : {}),
            connectTimeoutMs: options.connectMs,
          });
          // A collector that goes away while a --follow waits for events stops the export now, not at the next event.
          client.onBroken(() => controller.abort());
        }
        const destination = client ? `syslog-tls:${client.collector}` : 'stdout';
        // Recorded before any event leaves, as every read of protected data is: an export that cannot be audited
        // does not happen. `events` is the backlog as of now; a --follow sends whatever is appended after it too
        // (this very event included), and says how many when it stops.
        await recordEvent(runtime, {
          action: 'data.read',
          resource: 'audit:log',
          outcome: 'success',
          details: { events: planned, format: options.format, fromSeq: options.after + 1, follow: raw.follow === true, destination },
        });
        const render = (row: AuditRow): string =>
          options.format === 'jsonl' ? toJsonLine(row) : options.format === 'ecs' ? JSON.stringify(toEcs(row, { hostname })) : toSyslog(row, { hostname, appName: 'sluice', procId: String(process.pid) });
        const sender = client;
        const emit = sender ? (row: AuditRow) => sender.send(octetCounted(render(row))) : (row: AuditRow) => write(context.stdout, `${render(row)}\n`);
        let result;
        try {
          result = await exportRows(
            runtime.store,
            {
              afterSeq: options.after,
              ...(raw.follow ? { follow: true } : { upToSeq: head.size }),
              ...(options.maxEvents !== undefined ? { maxEvents: options.maxEvents } : {}),
              pollIntervalMs: options.pollMs,
              signal: controller.signal,
            },
            emit,
          );
          await client?.close();
        } catch (error) {
          if (isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED')) {
            // Syslog has no acknowledgements: the collector has what it stored, and each message names its seq.
            throw new SluiceError('SLUICE_SINK_WRITE_FAILED', `${error.message}; resume with --after the last seq the collector stored`, { cause: error, retryable: error.retryable });
          }
          throw error;
        }
        const span = result.events > 0 ? ` (${result.lastSeq - result.events + 1}–${result.lastSeq})` : '';
        println(context.stderr, `exported ${result.events} event(s)${span} to ${client ? client.collector : 'stdout'}${result.stopped ? ', then stopped' : ''}; next time: --after ${result.lastSeq}`);
        setExit(EXIT.OK);
      } finally {
        hooks.signal?.removeEventListener('abort', onAbort);
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        client?.destroy();
        await closeRuntime(runtime);
      }
    });
}
