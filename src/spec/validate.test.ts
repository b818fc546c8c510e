// Tests of spec validation: every problem comes back at once with its path; unknown keys (prototype keys too) are
// refused; the examples every built-in component declares validate.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { builtinRegistry } from '../builtins.ts';
import type { ComponentKind } from './component.ts';
import { fileOnlyLocator, formatPath } from './location.ts';
import { sinkOptionsSchema } from './pipeline-schema.ts';
import { parseYamlSpec } from './yaml-document.ts';
import { validateSpec } from './validate.ts';
import type { ValidationResult } from './validate.ts';

const registry = builtinRegistry();
const validate = (document: unknown): ValidationResult => validateSpec(document, registry, fileOnlyLocator('spec.ts'), '/tmp');

/** A valid spec; tests copy it and break one thing at a time. */
function validDocument(): Record<string, unknown> {
  return {
    pipeline: 'customers',
    source: { file: { path: 'in.jsonl' } },
    contract: {
      subject: 'customer_id',
      fields: {
        customer_id: { type: 'string', class: 'internal' },
        email: { type: 'string', class: 'restricted', pii: 'email' },
        card_number: { type: 'string', class: 'restricted', pii: 'payment_card' },
      },
    },
    steps: [{ mask: { fields: ['card_number'], keepLast: 4 } }, { drop: { fields: ['email'] } }],
    sinks: [{ file: { name: 'analytics', dir: 'out/analytics', clearance: 'internal' } }],
  };
}

/** Issues by formatted path, so a test reads like the CLI's output. */
function byPath(result: ValidationResult): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const issue of result.issues) {
    const path = formatPath(issue.path);
    map.set(path, [...(map.get(path) ?? []), issue.message]);
  }
  return map;
}

