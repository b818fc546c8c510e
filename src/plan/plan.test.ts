// Tests of the planner's lineage rules: one table of small specs, each with the findings and sink fields it must give.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtinRegistry } from '../builtins.ts';
import { validateSpec } from '../spec/validate.ts';
import { fileOnlyLocator, formatLocation } from '../spec/location.ts';
import type { Location } from '../spec/location.ts';
import { parseYamlSpec } from '../spec/yaml-document.ts';
import type { Classification } from '../spec/classification.ts';
import type { CustomStepDefinition } from '../steps/custom-step.ts';
import { defineStep } from '../steps/custom-step.ts';
import { planPipeline } from './plan.ts';
import type { Plan } from './plan.ts';
import type { Finding, RuleId } from './findings.ts';

const registry = builtinRegistry();

interface SinkCase {
  name: string;
  clearance: Classification;
  fields?: string[];
}

interface ExpectedFinding {
  rule: RuleId;
  /** The field concerned; SLC105 (an empty sink) names none. */
  field?: string;
  /** The sink the finding is about, when it is about one. */
  sink?: string;
  /** Substrings the message must contain ("Did you mean", "protected by"). */
  says?: string[];
  /** Each hop of the flow must start with the matching prefix, in order. */
  flow?: string[];
}

interface ExpectedField {
  name: string;
  class: Classification;
  /** The label of the protecting step, or undefined when the field arrives in plaintext. */
  protectedBy: string | undefined;
  origins: string[];
}

interface LineageCase {
  name: string;
  /** Field name to classification; every field is a string. */
  fields: Record<string, Classification>;
  subject?: string;
  steps?: unknown[];
  sinks: SinkCase[];
  findings: ExpectedFinding[];
  /** Per sink name, every field that reaches it (order does not matter). */
  reaches?: Record<string, ExpectedField[]>;
}

/** A spec document written the way a user would, one file sink per entry of `sinks`. */
function specDocument(c: Pick<LineageCase, 'fields' | 'subject' | 'steps' | 'sinks'>): Record<string, unknown> {
  const fields = Object.fromEntries(Object.entries(c.fields).map(([name, cls]) => [name, { type: 'string', class: cls }]));
  return {
    pipeline: 'lineage',
    source: { file: { path: 'in.jsonl' } },
    contract: { ...(c.subject !== undefined ? { subject: c.subject } : {}), fields },
    steps: c.steps ?? [],
    sinks: c.sinks.map((s) => ({ file: { name: s.name, dir: `out/${s.name}`, clearance: s.clearance, ...(s.fields ? { fields: s.fields } : {}) } })),
  };
}

function planOf(c: Pick<LineageCase, 'fields' | 'subject' | 'steps' | 'sinks'>): Plan {
  const result = validateSpec(specDocument(c), registry, fileOnlyLocator('lineage.ts'), '/tmp');
  assert.deepEqual(result.issues, [], 'the case spec itself must be valid');
  assert.ok(result.spec);
  return planPipeline(result.spec);
}

/** The sink a finding is about: the last hop of its flow, or the sink its message names. */
function sinkOf(finding: Finding): string | undefined {
  const last = finding.flow?.at(-1);
  const fromFlow = last === undefined ? undefined : /^sink (\S+) /.exec(last)?.[1];
  return fromFlow ?? /sink '([^']+)'/.exec(finding.message)?.[1];
}

const key = (f: { rule: string; field?: string | undefined; sink?: string | undefined }): string => `${f.rule} ${f.field ?? '-'} @${f.sink ?? '-'}`;

/** A custom step that computes its outputs from its inputs; apply is never run by the planner. */
function custom(definition: Omit<CustomStepDefinition, 'apply'>): { custom: CustomStepDefinition } {
  return { custom: defineStep({ ...definition, apply: () => ({}) }) };
}

