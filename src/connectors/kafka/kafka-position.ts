// A Kafka source's position: the topic and, per partition, the offset after the last message handed to the
// runtime ({ topic: "orders", "0": "1532", "3": "977" }). Offsets are decimal strings: Kafka's are 64-bit.
import { SluiceError } from '../../errors.ts';
import type { SourcePosition } from '../source.ts';

export function encodePosition(topic: string, next: ReadonlyMap<number, bigint>): SourcePosition {
  const position: Record<string, string> = { topic };
  for (const [partition, offset] of [...next].sort((a, b) => a[0] - b[0])) position[String(partition)] = offset.toString();
  return position;
}

/** The offsets of a saved position, checked: it must be one this source wrote for this topic. */
export function decodePosition(position: SourcePosition, topic: string): Map<number, bigint> {
  const refuse = (why: string) =>
    new SluiceError('SLUICE_RESUME_MISMATCH', `the saved position of kafka topic ${topic} ${why}; rerun with --fresh (the consumer group's committed offsets still say where to go on)`);
  if (position.topic !== topic) throw refuse(`was saved for another topic ('${String(position.topic)}')`);
  const next = new Map<number, bigint>();
  for (const [key, value] of Object.entries(position)) {
    if (key === 'topic') continue;
    if (!/^(?:0|[1-9][0-9]{0,9})$/.test(key) || typeof value !== 'string' || !/^(?:0|[1-9][0-9]{0,18})$/.test(value)) throw refuse('is not one this source wrote');
    next.set(Number(key), BigInt(value));
  }
  return next;
}