describe('validateSpec', () => {
  test('a valid spec gives a spec with defaults filled in and no issues', () => {
    const result = validate(validDocument());
    assert.deepEqual(result.issues, []);
    assert.ok(result.spec);
    assert.equal(result.spec.pipeline, 'customers');
    assert.equal(result.spec.baseDir, '/tmp');
    assert.deepEqual(result.spec.steps.map((s) => [s.component.name, s.path]), [['mask', ['steps', 0, 'mask']], ['drop', ['steps', 1, 'drop']]]);
    assert.deepEqual(result.spec.steps[0]?.options, { fields: ['card_number'], keepLast: 4, char: '*', keepShape: false });
    const [sink] = result.spec.sinks;
    assert.ok(sink);
    assert.equal(sink.name, 'analytics');
    assert.equal(sink.clearance, 'internal');
    // The settings every sink has are taken out of the connector's own options.
    assert.deepEqual(sink.options, { dir: 'out/analytics', format: 'jsonl' });
    assert.equal(result.spec.runtime.batchSize, 10_000);
    assert.equal(result.spec.contract.unknownFields, 'quarantine');
  });

  test('every problem of one spec comes back in one call, each at its path', () => {
    const document = {
      ...validDocument(),
      pipeline: 'Customers Export',
      schedule: 'every night',
      retention: '400 days',
      runtime: { batchSize: 'lots', retry: { attempts: 0 } },
      contract: {
        fields: {
          email: { type: 'str', class: 'restricted' },
          card_number: { type: 'string', class: 'secret' },
        },
      },
      steps: [{ masq: { fields: ['card_number'] } }, { mask: { fields: ['email'], keeplast: 4 } }, { drop: { fields: 'email' } }],
      sinks: [
        { file: { name: 'out', dir: 'out/a', clearance: 'internal' } },
        { file: { name: 'other', dir: 'out/b' } },
        { file: { name: 'out', dir: 42, clearance: 'public' } },
        { file: { name: 'out', dir: 'out/c', clearance: 'public' } },
      ],
      sinkz: [],
    };
    const result = validate(document);
    assert.equal(result.spec, undefined);
    const issues = byPath(result);
    const expected: Record<string, string | undefined> = {
      sinkz: "Did you mean 'sinks'",
      pipeline: undefined,
      schedule: 'cron',
      retention: 'duration',
      'runtime.batchSize': undefined,
      'runtime.retry.attempts': undefined,
      'contract.fields.email.type': undefined,
      'contract.fields.card_number.class': undefined,
      'steps[0].masq': "Did you mean 'mask'",
      'steps[1].mask.keeplast': "Did you mean 'keepLast'",
      'steps[2].drop.fields': undefined,
      'sinks[1].file.clearance': undefined,
      'sinks[2].file.dir': undefined,
      'sinks[3].file.name': 'already used by sinks[0]',
    };
    assert.deepEqual([...issues.keys()].sort(), Object.keys(expected).sort());
    for (const [path, says] of Object.entries(expected)) {
      const messages = issues.get(path) ?? [];
      assert.equal(messages.length, 1, `${path}: ${JSON.stringify(messages)}`);
      if (says !== undefined) assert.ok(messages[0]?.includes(says), `${path}: ${JSON.stringify(messages)} should include ${JSON.stringify(says)}`);
    }
  });

  test('what did validate is returned for checks on a broken spec: the contract and the valid steps', () => {
    const document = { ...validDocument(), steps: [{ masq: {} }, { drop: { fields: ['email'] } }], sinks: [{ file: { dir: 'out' } }] };
    const result = validate(document);
    assert.equal(result.spec, undefined);
    assert.deepEqual(result.issues.map((i) => formatPath(i.path)).sort(), ['sinks[0].file.clearance', 'steps[0].masq']);
    assert.ok(result.partial.contract);
    assert.deepEqual(Object.keys(result.partial.contract.fields), ['customer_id', 'email', 'card_number']);
    assert.deepEqual(result.partial.steps.map((s) => s.path), [['steps', 1, 'drop']]);
  });

  const slotProblems: [string, Record<string, unknown>, string, string | undefined][] = [
    ['a missing source', { source: undefined }, 'source', undefined],
    ['an unknown source', { source: { fil: { path: 'x' } } }, 'source.fil', "Did you mean 'file'"],
    ['a slot naming two components', { steps: [{ mask: { fields: ['email'] }, drop: { fields: ['email'] } }] }, 'steps[0]', 'exactly one step'],
    ['a step that is not a mapping', { steps: ['mask'] }, 'steps[0]', 'exactly one step'],
    ['no sinks', { sinks: [] }, 'sinks', 'at least one sink'],
    ['a missing sinks key', { sinks: undefined }, 'sinks', 'required'],
    ['an unknown sink option', { sinks: [{ file: { dir: 'out', clearance: 'public', dirr: 'x' } }] }, 'sinks[0].file.dirr', "Did you mean 'dir'"],
    ['two sinks with the same default name', { sinks: [{ file: { dir: 'a', clearance: 'public' } }, { file: { dir: 'b', clearance: 'public' } }] }, 'sinks[1].file.name', "'file'"],
    ['a custom step in a YAML-shaped spec', { steps: [{ custom: { name: 'x' } }] }, 'steps[0].custom', 'defineStep'],
    ['an undeclared contract field key', { contract: { fields: { email: { type: 'string', class: 'restricted', pi: 'email' } } } }, 'contract.fields.email.pi', "Did you mean 'pii'"],
  ];
  for (const [name, change, path, says] of slotProblems) {
    test(`${name} is reported at ${path}`, () => {
      const document = { ...validDocument(), ...change };
      for (const [k, v] of Object.entries(change)) if (v === undefined) delete document[k];
      const result = validate(document);
      assert.equal(result.spec, undefined);
      const issues = byPath(result);
      assert.deepEqual([...issues.keys()], [path]);
      if (says !== undefined) assert.ok(issues.get(path)?.[0]?.includes(says), JSON.stringify(issues.get(path)));
    });
  }

  for (const document of [null, undefined, 42, 'pipeline: x', true, [], [validDocument()]]) {
    test(`a document that is not a mapping (${JSON.stringify(document) ?? 'undefined'}) is one issue at the top level`, () => {
      const result = validate(document);
      assert.equal(result.spec, undefined);
      assert.equal(result.issues.length, 1);
      assert.deepEqual(result.issues[0]?.path, []);
      assert.deepEqual(result.partial, { steps: [] });
    });
  }
});

describe('prototype keys', () => {
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

  // JSON.parse (like YAML's toJS) makes `__proto__` an own key instead of setting the prototype.
  const document = JSON.parse(
    JSON.stringify({
      ...validDocument(),
      steps: [{ mask: { fields: ['card_number'], PROTO: { polluted: 'step' }, constructor: { prototype: { polluted: 'step' } } } }],
      sinks: [{ file: { dir: 'out', clearance: 'internal', PROTO: { polluted: 'sink' } } }],
      PROTO: { polluted: 'top' },
      constructor: { prototype: { polluted: 'top' } },
    }).replaceAll('"PROTO"', '"__proto__"'),
  ) as Record<string, unknown>;

  test('__proto__ and constructor are unknown keys at the top level and inside options, and pollute nothing', () => {
    assert.ok(Object.hasOwn(document, '__proto__'), 'the test document has an own __proto__ key');
    const result = validate(document);
    assert.equal(result.spec, undefined);
    const paths = result.issues.map((i) => formatPath(i.path)).sort();
    assert.deepEqual(paths, ['__proto__', 'constructor', 'sinks[0].file.__proto__', 'steps[0].mask.__proto__', 'steps[0].mask.constructor']);
    for (const issue of result.issues) assert.ok(issue.message.includes('unknown key'), issue.message);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeBefore);
  });

  test('the same keys written in YAML are refused the same way', () => {
    const text = [
      'pipeline: customers',
      '__proto__: { polluted: yaml }',
      'constructor: { prototype: { polluted: yaml } }',
      'source: { file: { path: in.jsonl } }',
      'contract: { fields: { email: { type: string, class: restricted } } }',
      'steps:',
      '  - mask: { fields: [email], __proto__: { polluted: yaml } }',
      'sinks:',
      '  - file: { dir: out, clearance: internal }',
      '',
    ].join('\n');
    const parsed = parseYamlSpec(text, 'proto.yaml');
    // __proto__ is refused while parsing, wherever it stands, with its line; constructor is an unknown key.
    assert.deepEqual(parsed.issues.map((i) => [i.location?.line, i.message.includes('__proto__')]), [[2, true], [7, true]]);
    const withoutProto = parseYamlSpec(text.replace(/__proto__/g, 'proto_'), 'proto.yaml');
    const result = validateSpec(withoutProto.data, registry, withoutProto.locator, '/tmp');
    assert.deepEqual(result.issues.map((i) => formatPath(i.path)).sort(), ['constructor', 'proto_', 'steps[0].mask.proto_']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeBefore);
  });
});

