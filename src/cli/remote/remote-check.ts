// `sluice check NAMESPACE/NAME --server URL`: the server plans its catalogued pipeline and reports the findings;
// exit 1 when any is an error.
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { SluiceError } from '../../errors.ts';
import { withApiClient } from './connect.ts';
import { pipelinePath, pipelineRef } from './pipeline-ref.ts';

/** A finding as the API answers it. */
interface RemoteFinding {
  severity: string;
  rule: string;
  message: string;
  field?: string;
  fix: string;
}

export function formatRemoteFindings(findings: readonly RemoteFinding[]): string {
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  const lines = findings.map((f) => `${f.severity} ${f.rule} ${f.message} (fix: ${f.fix})`);
  return `${lines.join('\n')}\n\n${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
}

export async function remoteCheck(target: string | undefined, options: { json?: boolean; lineage?: boolean; secrets?: string; format?: string; ignoreFile?: string; exclude?: string[] }, context: CliContext, setExit: (code: number) => void): Promise<void> {
  if (options.secrets !== undefined || options.ignoreFile !== undefined || options.exclude !== undefined) throw new SluiceError('SLUICE_USAGE', 'check --secrets scans files on this machine; it does not go with --server');
  if (options.lineage) throw new SluiceError('SLUICE_USAGE', '--lineage is shown by a local check; it does not go with --server');
  if (options.format === 'sarif') throw new SluiceError('SLUICE_USAGE', '--format sarif is for --secrets PATH; a check over --server prints text or json');
  if (target === undefined) throw new SluiceError('SLUICE_USAGE', 'with --server, check takes a catalogued pipeline as NAMESPACE/NAME');
  const ref = pipelineRef(target, 'check');
  await withApiClient(context, async (client) => {
    const checked = (await client.post(`${pipelinePath(ref)}/check`)) as { ok: boolean; findings: RemoteFinding[] };
    const hasError = !checked.ok || checked.findings.some((f) => f.severity === 'error');
    if (options.json || options.format === 'json') println(context.stdout, JSON.stringify({ pipeline: `${ref.namespace}/${ref.name}`, findings: checked.findings }, null, 2));
    else if (checked.findings.length === 0) println(context.stdout, `${ref.namespace}/${ref.name}: ok, no findings`);
    else println(context.stdout, formatRemoteFindings(checked.findings));
    setExit(hasError ? EXIT.FAILED : EXIT.OK);
  });
}
