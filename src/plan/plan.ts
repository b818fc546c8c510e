// Compiles a validated spec into a plan: for every field of every sink, where it came from, through which steps,
// whether it arrives as plaintext, and whether the sink's clearance allows it. Deny by default.
import type { PipelineSpec, SinkUse } from '../spec/pipeline-spec.ts';
import type { Classification } from '../spec/classification.ts';
import { highest, isWithin, rank } from '../spec/classification.ts';
import type { SpecPath } from '../spec/location.ts';
import { formatLocation } from '../spec/location.ts';
import type { Contract } from '../spec/contract.ts';
import type { ComponentUse, StepComponent } from '../spec/component.ts';
import type { FieldFlow } from './field-flow.ts';
import { isPlaintext } from './field-flow.ts';
import type { Finding } from './findings.ts';
import type { StepPlanContext } from './step-plan-context.ts';
import { didYouMean } from '../spec/did-you-mean.ts';

/** What reaches one sink. */
export interface SinkPlan {
  sink: SinkUse;
  /** The fields written to the sink, in order, each with its lineage. */
  fields: FieldFlow[];
}

/** A checked plan. The runtime refuses a plan with error findings. */
export interface Plan {
  spec: PipelineSpec;
  /** The fields after the last step. */
  output: FieldFlow[];
  sinks: SinkPlan[];
  findings: Finding[];
}

function initialFlows(contract: Contract): Map<string, FieldFlow> {
  const flows = new Map<string, FieldFlow>();
  for (const [name, field] of Object.entries(contract.fields)) {
    flows.set(name, { name, type: field.type, origins: [name], sourceClass: field.class, class: field.class, hops: [`source field ${name} (${field.class})`] });
  }
  return flows;
}

class StepContext implements StepPlanContext {
  readonly label: string;
  readonly subject: string | undefined;
  readonly #flows: Map<string, FieldFlow>;
  readonly #use: ComponentUse<StepComponent>;
  readonly #spec: Pick<PipelineSpec, 'locator'>;
  readonly #findings: Finding[];

  constructor(label: string, flows: Map<string, FieldFlow>, use: ComponentUse<StepComponent>, spec: Pick<PipelineSpec, 'locator'>, findings: Finding[], subject: string | undefined) {
    this.label = label;
    this.subject = subject;
    this.#flows = flows;
    this.#use = use;
    this.#spec = spec;
    this.#findings = findings;
  }

  fields(): ReadonlyMap<string, FieldFlow> {
    return this.#flows;
  }

  problem(message: string, fix: string, at: SpecPath): void {
    this.#findings.push({ rule: 'SLC106', severity: 'error', message: `${this.label}: ${message}`, location: this.#spec.locator.locate([...this.#use.path, ...at]), fix });
  }

  read(field: string, at: SpecPath): FieldFlow | undefined {
    const flow = this.#flows.get(field);
    if (!flow) {
      const hint = didYouMean(field, this.#flows.keys());
      this.#findings.push({
        rule: 'SLC102',
        severity: 'error',
        message: `${this.label} names field '${field}', which does not reach this step.${hint}`,
        location: this.#spec.locator.locate([...this.#use.path, ...at]),
        field,
        fix: `declare '${field}' in the contract, or name a field that reaches this step: ${[...this.#flows.keys()].join(', ') || '(none)'}`,
      });
    }
    return flow;
  }

  rename(from: string, to: string, at: SpecPath): void {
    const flow = this.read(from, at);
    if (!flow) return;
    this.#checkFree(to, at);
    this.#flows.delete(from);
    this.#flows.set(to, { ...flow, name: to, hops: [...flow.hops, `${this.label}: renamed ${from} -> ${to}`] });
  }

  drop(field: string, at: SpecPath): void {
    if (this.read(field, at)) this.#flows.delete(field);
  }

  protect(field: string, residual: Classification, effect: string, at: SpecPath): void {
    const flow = this.read(field, at);
    if (!flow) return;
    // Protection lowers what a field holds; it never raises it (masking a public field leaves it public).
    const now = rank(residual) < rank(flow.class) ? residual : flow.class;
    this.#flows.set(field, { ...flow, class: now, protectedBy: this.label, hops: [...flow.hops, `${this.label}: ${effect} (now ${now})`] });
  }

  derive(field: string, options: { type: FieldFlow['type']; from: readonly string[]; residual?: Classification; effect: string }, at: SpecPath): void {
    if (this.#flows.has(field) && !options.from.includes(field)) {
      // Overwriting a field the step does not read would hide the old value's lineage behind the new one's.
      this.#findings.push({
        rule: 'SLC104',
        severity: 'error',
        message: `${this.label} writes field '${field}', which already exists and which it does not read`,
        location: this.#spec.locator.locate([...this.#use.path, ...at]),
        field,
        fix: `write a new field name, or declare '${field}' among the fields the step reads`,
      });
    }
    const inputs = options.from.map((name) => this.read(name, at)).filter((f): f is FieldFlow => f !== undefined);
    const sourceClass = highest(inputs.map((f) => f.sourceClass));
    const plainClass = highest(inputs.map((f) => f.class));
    const origins = [...new Set(inputs.flatMap((f) => f.origins))];
    const hops = [...new Set(inputs.flatMap((f) => f.hops)), `${this.label}: ${options.effect} -> ${field}`];
    const flow: FieldFlow = options.residual !== undefined
      ? { name: field, type: options.type, origins, sourceClass, class: options.residual, protectedBy: this.label, hops }
      : { name: field, type: options.type, origins, sourceClass, class: plainClass, hops };
    this.#flows.set(field, flow);
  }

  #checkFree(field: string, at: SpecPath): void {
    if (this.#flows.has(field)) {
      this.#findings.push({
        rule: 'SLC104',
        severity: 'error',
        message: `${this.label} writes field '${field}', which already exists`,
        location: this.#spec.locator.locate([...this.#use.path, ...at]),
        field,
        fix: `choose a new name, or drop '${field}' first`,
      });
    }
  }
}

