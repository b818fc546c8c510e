// Progress output: a redrawn bar with rate and ETA on a terminal, plain periodic lines elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { plainProgress, terminalProgress } from './progress.ts';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

test('the terminal bar redraws in place with percent, records, rate and ETA, and clears itself at the end', async () => {
  const { stream, text } = capture();
  const bar = terminalProgress(stream as unknown as NodeJS.WriteStream);
  await sleep(120);
  bar.update({ records: 5000, done: 50, total: 100 });
  const drawn = text();
  // eslint-disable-next-line no-control-regex -- the bar is drawn with ANSI escapes
  assert.match(drawn, /^\r\x1b\[2K\[#{15}\.{15}\] {2}50\.0% {2}5,000 records {2}[\d,]+ records\/s {2}ETA \d+s$/);
  bar.finish();
  assert.ok(text().endsWith('\r\x1b[2K'));
});

test('plain progress writes whole lines no more often than asked', async () => {
  const { stream, text } = capture();
  const lines = plainProgress(stream, 50);
  lines.update({ records: 1, done: 1, total: 10 });
  assert.equal(text(), '');
  await sleep(60);
  lines.update({ records: 2, done: 2, total: 10 });
  assert.match(text(), /^progress: +20\.0% {2}2 records {2}[\d,]+ records\/s {2}ETA \S+\n$/);
});
