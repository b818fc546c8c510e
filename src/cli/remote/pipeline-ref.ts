// The NAMESPACE/NAME a remote verb names a catalogued pipeline by, checked as the API checks it.
import { SluiceError } from '../../errors.ts';

// The API's catalog names (src/server/routes/api-schemas.ts): lowercase letters, digits, - and _.
const CATALOG_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export interface PipelineRef {
  namespace: string;
  name: string;
}

/** `text` as NAMESPACE/NAME, or SLUICE_USAGE saying what `verb` takes with --server. */
export function pipelineRef(text: string, verb: string): PipelineRef {
  const [namespace, name, ...rest] = text.split('/');
  if (namespace === undefined || name === undefined || rest.length > 0 || !CATALOG_NAME.test(namespace) || !CATALOG_NAME.test(name)) {
    throw new SluiceError('SLUICE_USAGE', `with --server, ${verb} takes a catalogued pipeline as NAMESPACE/NAME (lowercase letters, digits, - and _), not '${text}'`);
  }
  return { namespace, name };
}

/** The API path of a pipeline. */
export function pipelinePath(ref: PipelineRef): string {
  return `/api/v1/pipelines/${ref.namespace}/${ref.name}`;
}
