// The anomaly detection thresholds as one declaration: validation, defaults and the reference docs derive from it.
// The only file of audit/anomaly with a dependency (zod, the project's spec language); the detectors take the
// parsed result.
import { z } from 'zod';
import { SluiceError } from '../../errors.ts';
import { durationSchema, parseDuration } from '../../spec/duration.ts';

const duration = (fallback: string, what: string) => durationSchema.default(fallback).describe(what);

const trackedKeys = z
  .number()
  .int()
  .min(1)
  .max(10_000_000)
  .default(10_000)
  .describe('How many principals (or addresses) the detector remembers; the least recently seen is forgotten first, and starts a new warm-up when it comes back.');

export const volumeConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    bucket: duration('1h', 'The time bucket whose record count is compared with the baseline.'),
    alpha: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.02)
      .describe('EWMA smoothing: the weight of the newest active bucket (0.02 ≈ a memory of 50 active buckets, about ten working days of hours).'),
    zThreshold: z.number().positive().default(4).describe('Alert when (√count − mean) / standard deviation, over the principal’s active buckets, exceeds this.'),
    minRatio: z
      .number()
      .min(1)
      .default(3)
      .describe('Alert only when the bucket holds at least this many times the principal’s usual volume, however small its spread (a very steady job does not alert on a modest rise).'),
    warmupBuckets: z.number().int().min(1).default(24).describe('Active buckets (with at least one read) seen before a principal can alert.'),
    minVolume: z.number().min(0).default(100).describe('Records in the bucket below which no alert is raised, whatever the score (tiny baselines are noise).'),
    maxTrackedPrincipals: trackedKeys,
  })
  .describe('Data-access volume far above the principal’s own baseline.');

export const failedAuthConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    threshold: z.number().int().min(2).max(10_000).default(10).describe('Failures in the window that make a burst.'),
    window: duration('5m', 'The sliding window; a burst ends (and the key re-arms) after a window with no failure.'),
    maxTrackedPrincipals: trackedKeys,
    maxTrackedSources: trackedKeys,
  })
  .describe('Bursts of failed authentications, per principal and per source address.');

export const unusualHourConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    bins: z.union([z.literal(24), z.literal(168)]).default(24).describe('24 hours of the day, or 168 hours of the week.'),
    utcOffsetMinutes: z.number().int().min(-840).max(840).default(0).describe('The offset of the local time the hours are counted in (UTC by default).'),
    minShare: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.02)
      .describe('Alert when the hour (with its neighbours) holds less than this share of the principal’s weighted active hours. With 168 bins each share is about 7 times smaller: lower it (0.002) and give it a longer history.'),
    neighbourHours: z.number().int().min(0).max(3).default(1).describe('Hours either side counted with the hour, so working an hour late is not unusual.'),
    halfLife: duration('14d', 'How fast old habits fade: an access this long ago weighs half as much as one now.'),
    warmupAccesses: z.number().int().min(1).default(50).describe('Prior accesses before the principal can alert.'),
    warmupSpan: duration('7d', 'And the time since the principal’s first access before it can alert.'),
    cooldown: duration('1h', 'At most one alert per principal in this time.'),
    maxTrackedPrincipals: trackedKeys,
  })
  .describe('Access at hours far outside the principal’s usual pattern.');

export const newDatasetsConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    threshold: z.number().int().min(2).max(1000).default(10).describe('Datasets never touched before, within the window, that make an alert.'),
    window: duration('1d', 'The sliding window; the principal re-arms after a window with no new dataset.'),
    warmup: duration('7d', 'Time since the principal’s first access before new datasets count (everything is new at first).'),
    maxDatasetsPerPrincipal: z.number().int().min(1).max(100_000).default(512).describe('Datasets remembered per principal; the least recently touched is forgotten first.'),
    maxTrackedPrincipals: trackedKeys,
  })
  .describe('A principal touching many datasets it never touched before.');

export const anomalyConfigSchema = z
  .strictObject({
    volume: volumeConfigSchema.prefault({}),
    failedAuth: failedAuthConfigSchema.prefault({}),
    unusualHour: unusualHourConfigSchema.prefault({}),
    newDatasets: newDatasetsConfigSchema.prefault({}),
  })
  .describe('Anomaly detection over the audit event stream. Memory is bounded: each detector keeps at most its maxTracked* keys.');

export type VolumeConfig = z.output<typeof volumeConfigSchema>;
export type FailedAuthConfig = z.output<typeof failedAuthConfigSchema>;
export type UnusualHourConfig = z.output<typeof unusualHourConfigSchema>;
export type NewDatasetsConfig = z.output<typeof newDatasetsConfigSchema>;
export type AnomalyConfig = z.output<typeof anomalyConfigSchema>;
export type AnomalyConfigInput = z.input<typeof anomalyConfigSchema>;
export type VolumeConfigInput = z.input<typeof volumeConfigSchema>;
export type FailedAuthConfigInput = z.input<typeof failedAuthConfigSchema>;
export type UnusualHourConfigInput = z.input<typeof unusualHourConfigSchema>;
export type NewDatasetsConfigInput = z.input<typeof newDatasetsConfigSchema>;

/**
 * Validates `input` against `schema` and fills the defaults; every problem is reported at once with its path
 * (`volume.zThreshold: …`) as SLUICE_SETTINGS_INVALID.
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, where = 'anomaly'): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new SluiceError('SLUICE_SETTINGS_INVALID', `the ${where} detection settings are not valid`, {
    details: result.error.issues.map((issue) => {
      const path = [where, ...issue.path.map(String)].join('.');
      return issue.code === 'unrecognized_keys' ? `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : `${path}: ${issue.message}`;
    }),
  });
}

export function parseAnomalyConfig(input: unknown = {}): AnomalyConfig {
  return parseConfig(anomalyConfigSchema, input);
}

/** Milliseconds of a duration the schema already checked. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new SluiceError('SLUICE_SETTINGS_INVALID', `'${text}' is not a duration such as 5m, 1h or 7d`);
  return ms;
}