/** Runs each step's plan over the contract's fields; returns the fields after the last step. */
export function planSteps(
  contract: Contract,
  steps: readonly ComponentUse<StepComponent>[],
  spec: Pick<PipelineSpec, 'locator'>,
  findings: Finding[],
): Map<string, FieldFlow> {
  const flows = initialFlows(contract);
  for (const use of steps) {
    const index = use.path[1];
    const label = `steps[${String(index)}] ${use.component.name}`;
    use.component.plan(use.options, new StepContext(label, flows, use, spec, findings, contract.subject));
  }
  return flows;
}

function clearanceFinding(spec: PipelineSpec, sink: SinkUse, flow: FieldFlow): Finding {
  const declared = spec.contract.fields[flow.origins[0] ?? ''] ? formatLocation(spec.locator.locate(['contract', 'fields', flow.origins[0] ?? ''])) : undefined;
  const flowPath = [...flow.hops, `sink ${sink.name} (clearance ${sink.clearance})`];
  if (isPlaintext(flow)) {
    return {
      rule: 'SLC101',
      severity: 'error',
      message: `field '${flow.name}' (${flow.class}${declared ? `, declared at ${declared}` : ''}) reaches sink '${sink.name}' in plaintext, but the sink's clearance is ${sink.clearance}`,
      location: spec.locator.locate([...sink.path, 'clearance']),
      field: flow.name,
      flow: flowPath,
      fix: `add a protective step for '${flow.name}' before the sink (mask, hash, redact or drop), or list only cleared fields in the sink's 'fields', or raise the sink's clearance to ${flow.class} if it may hold this data in plaintext`,
    };
  }
  return {
    rule: 'SLC101',
    severity: 'error',
    message: `field '${flow.name}' reaches sink '${sink.name}' protected by ${flow.protectedBy ?? 'a step'}, which still leaves it ${flow.class}, above the sink's clearance ${sink.clearance}`,
    location: spec.locator.locate([...sink.path, 'clearance']),
    field: flow.name,
    flow: flowPath,
    fix: `use a stronger protection for '${flow.name}' (redact, hash or drop), leave it out of the sink's 'fields', or raise the sink's clearance to ${flow.class}`,
  };
}

function planSink(spec: PipelineSpec, sink: SinkUse, output: Map<string, FieldFlow>, findings: Finding[]): SinkPlan {
  const fields: FieldFlow[] = [];
  if (sink.fields) {
    sink.fields.forEach((name, i) => {
      const flow = output.get(name);
      if (flow) fields.push(flow);
      else {
        findings.push({
          rule: 'SLC102',
          severity: 'error',
          message: `sink '${sink.name}' lists field '${name}', which does not reach it.${didYouMean(name, output.keys())}`,
          location: spec.locator.locate([...sink.path, 'fields', i]),
          field: name,
          fix: `list fields that reach the sink: ${[...output.keys()].join(', ') || '(none)'}`,
        });
      }
    });
  } else fields.push(...output.values());

  if (fields.length === 0) {
    findings.push({ rule: 'SLC105', severity: 'warning', message: `no field reaches sink '${sink.name}'`, location: spec.locator.locate(sink.path), fix: 'remove the sink or let fields reach it' });
  }
  if (sink.component.holds === 'records' && sink.clearance === 'restricted') {
    // Files and objects are sealed as envelopes; a table or a stream is read field by field by another system,
    // so restricted data may reach it only tokenized, encrypted, or not at all.
    findings.push({
      rule: 'SLC107',
      severity: 'error',
      message: `sink '${sink.name}' stores records field by field in another system, where Sluice cannot seal them, so it may not hold restricted fields in plaintext`,
      location: spec.locator.locate([...sink.path, 'clearance']),
      fix: `set the sink's clearance to confidential or lower, and tokenize, encrypt or drop the restricted fields before it`,
    });
  }
  for (const flow of fields) if (!isWithin(flow.class, sink.clearance)) findings.push(clearanceFinding(spec, sink, flow));
  return { sink, fields };
}

/** Plans a validated spec. Findings are sorted with errors first. */
export function planPipeline(spec: PipelineSpec): Plan {
  const findings: Finding[] = [];
  const subject = spec.contract.subject;
  if (subject !== undefined && !Object.hasOwn(spec.contract.fields, subject)) {
    findings.push({
      rule: 'SLC103',
      severity: 'error',
      message: `the contract names '${subject}' as the subject field, but does not declare it.${didYouMean(subject, Object.keys(spec.contract.fields))}`,
      location: spec.locator.locate(['contract', 'subject']),
      field: subject,
      fix: `declare '${subject}' under contract.fields, or name a declared field as the subject`,
    });
  }
  for (const use of [spec.source, ...spec.steps, ...spec.sinks]) {
    for (const optOut of use.component.insecureOptOuts?.(use.options) ?? []) {
      findings.push({
        rule: 'SLC108',
        severity: 'warning',
        message: `${use.component.name} opts out of a secure default: ${optOut.allows}`,
        location: spec.locator.locate([...use.path, ...optOut.at]),
        fix: 'fine for development on one machine; in production remove the option and use TLS and public endpoints',
      });
    }
  }
  const output = planSteps(spec.contract, spec.steps, spec, findings);
  const sinks = spec.sinks.map((sink) => planSink(spec, sink, output, findings));
  findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  return { spec, output: [...output.values()], sinks, findings };
}
