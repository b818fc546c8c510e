// Deterministic, keyed tokens: the same value, key and domain always give the same token, so tokenized fields
// still join and group; only a holder of the key can turn a token back into its value (AES-256-SIV).
import { SluiceError } from '../errors.ts';
import { sivOpen, SIV_KEY_BYTES } from './aes-siv.ts';
import { sivSealer } from './siv-sealer.ts';
import { hkdfExpand } from './hkdf-expand.ts';
import type { KeySource } from './envelope/envelope.ts';

/** Every token starts with this, so a token is recognisable as one (and never mistaken for a value). */
export const TOKEN_PREFIX = 'tok_';
// Small enough that a column of distinct values (no hits) churns the young generation only: at 100,000 the
// cached strings aged into the old one and a run of distinct values cost about a tenth more. Hot values (the
// same customer on many orders) still hit.
const TOKEN_CACHE_LIMIT = 16_384;
/**
 * While lookups hit less than one time in ADMIT_SAMPLE, only every ADMIT_SAMPLE-th new token is cached: in a
 * column of distinct values (e-mail addresses, ids) caching every token cost about 1 µs of a token's 2 here,
 * for no hit, while a value that recurs still gets in after a few sightings and the hits turn full caching
 * back on. Decided anew every POLICY_WINDOW lookups.
 */
const ADMIT_SAMPLE = 16;
const POLICY_WINDOW = 4096;
/** The batch scratch a tokenizer keeps between batches (a batch of 10,000 e-mail addresses needs about 1 MB). */
const KEPT_SCRATCH_BYTES = 4 * 1024 * 1024;
const TOKEN = /^tok_([1-9][0-9]{0,9})_([A-Za-z0-9_-]{22,})$/;

/** A tokenizer bound to one key version and domain. */
export interface Tokenizer {
  version: number;
  tokenize(value: string): string;
  /** The tokens of many values (a batch's column) in a few native calls: the same as `tokenize` on each. */
  tokenizeAll(values: readonly string[]): string[];
}

/** The SIV key of a key version: derived, so the version's material is used for one purpose only. */
function sivKey(material: Buffer): Buffer {
  return hkdfExpand('sha256', material, Buffer.from('sluice/token-key/v1', 'utf8'), SIV_KEY_BYTES);
}

function domainAad(domain: string): Buffer {
  return Buffer.from(`sluice/token/v1\u0000${domain}`, 'utf8');
}

/** A tokenizer on the primary version of `keyId` (created if missing) for `domain`. */
export async function openTokenizer(keys: KeySource, keyId: string, domain: string): Promise<Tokenizer> {
  await keys.ensure(keyId);
  const { version, material } = await keys.primary(keyId);
  const sealer = sivSealer(sivKey(material), domainAad(domain));
  // Tokens are deterministic, so repeated values are looked up, not recomputed: a token made on its own costs
  // about 6-11 µs here with its string and cache entry, one of a large batch 1-2, a lookup well under one.
  const seen = new Map<string, string>();
  let lookups = 0;
  let hits = 0;
  let admitAll = true;
  let notAdmitted = 0;
  const remember = (value: string, token: string): void => {
    if (!admitAll && ++notAdmitted % ADMIT_SAMPLE !== 0) return;
    if (seen.size >= TOKEN_CACHE_LIMIT) seen.clear();
    seen.set(value, token);
  };
  let batchScratch = Buffer.alloc(0);
  const tokenizeAll = (values: readonly string[]): string[] => {
    const tokens = new Array<string>(values.length);
    const missing: number[] = [];
    let chars = 0;
    for (let i = 0; i < values.length; i++) {
      const known = seen.get(values[i]!);
      if (known !== undefined) tokens[i] = known;
      else {
        missing.push(i);
        chars += values[i]!.length;
      }
    }
    lookups += values.length;
    hits += values.length - missing.length;
    if (lookups >= POLICY_WINDOW) {
      admitAll = hits * ADMIT_SAMPLE >= lookups;
      lookups = 0;
      hits = 0;
    }
    if (missing.length === 0) return tokens;
    // The values side by side in one scratch buffer, encoded in one call: when every byte is ASCII (as many
    // bytes as UTF-16 units) the bounds are the strings' lengths; otherwise each value is encoded on its own.
    // Kept between batches up to KEPT_SCRATCH_BYTES; a larger batch gets a buffer of its own, wiped and dropped.
    const need = chars * 3;
    if (batchScratch.length < need && need <= KEPT_SCRATCH_BYTES) batchScratch = Buffer.alloc(need);
    const scratch = batchScratch.length >= need ? batchScratch : Buffer.alloc(need);
    const bounds = new Uint32Array(missing.length + 1);
    let joined = '';
    for (const i of missing) joined += values[i]!;
    let used = scratch.write(joined, 0, 'utf8');
    if (used === chars) for (let k = 0; k < missing.length; k++) bounds[k + 1] = bounds[k]! + values[missing[k]!]!.length;
    else {
      scratch.fill(0, 0, used);
      used = 0;
      for (let k = 0; k < missing.length; k++) {
        used += scratch.write(values[missing[k]!]!, used, 'utf8');
        bounds[k + 1] = used;
      }
    }
    try {
      const { sealed, offsets } = sealer.sealAll({ data: scratch, bounds });
      const prefix = `${TOKEN_PREFIX}${version}_`;
      for (let k = 0; k < missing.length; k++) {
        const i = missing[k]!;
        const token = prefix + sealed.toString('base64url', offsets[k], offsets[k + 1]);
        tokens[i] = token;
        remember(values[i]!, token);
      }
    } finally {
      scratch.fill(0, 0, used);
    }
    return tokens;
  };
  // One value is a batch of one: as fast here as a path of its own (one more native call, fewer allocations).
  return { version, tokenizeAll, tokenize: (value) => tokenizeAll([value])[0]! };
}

/** The value behind a token of `keyId` and `domain`. Fails for anything that is not such a token. */
export async function detokenize(token: string, keys: KeySource, keyId: string, domain: string): Promise<string> {
  const match = TOKEN.exec(token);
  if (!match) throw new SluiceError('SLUICE_TOKEN_INVALID', 'not a Sluice token (tok_<version>_<base64url>)');
  const material = await keys.material(keyId, Number(match[1]));
  try {
    return sivOpen(sivKey(material), domainAad(domain), Buffer.from(match[2] ?? '', 'base64url')).toString('utf8');
  } catch {
    throw new SluiceError('SLUICE_TOKEN_INVALID', `the token was not made with key '${keyId}' version ${match[1]} in domain '${domain}', or was altered`);
  }
}
