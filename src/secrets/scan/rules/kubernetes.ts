// Kubernetes Secret manifests: in a YAML document whose `kind` is `Secret`, every value under `data:` is a
// base64-encoded secret and every value under `stringData:` a plain one (Kubernetes API, Secret v1 core).
import type { SecretMatch } from '../secret-match.ts';
import { isPlaceholderValue, looksTemplated, wrapsPlaceholder } from '../placeholder.ts';

export const KUBERNETES_SECRET_RULE = 'kubernetes-secret';

const KIND_SECRET = /^[ \t]*kind:[ \t]*(["']?)secret\1[ \t]*(?:#.*)?$/im;
const DATA_BLOCK = /^([ \t]*)(data|stringData):[ \t]*(?:#.*)?$/gm;
const ENTRY = /^([ \t]*)([\w.-]+):(.*)$/;
/** A base64 value long enough to hold a secret (`YWRtaW4=`, "admin", is a user name, not one). */
const BASE64_VALUE = /^[A-Za-z0-9+/]{12,}={0,2}$/;

export function scanKubernetesSecrets(text: string, out: SecretMatch[]): void {
  if (!text.includes('kind:') || !text.includes('ata:')) return;
  // One YAML stream may hold several documents; `kind` and `data` must share one.
  const starts = [0];
  for (const m of text.matchAll(/^---[ \t]*$/gm)) starts.push(m.index + m[0].length);
  for (let d = 0; d < starts.length; d++) {
    const from = starts[d]!;
    const to = d + 1 < starts.length ? starts[d + 1]! - 3 : text.length;
    const doc = text.slice(from, to);
    if (!KIND_SECRET.test(doc)) continue;
    DATA_BLOCK.lastIndex = 0;
    for (let block = DATA_BLOCK.exec(doc); block !== null; block = DATA_BLOCK.exec(doc)) {
      scanDataBlock(doc, from, block.index + block[0].length, block[1]!.length, block[2] === 'data', out);
    }
  }
}

/** Reads the entries indented under a `data:` line starting at `pos` (just after it). */
function scanDataBlock(doc: string, offset: number, pos: number, indent: number, base64: boolean, out: SecretMatch[]): void {
  let lineStart = pos + 1;
  while (lineStart < doc.length) {
    let lineEnd = doc.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = doc.length;
    const line = doc.slice(lineStart, lineEnd).replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) {
      lineStart = lineEnd + 1;
      continue;
    }
    const entry = ENTRY.exec(line);
    const lineIndent = line.length - line.trimStart().length;
    if (lineIndent <= indent || entry === null) return;
    let value = entry[3]!.trim();
    // Secret data maps names to strings; a key without a value opens a nested mapping, which is not data (and
    // stopping there keeps nested `data:` blocks from being read twice).
    if (value === '') return;
    let valueStart = lineStart + lineIndent + entry[2]!.length + 1;
    while (valueStart < lineEnd && (doc.charCodeAt(valueStart) === 32 || doc.charCodeAt(valueStart) === 9)) valueStart++;
    let next = lineEnd + 1;
    if (/^[|>][-+]?$/.test(value)) {
      // A block scalar: the value is on the following, deeper-indented line.
      const blockEnd = doc.indexOf('\n', next);
      const blockLine = doc.slice(next, blockEnd < 0 ? doc.length : blockEnd);
      value = blockLine.trim();
      valueStart = next + blockLine.length - blockLine.trimStart().length;
      next = (blockEnd < 0 ? doc.length : blockEnd) + 1;
    }
    const quote = value.charAt(0);
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      valueStart++;
    }
    const accepted = base64 ? BASE64_VALUE.test(value) && !wrapsPlaceholder(value) : value.length >= 8 && !isPlaceholderValue(value);
    if (accepted && !looksTemplated(value)) {
      out.push({ rule: KUBERNETES_SECRET_RULE, start: offset + valueStart, end: offset + valueStart + value.length, confidence: base64 ? 0.85 : 0.75 });
    }
    lineStart = next;
  }
}
