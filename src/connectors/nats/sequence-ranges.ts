// Stream sequences written compactly for a source position: "12-20,25,30-31". A batch's sequences go into its
// checkpoint, so a resumed run knows which redelivered messages it already committed.

/** The sequences as sorted, merged ranges: "a-b" or "a", comma-separated. */
export function encodeSequences(sequences: readonly number[]): string {
  const sorted = [...new Set(sequences)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    const start = sorted[i] as number;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i] as number;
    parts.push(start === end ? String(start) : `${start}-${end}`);
    i++;
  }
  return parts.join(',');
}

/**
 * The sequences of an encoded list, or undefined when it is not one (a position written by something else).
 * At most `limit` sequences: a position never holds more than a batch.
 */
export function decodeSequences(text: string, limit: number): number[] | undefined {
  if (text === '') return [];
  const out: number[] = [];
  for (const part of text.split(',')) {
    const match = /^(\d{1,16})(?:-(\d{1,16}))?$/.exec(part);
    if (!match) return undefined;
    const start = Number(match[1]);
    const end = match[2] === undefined ? start : Number(match[2]);
    if (!Number.isSafeInteger(end) || end < start || out.length + (end - start + 1) > limit) return undefined;
    for (let s = start; s <= end; s++) out.push(s);
  }
  return out;
}
