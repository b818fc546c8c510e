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

/** How a run opens its source. */
export interface OpenOptions {
  /**
   * Keep consuming after the data at hand is read (`sluice run --follow`): a stream waits for new messages, a
   * table polls for rows past its cursor. Without it a source ends once what is there now has been read.
   */
  follow: boolean;
  /** Aborted on shutdown (SIGTERM): the source stops pulling and ends its batches after the one it is filling. */
  signal?: AbortSignal;
  /**
   * Stop at this position (a cluster task's end, from the source's own split()): the last batch ends exactly
   * there. Only a source that splits is given one.
   */
  until?: SourcePosition;
}

/** A range of a source one cluster task reads: from `from` (undefined: the start) up to `until` (undefined: the end). */
export interface SourceRange {
  from?: SourcePosition;
  until?: SourcePosition;
}

/**
 * An open source. Batches of a replayable source (files, tables, APIs) are deterministic: the same start
 * position yields the same batches. A stream's batches are whatever its server redelivers.
 */
export interface SourceReader {
  /** Batches of at most batchSize records; a following source yields a short batch rather than wait long. */
  batches(batchSize: number): AsyncIterable<SourceBatch>;
  /**
   * Called once each batch is committed in every sink and the checkpoint, in batch order, with the batch's
   * `end`: a stream acknowledges its messages (or commits offsets) here, never earlier, so a crash before the
   * commit has the server deliver them again.
   */
  committed?(end: SourcePosition): Promise<void>;
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
  /**
   * True when a new run continues where the last successful run ended (a table read by an incremental cursor)
   * rather than from the start: the run opens at that run's last position.
   */
  readonly incremental?: boolean;
  /** True when the source can follow (`sluice run --follow`): a stream, or a table polled past its cursor. */
  readonly follows?: boolean;
  /**
   * Opens the source at `from` (the end of the last committed batch; for an incremental source, else the end of
   * the last successful run), or at the start.
   */
  open(from: SourcePosition | undefined, options?: OpenOptions): Promise<SourceReader>;
  /**
   * Splits what the source holds now into ranges of about `targetBytes` that together cover it once, in order,
   * for cluster workers to read independently (opened at `from` with `until`). An incremental source is split
   * from `from` (where the last successful run ended). A source without it is one task.
   */
  split?(targetBytes: number, from?: SourcePosition): Promise<SourceRange[]>;
}