const CASES: LineageCase[] = [
  {
    name: 'a restricted field reaching an internal sink in plaintext is SLC101',
    fields: { email: 'restricted', country: 'public' },
    sinks: [{ name: 'analytics', clearance: 'internal' }],
    findings: [{ rule: 'SLC101', field: 'email', sink: 'analytics', says: ['restricted', 'plaintext'], flow: ['source field email', 'sink analytics'] }],
    reaches: {
      analytics: [
        { name: 'email', class: 'restricted', protectedBy: undefined, origins: ['email'] },
        { name: 'country', class: 'public', protectedBy: undefined, origins: ['country'] },
      ],
    },
  },
  {
    name: 'the same field masked passes: internal, protected by the mask step',
    fields: { email: 'restricted', country: 'public' },
    steps: [{ mask: { fields: ['email'] } }],
    sinks: [{ name: 'analytics', clearance: 'internal' }],
    findings: [],
    reaches: {
      analytics: [
        { name: 'email', class: 'internal', protectedBy: 'steps[0] mask', origins: ['email'] },
        { name: 'country', class: 'public', protectedBy: undefined, origins: ['country'] },
      ],
    },
  },
  {
    name: 'a rename carries class and origins to the new name',
    fields: { email: 'restricted' },
    steps: [{ rename: { fields: { email: 'contact' } } }],
    sinks: [{ name: 'support', clearance: 'confidential' }],
    findings: [{ rule: 'SLC101', field: 'contact', sink: 'support', flow: ['source field email', 'steps[0] rename', 'sink support'] }],
    reaches: { support: [{ name: 'contact', class: 'restricted', protectedBy: undefined, origins: ['email'] }] },
  },
  {
    name: 'a masked field keeps its protection through a later rename',
    fields: { email: 'restricted' },
    steps: [{ mask: { fields: ['email'] } }, { rename: { fields: { email: 'contact' } } }],
    sinks: [{ name: 'analytics', clearance: 'internal' }],
    findings: [],
    reaches: { analytics: [{ name: 'contact', class: 'internal', protectedBy: 'steps[0] mask', origins: ['email'] }] },
  },
  {
    name: 'renaming onto an existing name is SLC104, and the value that wins is the renamed one',
    fields: { email: 'restricted', country: 'public' },
    steps: [{ rename: { fields: { email: 'country' } } }],
    sinks: [{ name: 'vault', clearance: 'restricted' }],
    findings: [{ rule: 'SLC104', field: 'country' }],
    reaches: { vault: [{ name: 'country', class: 'restricted', protectedBy: undefined, origins: ['email'] }] },
  },
  {
    name: 'a dropped field reaches no sink',
    fields: { email: 'restricted', country: 'public' },
    steps: [{ drop: { fields: ['email'] } }],
    sinks: [{ name: 'open', clearance: 'public' }],
    findings: [],
    reaches: { open: [{ name: 'country', class: 'public', protectedBy: undefined, origins: ['country'] }] },
  },
  {
    name: 'dropping an unknown field is SLC102 with a did-you-mean',
    fields: { email: 'restricted' },
    steps: [{ drop: { fields: ['emal'] } }],
    sinks: [{ name: 'vault', clearance: 'restricted' }],
    findings: [{ rule: 'SLC102', field: 'emal', says: ["Did you mean 'email'"] }],
  },
  {
    name: 'a field dropped by an earlier step is unknown to a later one',
    fields: { email: 'restricted' },
    steps: [{ drop: { fields: ['email'] } }, { mask: { fields: ['email'] } }],
    sinks: [{ name: 'vault', clearance: 'restricted' }],
    findings: [{ rule: 'SLC102', field: 'email' }, { rule: 'SLC105', sink: 'vault' }],
  },
  {
    name: 'a step that protects some fields leaves the others in plaintext: mask [a] flags only b',
    fields: { a: 'restricted', b: 'restricted' },
    steps: [{ mask: { fields: ['a'] } }],
    sinks: [{ name: 'analytics', clearance: 'internal' }],
    findings: [{ rule: 'SLC101', field: 'b', sink: 'analytics' }],
    reaches: {
      analytics: [
        { name: 'a', class: 'internal', protectedBy: 'steps[0] mask', origins: ['a'] },
        { name: 'b', class: 'restricted', protectedBy: undefined, origins: ['b'] },
      ],
    },
  },
  {
    name: "a sink's fields projection: only the listed fields reach it and are checked",
    fields: { email: 'restricted', country: 'public' },
    sinks: [{ name: 'open', clearance: 'public', fields: ['country'] }],
    findings: [],
    reaches: { open: [{ name: 'country', class: 'public', protectedBy: undefined, origins: ['country'] }] },
  },
  {
    name: 'a projection listing an unknown field is SLC102 with a did-you-mean',
    fields: { email: 'restricted', country: 'public' },
    sinks: [{ name: 'open', clearance: 'public', fields: ['country', 'contry'] }],
    findings: [{ rule: 'SLC102', field: 'contry', sink: 'open', says: ["Did you mean 'country'"] }],
    reaches: { open: [{ name: 'country', class: 'public', protectedBy: undefined, origins: ['country'] }] },
  },
  {
    name: 'a projection listing a dropped field is SLC102',
    fields: { email: 'restricted', country: 'public' },
    steps: [{ drop: { fields: ['email'] } }],
    sinks: [{ name: 'vault', clearance: 'restricted', fields: ['email', 'country'] }],
    findings: [{ rule: 'SLC102', field: 'email', sink: 'vault' }],
    reaches: { vault: [{ name: 'country', class: 'public', protectedBy: undefined, origins: ['country'] }] },
  },
  {
    name: 'a custom step field derived from a restricted and a public field is restricted',
    fields: { email: 'restricted', country: 'public' },
    steps: [custom({ name: 'domain', reads: ['email', 'country'], writes: { domain_country: { type: 'string' } } })],
    sinks: [{ name: 'analytics', clearance: 'internal', fields: ['domain_country', 'country'] }],
    findings: [
      {
        rule: 'SLC101',
        field: 'domain_country',
        sink: 'analytics',
        flow: ['source field email', 'source field country', "steps[0] custom: custom step 'domain' computes", 'sink analytics'],
      },
    ],
    reaches: {
      analytics: [
        { name: 'domain_country', class: 'restricted', protectedBy: undefined, origins: ['email', 'country'] },
        { name: 'country', class: 'public', protectedBy: undefined, origins: ['country'] },
      ],
    },
  },
  {
    name: "a custom step output declared protective: 'internal' is internal and protected",
    fields: { email: 'restricted' },
    steps: [custom({ name: 'hash', reads: ['email'], writes: { email_hash: { type: 'string', protective: 'internal' } }, drops: ['email'] })],
    sinks: [{ name: 'analytics', clearance: 'internal' }],
    findings: [],
    reaches: { analytics: [{ name: 'email_hash', class: 'internal', protectedBy: 'steps[0] custom', origins: ['email'] }] },
  },
  {
    name: 'a custom step output carries the highest class of everything the step reads (no narrower claim is possible)',
    fields: { email: 'restricted', country: 'public' },
    steps: [custom({ name: 'upper', reads: ['email', 'country'], writes: { country_upper: { type: 'string' } } })],
    sinks: [{ name: 'open', clearance: 'public', fields: ['country_upper'] }],
    findings: [{ rule: 'SLC101', field: 'country_upper', sink: 'open' }],
    reaches: { open: [{ name: 'country_upper', class: 'restricted', protectedBy: undefined, origins: ['email', 'country'] }] },
  },
  {
    name: 'a custom step overwriting a field it does not read is SLC104 (it would relabel a restricted value)',
    fields: { ssn: 'restricted', zip: 'public' },
    steps: [custom({ name: 'relabel', reads: ['zip'], writes: { ssn: { type: 'string' } } })],
    sinks: [{ name: 'open', clearance: 'public', fields: ['zip'] }],
    findings: [{ rule: 'SLC104', field: 'ssn' }],
  },
  {
    name: 'masking a public field leaves it public: protection never raises a class',
    fields: { country: 'public' },
    steps: [{ mask: { fields: ['country'] } }],
    sinks: [{ name: 'open', clearance: 'public' }],
    findings: [],
    reaches: { open: [{ name: 'country', class: 'public', protectedBy: 'steps[0] mask', origins: ['country'] }] },
  },
  {
    name: 'a custom step reading a field the contract lacks is SLC102',
    fields: { email: 'restricted' },
    steps: [custom({ name: 'score', reads: ['emal'], writes: { score: { type: 'number' } } })],
    sinks: [{ name: 'vault', clearance: 'restricted' }],
    findings: [{ rule: 'SLC102', field: 'emal', says: ["Did you mean 'email'"] }],
  },
  {
    name: 'a subject field the contract does not declare is SLC103',
    fields: { customer_id: 'internal' },
    subject: 'custmer_id',
    sinks: [{ name: 'analytics', clearance: 'internal' }],
    findings: [{ rule: 'SLC103', field: 'custmer_id', says: ["Did you mean 'customer_id'"] }],
  },
  {
    name: 'a masked field (internal) is still above a public sink: SLC101 saying what protected it',
    fields: { email: 'restricted' },
    steps: [{ mask: { fields: ['email'], keepLast: 2 } }],
    sinks: [{ name: 'open', clearance: 'public' }],
    findings: [{ rule: 'SLC101', field: 'email', sink: 'open', says: ['protected by steps[0] mask', 'internal'], flow: ['source field email', 'steps[0] mask', 'sink open'] }],
    reaches: { open: [{ name: 'email', class: 'internal', protectedBy: 'steps[0] mask', origins: ['email'] }] },
  },
  {
    name: 'a protective custom output (internal) is still above a public sink',
    fields: { email: 'restricted' },
    steps: [custom({ name: 'hash', reads: ['email'], writes: { email_hash: { type: 'string', protective: 'internal' } }, drops: ['email'] })],
    sinks: [{ name: 'open', clearance: 'public' }],
    findings: [{ rule: 'SLC101', field: 'email_hash', sink: 'open', says: ['protected by steps[0] custom'] }],
  },
  {
    name: 'a clearance equal to the class passes, at every level',
    fields: { p: 'public', i: 'internal', c: 'confidential', r: 'restricted' },
    sinks: [
      { name: 'to-public', clearance: 'public', fields: ['p'] },
      { name: 'to-internal', clearance: 'internal', fields: ['i'] },
      { name: 'to-confidential', clearance: 'confidential', fields: ['c'] },
      { name: 'to-restricted', clearance: 'restricted', fields: ['r'] },
    ],
    findings: [],
  },
  {
    name: 'several sinks are each judged against their own clearance',
    fields: { full_name: 'confidential', country: 'public' },
    sinks: [
      { name: 'open', clearance: 'public' },
      { name: 'support', clearance: 'confidential' },
      { name: 'analytics', clearance: 'internal' },
    ],
    findings: [
      { rule: 'SLC101', field: 'full_name', sink: 'open' },
      { rule: 'SLC101', field: 'full_name', sink: 'analytics' },
    ],
    reaches: {
      support: [
        { name: 'full_name', class: 'confidential', protectedBy: undefined, origins: ['full_name'] },
        { name: 'country', class: 'public', protectedBy: undefined, origins: ['country'] },
      ],
    },
  },
  {
    name: "a finding's flow lists the source field, each step hop, and the sink",
    fields: { email: 'restricted', country: 'public' },
    steps: [{ rename: { fields: { email: 'contact' } } }, { mask: { fields: ['contact'] } }, { rename: { fields: { contact: 'contact_masked' } } }],
    sinks: [{ name: 'open', clearance: 'public', fields: ['contact_masked'] }],
    findings: [
      {
        rule: 'SLC101',
        field: 'contact_masked',
        sink: 'open',
        flow: ['source field email (restricted)', 'steps[0] rename: renamed email -> contact', 'steps[1] mask: masked', 'steps[2] rename: renamed contact -> contact_masked', 'sink open (clearance public)'],
      },
    ],
    reaches: { open: [{ name: 'contact_masked', class: 'internal', protectedBy: 'steps[1] mask', origins: ['email'] }] },
  },
  {
    name: 'a sink no field reaches is an SLC105 warning',
    fields: { email: 'restricted' },
    steps: [{ drop: { fields: ['email'] } }],
    sinks: [{ name: 'vault', clearance: 'restricted' }],
    findings: [{ rule: 'SLC105', sink: 'vault' }],
    reaches: { vault: [] },
  },
];

