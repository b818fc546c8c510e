// How many payload bytes one batch of a stream source holds: with large messages a batch ends sooner, so memory
// stays bounded whatever the message size (at most two batches are held).
import { z } from 'zod';

/** A batch's payload budget unless the spec gives one. */
export const DEFAULT_MAX_BATCH_BYTES = 64 * 1024 * 1024;

export const maxBatchBytesSchema = z
  .number()
  .int()
  .min(64 * 1024)
  .max(1024 * 1024 * 1024)
  .default(DEFAULT_MAX_BATCH_BYTES)
  .describe('The most payload bytes one batch holds (a larger message still goes, alone): with large messages a batch ends sooner, so memory stays bounded (at most two batches are held).');
