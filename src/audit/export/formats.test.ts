// Export formats: each keeps the canonical bytes, seq, leaf and chain so the hashes can be recomputed from the
// output alone; ECS documents carry the required fields with allowed values; syslog messages follow the RFC 5424
// grammar (checked by a parser written from the ABNF) and RFC 5425 octet counting counts bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { AUDIT_ACTIONS } from '../audit-event.ts';
import type { AuditAction, AuditEvent } from '../audit-event.ts';
import type { AuditRow } from '../audit-store.ts';
import { canonicalEvent } from '../canonical-event.ts';
import { ECS_VERSION, SLUICE_SD_ID, escapeSdParamValue, octetCounted, sdElement, syslogSeverity, toEcs, toJsonLine, toSyslog } from './formats.ts';
import type { JsonLineExport } from './formats.ts';
import { FrameReader, SD_ELEMENT, fromSyslog, parseSdParams, parseSyslog, reverify, unescapeParamValue } from './collector.fixture.ts';

const sha256 = (...parts: Uint8Array[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();

/** Rows as the audit log stores them, hashed here independently of the writer. */
function rowsOf(events: readonly AuditEvent[]): AuditRow[] {
  let chain = Buffer.alloc(32);
  return events.map((e, i) => {
    const seq = i + 1;
    const text = canonicalEvent(seq, e);
    const leaf = sha256(Buffer.from([0]), Buffer.from(text, 'utf8'));
    chain = sha256(chain, leaf);
    return { seq, time: e.time, action: e.action, principal: e.actor.principal, resource: e.resource, outcome: e.outcome, event: text, leaf, chain };
  });
}

const base: AuditEvent = { time: '2026-03-01T08:15:00.123Z', actor: { principal: 'os:alice(1000)', method: 'os-user' }, action: 'secret.read', resource: 'secret:crm/api-token', outcome: 'success', source: 'local' };

const EVENTS: AuditEvent[] = [
  base,
  { ...base, action: 'auth.failure', outcome: 'failure', actor: { principal: 'oidc:https://id.example.com#user-007', method: 'oidc' }, source: '203.0.113.9', reason: 'SLUICE_AUTH_EXPIRED' },
  { ...base, action: 'data.read', outcome: 'denied', actor: { principal: 'apikey:svc-001', method: 'api-key' }, source: '2001:db8::7', resource: 'dataset:crm/customers', reason: 'RBAC_DENIED', requestId: 'req-42', details: { records: 0, dataset: 'crm/customers' } },
  // Multibyte text in names: lengths in bytes differ from lengths in characters.
  { ...base, actor: { principal: 'os:zoë(1001)', method: 'os-user' }, resource: 'secret:équipe/clé-🔑', details: { note: 'naïve]"\\' } },
  { ...base, action: 'audit.verify', outcome: 'failure', details: { firstBadSeq: 3, size: 9 } },
  { ...base, action: 'audit.alert', resource: 'principal:apikey:svc-001', details: { kind: 'volume-spike', score: 7.5 } },
];
const ROWS = rowsOf(EVENTS);

test('jsonl: the event text survives JSON parsing byte for byte, and seq, leaf and chain re-verify', () => {
  const exported = ROWS.map((row) => JSON.parse(toJsonLine(row)) as JsonLineExport);
  for (const [i, line] of exported.entries()) {
    assert.equal(line.event, ROWS[i]!.event);
    assert.deepEqual(Object.keys(line), ['seq', 'event', 'leaf', 'chain']);
    assert.equal(Buffer.from(line.leaf, 'base64').length, 32);
  }
  assert.deepEqual(reverify(exported.map((l) => ({ seq: l.seq, event: Buffer.from(l.event, 'utf8'), leaf: Buffer.from(l.leaf, 'base64'), chain: Buffer.from(l.chain, 'base64') }))), []);
  assert.ok(!toJsonLine(ROWS[3]!).includes('\n'), 'one event, one line');
});

test('jsonl: a changed event no longer matches its leaf (the check has teeth)', () => {
  const line = JSON.parse(toJsonLine(ROWS[0]!)) as JsonLineExport;
  const forged = line.event.replace('alice', 'mallory');
  assert.deepEqual(reverify([{ seq: 1, event: Buffer.from(forged), leaf: Buffer.from(line.leaf, 'base64'), chain: Buffer.from(line.chain, 'base64') }]), ['seq 1: leaf does not match the event', 'seq 1: chain does not match']);
});

const ECS_CATEGORIES = ['api', 'authentication', 'configuration', 'database', 'driver', 'email', 'file', 'host', 'iam', 'intrusion_detection', 'library', 'malware', 'network', 'package', 'process', 'registry', 'session', 'threat', 'vulnerability', 'web'];
const ECS_TYPES = ['access', 'admin', 'allowed', 'change', 'connection', 'creation', 'deletion', 'denied', 'device', 'end', 'error', 'group', 'indicator', 'info', 'installation', 'protocol', 'start', 'user'];

test('ecs: every action of the catalogue maps to a document with the required fields and allowed values', () => {
  for (const action of Object.keys(AUDIT_ACTIONS) as AuditAction[]) {
    for (const outcome of ['success', 'failure', 'denied'] as const) {
      const [row] = rowsOf([{ ...base, action, outcome }]);
      const doc = toEcs(row!, { hostname: 'db1.example.com' });
      const what = `${action}/${outcome}`;
      assert.equal(doc['@timestamp'], base.time, what);
      assert.equal(doc.ecs.version, ECS_VERSION);
      assert.match(ECS_VERSION, /^8\.\d+\.\d+$/);
      assert.equal(doc.event.kind, action === 'audit.alert' ? 'alert' : 'event', what);
      assert.ok(doc.event.category.length > 0 && doc.event.category.every((c) => ECS_CATEGORIES.includes(c)), what);
      assert.ok(doc.event.type.length > 0 && doc.event.type.every((t) => ECS_TYPES.includes(t)), what);
      assert.equal(doc.event.action, action);
      assert.equal(doc.event.outcome, outcome === 'success' ? 'success' : 'failure', what);
      assert.equal(doc.event.type.includes('denied'), outcome === 'denied', what);
      assert.equal(doc.sluice.outcome, outcome);
      assert.equal(doc.event.sequence, 1);
      assert.equal(doc.event.original, row!.event);
      assert.equal(doc.event.hash, sha256(Buffer.from([0]), Buffer.from(doc.event.original, 'utf8')).toString('base64'));
      assert.equal(doc.sluice.leaf, doc.event.hash);
      assert.equal(doc.sluice.chain, row!.chain.toString('base64'));
      assert.equal(doc.user.id, 'os:alice(1000)');
      assert.equal(doc.host?.name, 'db1.example.com');
      assert.equal(doc.message, `${action} secret:crm/api-token: ${outcome}`);
    }
  }
});

test('ecs: principals become user.name (and user.domain for an OIDC issuer); addresses become source.ip only when they are IPs', () => {
  const docs = ROWS.map((row) => toEcs(row));
  assert.deepEqual(docs.map((d) => d.user), [
    { id: 'os:alice(1000)', name: 'alice' },
    { id: 'oidc:https://id.example.com#user-007', name: 'user-007', domain: 'https://id.example.com' },
    { id: 'apikey:svc-001', name: 'svc-001' },
    { id: 'os:zoë(1001)', name: 'zoë' },
    { id: 'os:alice(1000)', name: 'alice' },
    { id: 'os:alice(1000)', name: 'alice' },
  ]);
  assert.deepEqual(docs[0]!.source, { address: 'local' });
  assert.deepEqual(docs[1]!.source, { address: '203.0.113.9', ip: '203.0.113.9' });
  assert.deepEqual(docs[2]!.source, { address: '2001:db8::7', ip: '2001:db8::7' });
  assert.equal(docs[1]!.event.reason, 'SLUICE_AUTH_EXPIRED');
  assert.deepEqual(docs[1]!.event.category, ['authentication']);
  assert.deepEqual(docs[2]!.event.type, ['access', 'denied']);
  assert.equal(docs[2]!.sluice.request_id, 'req-42');
  assert.deepEqual(docs[2]!.sluice.details, { dataset: 'crm/customers', records: 0 });
  assert.equal(docs[0]!.host, undefined);
});

test('syslog: each message parses with the RFC 5424 grammar; PRI, MSGID, SD and MSG carry what a collector needs', () => {
  for (const row of ROWS) {
    const message = toSyslog(row, { hostname: 'db1.example.com', appName: 'sluice', procId: '4242' });
    const parsed = parseSyslog(message);
    assert.ok(parsed, message);
    const event = JSON.parse(row.event) as AuditEvent;
    assert.equal(parsed.version, 1);
    assert.equal(parsed.facility, 13, 'log audit');
    assert.equal(parsed.severity, syslogSeverity(event.action, event.outcome));
    assert.equal(parsed.timestamp, event.time);
    assert.deepEqual([parsed.hostname, parsed.appName, parsed.procId, parsed.msgId], ['db1.example.com', 'sluice', '4242', event.action]);
    assert.deepEqual([...parsed.sd.keys()], [SLUICE_SD_ID]);
    assert.equal(parsed.sd.get(SLUICE_SD_ID)!.get('seq'), String(row.seq));
    assert.equal(parsed.msg, `\uFEFF${row.event}`);
  }
  assert.deepEqual(reverify(ROWS.map((row) => fromSyslog(Buffer.from(toSyslog(row, { hostname: 'h', appName: 'sluice' }), 'utf8')))), []);
});

test('syslog: severity follows the outcome; a failed verification is critical', () => {
  const cases: [AuditAction, AuditEvent['outcome'], number][] = [
    ['secret.read', 'success', 6],
    ['data.read', 'denied', 5],
    ['auth.failure', 'failure', 4],
    ['audit.alert', 'success', 4],
    ['audit.verify', 'success', 6],
    ['audit.verify', 'failure', 2],
  ];
  for (const [action, outcome, severity] of cases) assert.equal(syslogSeverity(action, outcome), severity, `${action}/${outcome}`);
});

test('syslog: header fields that would break the grammar become the NILVALUE; a bad facility is refused', () => {
  const row = ROWS[0]!;
  const parsed = parseSyslog(toSyslog(row, { hostname: 'bad host', appName: 'x'.repeat(49), procId: '' }));
  assert.ok(parsed);
  assert.deepEqual([parsed.hostname, parsed.appName, parsed.procId], ['-', '-', '-']);
  const odd = { ...row, event: row.event.replace(base.time, 'yesterday') };
  assert.equal(parseSyslog(toSyslog(odd, { hostname: 'h', appName: 'sluice' }))?.timestamp, '-');
  assert.equal(parseSyslog(toSyslog(row, { hostname: 'h', appName: 'sluice', facility: 10 }))?.facility, 10);
  assert.throws(() => toSyslog(row, { hostname: 'h', appName: 'sluice', facility: 24 }), RangeError);
});

test('SD-PARAM escaping (property): any value yields a grammatical SD-ELEMENT that unescapes to the value', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 64 }), fc.string({ unit: fc.constantFrom('"', '\\', ']', '[', '=', ' ', 'a', 'é'), maxLength: 32 }), (any, nasty) => {
      for (const value of [any, nasty, `${nasty}${any}${nasty}`]) {
        const element = sdElement('x@32473', [['v', value], ['w', 'plain']]);
        const matches = [...element.matchAll(SD_ELEMENT)];
        assert.equal(matches.length, 1);
        assert.equal(matches[0]![0], element, 'the whole element parses as one SD-ELEMENT');
        const params = parseSdParams(matches[0]![2]!);
        assert.equal(params.get('v'), value);
        assert.equal(params.get('w'), 'plain');
        assert.equal(unescapeParamValue(escapeSdParamValue(value)), value);
      }
    }),
    { seed: 5424, numRuns: 2000 },
  );
  assert.equal(escapeSdParamValue('a"b\\c]d'), 'a\\"b\\\\c\\]d');
  assert.throws(() => sdElement('bad id', []), RangeError);
  assert.throws(() => sdElement('ok', [['a=b', 'x']]), RangeError);
});

test('octet counting counts bytes, not characters: frames of multibyte text split anywhere reassemble exactly', () => {
  const multibyte = toSyslog(ROWS[3]!, { hostname: 'h', appName: 'sluice' });
  const frame = octetCounted(multibyte);
  const length = Buffer.byteLength(multibyte, 'utf8');
  assert.ok(length > multibyte.length, 'the fixture has multibyte characters');
  assert.equal(frame.subarray(0, frame.indexOf(0x20)).toString(), String(length));
  assert.equal(frame.length, String(length).length + 1 + length);
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 5 }), (messages, cuts) => {
      const stream = Buffer.concat(messages.map((m) => octetCounted(m)));
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      const reader = new FrameReader();
      const got: Buffer[] = [];
      let from = 0;
      for (const at of [...points, stream.length]) {
        got.push(...reader.push(stream.subarray(from, at)));
        from = at;
      }
      assert.equal(reader.pending, 0);
      assert.deepEqual(got.map((b) => b.toString('utf8')), messages.map((m) => Buffer.from(m, 'utf8').toString('utf8')));
    }),
    { seed: 5425, numRuns: 1000 },
  );
});
