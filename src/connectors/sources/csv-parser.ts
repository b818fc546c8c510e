// RFC 4180 CSV records from lines: a header row, quoted fields with "" escapes, records that span lines.
import { SluiceError } from '../../errors.ts';
import { previewText } from './line-reader.ts';
import type { Line } from './line-reader.ts';
import { newRecord } from '../../runtime/record.ts';

/** A record: field name to cell text, null for an empty unquoted cell (so a contract can treat it as missing). */
export type CsvRecord = Record<string, string | null>;

export type CsvOutput =
  | { kind: 'record'; record: CsvRecord; line: number }
  | { kind: 'malformed'; line: number; reason: string; raw: string };

export interface CsvParserOptions {
  /** One character, never a quote or a line break. */
  delimiter: string;
  /** Bound on a record spanning lines: an unclosed quote would otherwise swallow the rest of the file. */
  maxRecordBytes: number;
  /** The file's name, for header errors. */
  name: string;
  /** The header when it was read separately (on resume); otherwise the first record is the header. */
  header?: readonly string[];
}

const QUOTE = 34;

/**
 * Turns lines into records. Feed every line, empty ones included (a quoted field may contain an empty
 * line); call `finish()` at the end of the input. Empty lines between records are skipped.
 */
export class CsvParser {
  readonly #delimiter: string;
  readonly #maxRecordBytes: number;
  readonly #name: string;
  #header: readonly string[] | undefined;
  // The record in progress, kept across lines while a quoted field is open.
  #fields: (string | null)[] = [];
  #field = '';
  #open = false;
  #firstLine = 0;
  #recordStart = 0;
  #rawLines: string[] = [];
  #lastCr = false;

  constructor(options: CsvParserOptions) {
    if (options.delimiter.length !== 1 || /["\r\n]/.test(options.delimiter)) {
      throw new TypeError(`the CSV delimiter must be one character other than a quote or line break`);
    }
    this.#delimiter = options.delimiter;
    this.#maxRecordBytes = options.maxRecordBytes;
    this.#name = options.name;
    this.#header = options.header;
  }

  /** The field names, once the header row has been read. */
  get header(): readonly string[] | undefined {
    return this.#header;
  }

  /** Reads one line; returns a record or a malformed one when a record ends on this line. */
  push(line: Line): CsvOutput | undefined {
    const text = line.text;
    if (this.#open) {
      // RFC 4180 §2.6: the line break belongs to the quoted field; give back the \r the reader stripped.
      this.#field += this.#lastCr ? '\r\n' : '\n';
      this.#rawLines.push(text);
    } else {
      if (text.length === 0) return undefined;
      this.#firstLine = line.line;
      this.#recordStart = line.start;
      this.#rawLines = [text];
      if (text.indexOf('"') === -1) {
        // Fast path: no quotes, so the fields are exactly the pieces between delimiters.
        const parts: (string | null)[] = text.split(this.#delimiter);
        for (let k = 0; k < parts.length; k++) if (parts[k] === '') parts[k] = null;
        return this.#complete(parts);
      }
      this.#fields = [];
    }
    this.#lastCr = line.cr;
    const state = this.#scan(text, line.line);
    if (typeof state === 'string') return this.#malformed(state);
    if (state) return this.#complete(this.#fields);
    if (line.end - this.#recordStart > this.#maxRecordBytes) {
      return this.#malformed(
        `a quoted field opened on line ${this.#firstLine} is still open after maxLineBytes ` +
          `(${this.#maxRecordBytes} bytes); close the quote, or raise maxLineBytes if the field is that long`,
      );
    }
    return undefined;
  }

  /** Ends the input: a record still open is malformed. */
  finish(): CsvOutput | undefined {
    if (!this.#open) return undefined;
    return this.#malformed(`a quoted field opened on line ${this.#firstLine} is never closed; add the closing quote`);
  }

  /** Drops a record in progress (the caller hit an unreadable line inside it). */
  reset(): void {
    this.#open = false;
    this.#fields = [];
    this.#field = '';
    this.#rawLines = [];
  }

  /**
   * Scans `text` from its start (continuing an open quoted field if there is one). Returns true when the
   * record is complete, false when a quoted field runs on to the next line, or the reason it is malformed.
   */
  #scan(text: string, lineNo: number): boolean | string {
    const d = this.#delimiter;
    const n = text.length;
    let i = 0;
    for (;;) {
      if (this.#open) {
        // Inside quotes: copy up to the next quote; "" is an escaped quote (RFC 4180 §2.7).
        let q = text.indexOf('"', i);
        while (q !== -1 && text.charCodeAt(q + 1) === QUOTE) {
          this.#field += text.slice(i, q + 1);
          i = q + 2;
          q = text.indexOf('"', i);
        }
        if (q === -1) {
          this.#field += text.slice(i);
          return false;
        }
        this.#field += text.slice(i, q);
        this.#fields.push(this.#field);
        this.#field = '';
        this.#open = false;
        i = q + 1;
        if (i === n) return true;
        if (text[i] !== d) {
          return (
            `unexpected text after a closing quote on line ${lineNo}, character ${i + 1}; ` +
            'quote the whole field and double every quote inside it'
          );
        }
        i++;
      }
      if (text.charCodeAt(i) === QUOTE) {
        this.#open = true;
        i++;
        continue;
      }
      // Unquoted field. A quote inside one is kept as it is, as most exporters expect.
      const next = text.indexOf(d, i);
      if (next === -1) {
        this.#fields.push(i === n ? null : text.slice(i));
        return true;
      }
      this.#fields.push(next === i ? null : text.slice(i, next));
      i = next + 1;
    }
  }

  #complete(fields: (string | null)[]): CsvOutput | undefined {
    const line = this.#firstLine;
    const header = this.#header;
    if (header === undefined) {
      this.#header = this.#checkHeader(fields, line);
      return undefined;
    }
    if (fields.length !== header.length) {
      return this.#malformed(
        `the record on line ${line} has ${fields.length} fields, expected ${header.length} as in the header; ` +
          'check for a delimiter inside an unquoted field',
      );
    }
    // Null prototype: a column named __proto__ or constructor is just data.
    const record: CsvRecord = newRecord<string | null>();
    for (let k = 0; k < header.length; k++) record[header[k] as string] = fields[k] as string | null;
    return { kind: 'record', record, line };
  }

  #malformed(reason: string): CsvOutput {
    const out: CsvOutput = { kind: 'malformed', line: this.#firstLine, reason, raw: previewText(this.#rawLines.join('\n')) };
    this.reset();
    return out;
  }

  /** Every header problem at once, each naming its column. */
  #checkHeader(fields: readonly (string | null)[], line: number): string[] {
    const problems: string[] = [];
    const seen = new Map<string, number>();
    fields.forEach((name, k) => {
      if (name === null || name.trim() === '') problems.push(`column ${k + 1} has no name`);
      else if (seen.has(name)) problems.push(`column ${k + 1} repeats the name '${name}' of column ${(seen.get(name) ?? 0) + 1}`);
      else seen.set(name, k);
    });
    if (problems.length > 0) {
      throw new SluiceError(
        'SLUICE_INPUT_MALFORMED',
        `${this.#name}:${line}: the CSV header ${problems.length === 1 ? 'has a problem' : `has ${problems.length} problems`}: ` +
          `${problems.join('; ')}. Give every column a unique, non-empty name in the first row.`,
        { details: problems },
      );
    }
    return fields as string[];
  }
}