describe('component examples', () => {
  // The custom step is made in code with defineStep(), so it has no option examples to list.
  const WITHOUT_EXAMPLES = new Set(['step:custom']);
  const kinds: ComponentKind[] = ['source', 'step', 'sink'];

  for (const kind of kinds) {
    for (const component of registry.list(kind)) {
      test(`${kind} '${component.name}': every example validates against its spec, alone and inside a pipeline`, () => {
        if (!WITHOUT_EXAMPLES.has(`${kind}:${component.name}`)) assert.ok(component.examples.length > 0, 'a component shows at least one example');
        component.examples.forEach((example, i) => {
          const alone = component.spec.safeParse(example);
          assert.ok(alone.success, `examples[${i}]: ${alone.success ? '' : alone.error.message}`);

          const options = kind === 'sink' ? { ...(example as object), clearance: 'restricted' } : example;
          if (kind === 'sink') assert.ok(sinkOptionsSchema(component).safeParse(options).success, `examples[${i}] with a clearance`);
          const document = validDocument();
          if (kind === 'source') document.source = { [component.name]: options };
          if (kind === 'step') document.steps = [{ [component.name]: options }];
          if (kind === 'sink') document.sinks = [{ [component.name]: options }];
          const result = validate(document);
          assert.deepEqual(result.issues, [], `examples[${i}] in a pipeline`);
        });
      });
    }
  }
});

test('two sinks writing to the same or nested folders are refused (they would mix clearances)', async () => {
  const { builtinRegistry } = await import('../builtins.ts');
  const { fileOnlyLocator } = await import('./location.ts');
  const document = {
    pipeline: 'p',
    source: { file: { path: 'in.jsonl' } },
    contract: { fields: { a: { type: 'string', class: 'restricted' } } },
    sinks: [
      { file: { name: 'open', dir: 'out', clearance: 'public', fields: ['a'] } },
      { file: { name: 'vault', dir: 'out/vault', clearance: 'restricted' } },
      { file: { name: 'same', dir: './out', clearance: 'restricted' } },
      { file: { name: 'apart', dir: 'out-2', clearance: 'restricted' } },
    ],
  };
  const result = (await import('./validate.ts')).validateSpec(document, builtinRegistry(), fileOnlyLocator('p.yaml'), '/data');
  const flagged = result.issues.filter((i) => i.message.includes('nested')).map((i) => i.path[1]);
  assert.deepEqual(flagged, [1, 2, 2]);
});

test('reserved names cannot be fields, and a subject named like an Object method is still undeclared', async () => {
  const { builtinRegistry } = await import('../builtins.ts');
  const { fileOnlyLocator } = await import('./location.ts');
  const { planPipeline } = await import('../plan/plan.ts');
  const base = { pipeline: 'p', source: { file: { path: 'in.jsonl' } }, sinks: [{ file: { dir: 'out', clearance: 'restricted' } }] };
  const reserved = (await import('./validate.ts')).validateSpec({ ...base, contract: { fields: { constructor: { type: 'string', class: 'public' } } } }, builtinRegistry(), fileOnlyLocator('p.yaml'), '/data');
  assert.match(reserved.issues[0]?.message ?? '', /reserved/);
  const subject = (await import('./validate.ts')).validateSpec({ ...base, contract: { subject: 'toString', fields: { a: { type: 'string', class: 'public' } } } }, builtinRegistry(), fileOnlyLocator('p.yaml'), '/data');
  assert.ok(subject.spec);
  assert.deepEqual(planPipeline(subject.spec).findings.map((f) => f.rule), ['SLC103']);
});