describe('planPipeline lineage rules', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const plan = planOf(c);
      // Compared as sets: a step may name one missing field at several options (a custom step's reads and each
      // write), and the rule, field and sink are what a user acts on.
      const actual = [...new Set(plan.findings.map((f) => key({ rule: f.rule, field: f.field, sink: sinkOf(f) })))].sort();
      const expected = [...new Set(c.findings.map((f) => key(f)))].sort();
      assert.deepEqual(actual, expected);

      for (const want of c.findings) {
        const got = plan.findings.find((f) => key({ rule: f.rule, field: f.field, sink: sinkOf(f) }) === key(want));
        assert.ok(got);
        assert.equal(got.severity, want.rule === 'SLC105' ? 'warning' : 'error');
        assert.ok(got.fix.length > 0, 'every finding says how to fix it');
        for (const part of want.says ?? []) assert.ok(got.message.includes(part), `${JSON.stringify(got.message)} should include ${JSON.stringify(part)}`);
        if (want.flow) {
          assert.ok(got.flow, 'an SLC101 finding carries its flow');
          assert.equal(got.flow.length, want.flow.length, `flow: ${JSON.stringify(got.flow)}`);
          want.flow.forEach((prefix, i) => assert.ok(got.flow?.[i]?.startsWith(prefix), `hop ${i}: ${JSON.stringify(got.flow?.[i])} should start with ${JSON.stringify(prefix)}`));
        }
      }

      for (const [sinkName, fields] of Object.entries(c.reaches ?? {})) {
        const sinkPlan = plan.sinks.find((s) => s.sink.name === sinkName);
        assert.ok(sinkPlan, `sink ${sinkName} is planned`);
        const got = sinkPlan.fields
          .map((f) => ({ name: f.name, class: f.class, protectedBy: f.protectedBy, origins: [...f.origins] }))
          .sort((a, b) => a.name.localeCompare(b.name));
        assert.deepEqual(got, [...fields].sort((a, b) => a.name.localeCompare(b.name)));
      }
    });
  }

  test('errors come before warnings in the findings, each keeping its order', () => {
    // The first sink's warning is found before the second sink's error.
    const plan = planOf({
      fields: { email: 'restricted' },
      steps: [{ drop: { fields: ['email'] } }],
      sinks: [{ name: 'empty', clearance: 'public' }, { name: 'listed', clearance: 'public', fields: ['email'] }],
    });
    assert.deepEqual(
      plan.findings.map((f) => `${f.severity} ${f.rule} @${sinkOf(f) ?? '-'}`),
      ['error SLC102 @listed', 'warning SLC105 @empty', 'warning SLC105 @listed'],
    );
  });
});

