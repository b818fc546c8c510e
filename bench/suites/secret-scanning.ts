// Secret scanning: accuracy on gitleaks' own examples (precision, recall and F1, the negatives another gitleaks
// rule matches counted apart) and speed in MB/s of CPU time, Sluice's scanner beside secretlint (its recommended
// preset) on the same cases and the same text, in this run.
import type { BenchRow, BenchSuite } from '../harness.ts';
import { timeIt } from '../harness.ts';
import { loadGitleaksCases, scoreSecretCases } from '../../src/secrets/scan/secret-cases.ts';
import type { SecretScore, Span } from '../../src/secrets/scan/secret-cases.ts';
import { scanSecrets } from '../../src/secrets/scan/scan.ts';
import { secretlintSpans } from '../baselines/secretlint.ts';
import { mixedText } from '../mixed-text.ts';
import { scanFiles } from '../../src/secrets/scan/scan-files.ts';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SUITE = 'secret-scanning';

const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);
const bytesOf = (texts: readonly string[]): number => texts.reduce((n, t) => n + Buffer.byteLength(t) + 1, 0);

/** The gitleaks case texts, repeated until they hold about `bytes` bytes. */
function repeatedCaseTexts(texts: readonly string[], bytes: number): string[] {
  const out: string[] = [];
  let total = 0;
  while (total < bytes) {
    for (const t of texts) {
      out.push(t);
      total += Buffer.byteLength(t) + 1;
      if (total >= bytes) break;
    }
  }
  return out;
}

function accuracyRow(name: string, ours: number, theirs: number, unit: string): BenchRow {
  return { suite: SUITE, name, value: ours, unit, baseline: { name: 'secretlint', value: theirs }, ...(theirs > 0 ? { ratio: ours / theirs } : {}) };
}

const pr = (s: SecretScore): string => `P ${s.precision.toFixed(3)}, R ${s.recall.toFixed(3)}`;

export const secretScanningSuite: BenchSuite = {
  name: SUITE,
  description: 'Secret detection precision/recall/F1 on the gitleaks examples and MB/s (CPU time) on gitleaks texts plus prose, against secretlint',
  async run({ quick }) {
    const rows: BenchRow[] = [];

    // Accuracy: every case (every fifth in quick mode), both scanners on the same cases.
    const all = loadGitleaksCases();
    const cases = quick ? all.filter((_, i) => i % 5 === 0) : all;
    const theirSpans = new Map<string, Span[]>();
    for (const c of cases) if (c.text !== '') theirSpans.set(c.id, await secretlintSpans(c.text));
    const ours = scoreSecretCases(cases, (text) => scanSecrets(text));
    const theirs = scoreSecretCases(cases, (_text, c) => theirSpans.get(c.id) ?? []);
    const counted = `${ours.truePositives + ours.falseNegatives} secrets, ${ours.trueNegatives + ours.falsePositives} negatives, ${ours.skipped} path-only skipped`;
    rows.push(accuracyRow(`F1, gitleaks cases (${pr(ours)}; secretlint ${pr(theirs)}; ${counted})`, ours.f1, theirs.f1, 'F1'));
    rows.push(accuracyRow('precision, unambiguous negatives', ours.precision, theirs.precision, 'P'));
    rows.push(accuracyRow('recall', ours.recall, theirs.recall, 'R'));
    rows.push(
      accuracyRow(
        `F1 with the ${ours.ambiguousTrueNegatives + ours.ambiguousFalsePositives} ambiguous negatives as false alarms (P ${ours.precisionWithAmbiguous.toFixed(3)}; secretlint P ${theirs.precisionWithAmbiguous.toFixed(3)})`,
        ours.f1WithAmbiguous,
        theirs.f1WithAmbiguous,
        'F1',
      ),
    );

    rows.push(await folderRow(all.map((c) => c.text).filter((t) => t !== ''), quick));

    // Speed on one text: the gitleaks case texts repeated to a few MB, then prose with PII, as one document
    // (secretlint lints documents; its per-call cost would otherwise dominate).
    const caseTexts = all.map((c) => c.text).filter((t) => t !== '');
    const half = quick ? 500_000 : 2_000_000;
    const secretLines = repeatedCaseTexts(caseTexts, half);
    const proseLines = mixedText(half, 11);
    const document = [...secretLines, ...proseLines].join('\n');
    const bytes = Buffer.byteLength(document);
    const rounds = quick ? 3 : 5;
    // One pass each before timeIt's own warm-up: both scanners are JIT-compiled regex and JavaScript, and a
    // megabyte is not enough to reach steady state.
    scanSecrets(document);
    await secretlintSpans(document);
    const sluice = await timeIt(rounds, () => scanSecrets(document), 'cpu');
    const baseline = await timeIt(quick ? 1 : 3, () => secretlintSpans(document), 'cpu');
    const ourRate = mbps(bytes, sluice.median);
    const theirRate = mbps(bytes, baseline.median);
    rows.push({
      suite: SUITE,
      name: `scanning gitleaks texts + prose as one text (${(bytes / 1e6).toFixed(1)} MB)`,
      value: ourRate,
      unit: 'MB/s',
      spread: [mbps(bytes, sluice.max), mbps(bytes, sluice.min)],
      baseline: { name: 'secretlint', value: theirRate },
      ratio: ourRate / theirRate,
    });

    // Speed on prose field by field, as the scan step runs beside the PII detectors.
    const proseBytes = bytesOf(proseLines);
    const perLine = await timeIt(rounds, () => {
      for (const line of proseLines) scanSecrets(line);
    }, 'cpu');
    // secretlint's fixed cost per call is large: a slice of the same lines gives its rate without the wait.
    const slice = proseLines.slice(0, Math.ceil(proseLines.length / (quick ? 20 : 80)));
    const sliceTime = await timeIt(1, async () => {
      for (const line of slice) await secretlintSpans(line);
    }, 'cpu');
    const proseRate = mbps(proseBytes, perLine.median);
    const theirProseRate = mbps(bytesOf(slice), sliceTime.median);
    rows.push({
      suite: SUITE,
      name: `scanning prose field by field (${(proseBytes / 1e6).toFixed(1)} MB, ${proseLines.length} lines)`,
      value: proseRate,
      unit: 'MB/s',
      spread: [mbps(proseBytes, perLine.max), mbps(proseBytes, perLine.min)],
      baseline: { name: 'secretlint', value: theirProseRate },
      ratio: proseRate / theirProseRate,
      target: { text: '≥ 100 MB/s', met: proseRate >= 100 },
    });
    return rows;
  },
};

