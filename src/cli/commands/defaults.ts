// Default file names the commands look for.
export const DEFAULT_SPEC = 'pipeline.yaml';