/** The 1-based line and column where `needle` first occurs in `text` (after `after`, when given). */
function positionOf(text: string, needle: string, after = ''): { line: number; column: number } {
  const start = after === '' ? 0 : text.indexOf(after);
  assert.ok(start >= 0, `marker ${JSON.stringify(after)} not in text`);
  const offset = text.indexOf(needle, start);
  assert.ok(offset >= 0, `needle ${JSON.stringify(needle)} not in text`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

const lineColumn = (location: Location): { line: number | undefined; column: number | undefined } => ({ line: location.line, column: location.column });

describe('finding locations in a YAML spec', () => {
  const text = [
    'pipeline: located',
    'source:',
    '  file: { path: in.jsonl }',
    'contract:',
    '  subject: custmer_id',
    '  fields:',
    '    customer_id: { type: string, class: internal }',
    '    email:       { type: string, class: restricted }',
    '    country:     { type: string, class: public }',
    'steps:',
    '  - mask:',
    '      fields: [emial]',
    '  - rename:',
    '      fields:',
    '        country: customer_id',
    'sinks:',
    '  - file:',
    '      name: open',
    '      dir: out/open',
    '      clearance: public',
    '  - file:',
    '      name: vault',
    '      dir: out/vault',
    '      clearance: restricted',
    '      fields: [email, nope]',
    '',
  ].join('\n');

  test('each finding points at the line and column of the option that causes it', () => {
    const parsed = parseYamlSpec(text, 'located.yaml');
    assert.deepEqual(parsed.issues, []);
    const result = validateSpec(parsed.data, registry, parsed.locator, '/tmp');
    assert.deepEqual(result.issues, []);
    assert.ok(result.spec);
    const plan = planPipeline(result.spec);

    const expected: Record<string, { line: number; column: number }> = {
      'SLC103 custmer_id': positionOf(text, 'subject:'),
      'SLC102 emial': positionOf(text, 'emial'),
      'SLC104 customer_id': positionOf(text, 'country: customer_id'),
      'SLC101 email': positionOf(text, 'clearance: public'),
      'SLC102 nope': positionOf(text, 'nope'),
    };
    const got = Object.fromEntries(plan.findings.map((f) => [`${f.rule} ${f.field ?? ''}`, lineColumn(f.location)]));
    assert.deepEqual(got, expected);
    for (const finding of plan.findings) assert.equal(finding.location.file, 'located.yaml');
  });

  test("an SLC101 message names where the field is declared", () => {
    const parsed = parseYamlSpec(text, 'located.yaml');
    const result = validateSpec(parsed.data, registry, parsed.locator, '/tmp');
    assert.ok(result.spec);
    const finding = planPipeline(result.spec).findings.find((f) => f.rule === 'SLC101' && f.field === 'email');
    assert.ok(finding);
    const declared = positionOf(text, 'email:', 'fields:');
    assert.ok(finding.message.includes(formatLocation({ file: 'located.yaml', ...declared })), finding.message);
  });
});

for (const [template, expected] of [
  ['pipeline.yaml', [['SLC108', 'warning']]],
  ['pipeline-file.yaml', []],
] as const) describe(`the quickstart (${template})`, () => {
  const quickstart = readFileSync(fileURLToPath(new URL(`../../examples/quickstart/${template}`, import.meta.url)), 'utf8');
  const planYaml = (text: string): Plan => {
    const parsed = parseYamlSpec(text, 'pipeline.yaml');
    assert.deepEqual(parsed.issues, []);
    const result = validateSpec(parsed.data, registry, parsed.locator, '/tmp');
    assert.deepEqual(result.issues, []);
    assert.ok(result.spec);
    return planPipeline(result.spec);
  };

  test('as shipped, it plans with no findings but the loopback opt-in of the demo API (SLC108)', () => {
    assert.deepEqual(planYaml(quickstart).findings.map((f) => [f.rule, f.severity]), expected);
  });

  test("without card_number's mask step, card_number is SLC101 at both sinks, with a fix", () => {
    const lines = quickstart.split('\n');
    const maskLine = lines.findIndex((line) => /^\s*- mask:.*\bcard_number\b/.test(line));
    assert.ok(maskLine >= 0, "the quickstart masks card_number in a step of its own");
    const broken = [...lines.slice(0, maskLine), ...lines.slice(maskLine + 1)].join('\n');

    const findings = planYaml(broken).findings.filter((f) => f.rule !== 'SLC108');
    assert.ok(findings.length > 0);
    for (const finding of findings) {
      assert.equal(finding.rule, 'SLC101');
      assert.equal(finding.field, 'card_number');
      assert.ok(finding.message.includes('restricted'), finding.message);
      assert.ok(finding.fix.includes('card_number'), finding.fix);
      assert.equal(finding.flow?.[0], 'source field card_number (restricted)');
    }
    assert.deepEqual(findings.map((f) => sinkOf(f)).sort(), ['analytics', 'support']);
    for (const finding of findings) assert.ok(finding.message.includes(`sink '${sinkOf(finding) ?? ''}'`), finding.message);
  });
});

test('an explicit opt-out of a secure default (plain HTTP to a loopback S3 endpoint) is reported as SLC108 at the option', () => {
  const text = [
    'pipeline: optout',
    'source:',
    '  file: { path: in.jsonl }',
    'contract:',
    '  fields:',
    '    id: { type: string, class: internal }',
    'sinks:',
    '  - s3:',
    '      bucket: lake',
    '      endpoint: http://127.0.0.1:4569',
    '      insecureLoopbackHttp: true',
    '      clearance: internal',
    '',
  ].join('\n');
  const parsed = parseYamlSpec(text, 'optout.yaml');
  const result = validateSpec(parsed.data, registry, parsed.locator, '/tmp');
  assert.deepEqual(result.issues, []);
  assert.ok(result.spec);
  const findings = planPipeline(result.spec).findings;
  assert.deepEqual(findings.map((f) => [f.rule, f.severity]), [['SLC108', 'warning']]);
  assert.deepEqual(lineColumn(findings[0]!.location), positionOf(text, 'insecureLoopbackHttp'));
  assert.match(findings[0]!.message, /plain HTTP/);
});
