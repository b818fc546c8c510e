// The names NATS accepts for streams, consumers and subjects, as zod types: a spec with a name the server would
// refuse (or read as a wildcard) fails when it loads, with its path, not when the run starts.
import { z } from 'zod';

/**
 * Stream and consumer names: the server refuses whitespace, `.`, `*`, `>`, path separators and control
 * characters in them (they become subject tokens and file names), and keeps them short (ADR-6 advises 32 for
 * stream names on file storage; the server's limit is 255).
 */
const NAME = /^[^\s.*>/\\\p{Cc}]{1,255}$/u;

/** One subject token: anything but whitespace, the separator and the wildcards. */
const TOKEN = '[^\\s.*>\\p{Cc}]+';
/** A subject to publish to: tokens joined by `.`, no wildcards. */
const SUBJECT = new RegExp(`^${TOKEN}(\\.${TOKEN})*$`, 'u');
/** A subject filter: tokens or `*`, with an optional `>` last (or `>` alone). */
const FILTER = new RegExp(`^((${TOKEN}|\\*)(\\.(${TOKEN}|\\*))*(\\.>)?|>)$`, 'u');

export const streamNameSchema = z
  .string()
  .regex(NAME, 'a stream name has no spaces, dots, *, >, slashes or control characters (at most 255 characters)')
  .describe('The JetStream stream.');

export const consumerNameSchema = z
  .string()
  .regex(NAME, 'a consumer name has no spaces, dots, *, >, slashes or control characters (at most 255 characters)');

export const publishSubjectSchema = z
  .string()
  .max(1024)
  .regex(SUBJECT, 'a subject is tokens separated by dots (orders.created), without spaces or the wildcards * and >');

export const subjectFilterSchema = z
  .string()
  .max(1024)
  .regex(FILTER, 'a subject filter is tokens separated by dots, where a token may be * and the last may be > (orders.*.created, orders.>)');