/**
 * Speed on the same files, as each tool scans a folder: every gitleaks case text as a file of its own, and
 * prose in 16 KB files, written to a temporary folder. Sluice: `scanFiles` (what `sluice check --secrets`
 * runs). secretlint: each file read and linted with `lintSource`, as its command line does. Both read the files
 * from disk; CPU time.
 */
async function folderRow(caseTexts: readonly string[], quick: boolean): Promise<BenchRow> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-secrets-'));
  try {
    await mkdir(join(dir, 'cases'));
    await mkdir(join(dir, 'prose'));
    // secretlint takes about 18 ms per file here, so a sample of the cases: every 8th (every 40th quick).
    const texts = caseTexts.filter((_, i) => i % (quick ? 40 : 8) === 0);
    await Promise.all(texts.map((t, i) => writeFile(join(dir, 'cases', `${String(i).padStart(5, '0')}.txt`), t)));
    const chunks: string[] = [];
    let chunk = '';
    for (const line of mixedText(quick ? 250_000 : 1_000_000, 17)) {
      chunk += line + '\n';
      if (chunk.length >= 16_384) {
        chunks.push(chunk);
        chunk = '';
      }
    }
    if (chunk !== '') chunks.push(chunk);
    await Promise.all(chunks.map((t, i) => writeFile(join(dir, 'prose', `${String(i).padStart(4, '0')}.txt`), t)));
    const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0) + chunks.reduce((n, t) => n + Buffer.byteLength(t), 0);
    const secretlintFolder = async () => {
      for (const file of files) await secretlintSpans(await readFile(file, 'utf8'));
    };
    const sluice = await timeIt(quick ? 2 : 5, () => scanFiles(dir), 'cpu');
    const baseline = await timeIt(1, secretlintFolder, 'cpu');
    const ours = mbps(bytes, sluice.median);
    const theirs = mbps(bytes, baseline.median);
    return {
      suite: SUITE,
      name: `scanning a folder: ${texts.length} gitleaks case files + ${chunks.length} prose files (${(bytes / 1e6).toFixed(1)} MB), read from disk`,
      value: ours,
      unit: 'MB/s',
      spread: [mbps(bytes, sluice.max), mbps(bytes, sluice.min)],
      baseline: { name: 'secretlint', value: theirs },
      ratio: ours / theirs,
      target: { text: '≥ 5× secretlint', met: ours / theirs >= 5 },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
