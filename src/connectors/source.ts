// The source interface: batches of raw records, each batch ending at a position the runtime checkpoints.

/** Where a source stands: opaque to the runtime, JSON-serializable, stored with each checkpoint. */
export type SourcePosition = Readonly<Record<string, string | number>>;

/** A record the source could not parse, kept for quarantine when the source is asked to. */
export interface MalformedRecord {
  /** Where it is, e.g. "customers.csv:1235". */
  ref: string;
  reason: string;
  /** The raw text (or its start), when it is valid UTF-8. */
  raw?: string;
}

/** A batch of raw records and the position right after its last record. */
export interface SourceBatch {
  records: unknown[];
  /** Where each record is, e.g. "customers.csv:17", parallel to `records`. */
  refs: string[];
  malformed: MalformedRecord[];
  end: SourcePosition;
}

/** An open source. Batches are deterministic: the same start position yields the same batches. */
export interface SourceReader {
  batches(batchSize: number): AsyncIterable<SourceBatch>;
  /** Progress, for the progress bar: bytes read so far and the total when known. */
  progress(): { done: number; total?: number };
  close(): Promise<void>;
}

/** A configured source. */
export interface Source {
  /** A short description for logs and summaries ("file data/customers.jsonl"). */
  readonly description: string;
  /** True when every value arrives as text (CSV): the contract then converts numbers, booleans and dates. */
  readonly textual?: boolean;
  /** Opens the source at `from` (the end of the last committed batch), or at the start. */
  open(from: SourcePosition | undefined): Promise<SourceReader>;
}
