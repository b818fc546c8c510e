// Kubernetes Secret manifests: every value under data: (base64) or stringData: in a document of kind Secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanSecrets } from '../scan.ts';

const values = (text: string): string[] => scanSecrets(text).filter((m) => m.rule === 'kubernetes-secret').map((m) => text.slice(m.start, m.end));

test('kubernetes: data values of a Secret, whichever comes first, quoted or in block scalars', () => {
  assert.deepEqual(values('apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  password: UyFCXCpkJHpEc2I9\n  token: "bXlwYXNzd29yZA=="\n'), ['UyFCXCpkJHpEc2I9', 'bXlwYXNzd29yZA==']);
  assert.deepEqual(values("apiVersion: v1\ndata:\n\textra: 'YWRtaW46cGFzc3dvcmQ='\nkind: 'Secret'\n"), ['YWRtaW46cGFzc3dvcmQ=']);
  assert.deepEqual(values('kind: Secret\ndata:\n  .dockercfg: |\n    eyJhdXRocyI6eyJodHRwczovL2V4YW1wbGUvdjEvIjp7fX19\n'), ['eyJhdXRocyI6eyJodHRwczovL2V4YW1wbGUvdjEvIjp7fX19']);
  assert.deepEqual(values('kind: Secret\nstringData:\n  api-key: Zq8vN1xkLp4Tw\n'), ['Zq8vN1xkLp4Tw']);
});

test('kubernetes: other kinds, other documents, templates, empty and short values are not secrets', () => {
  for (const text of [
    'kind: ConfigMap\ndata:\n  password: UyFCXCpkJHpEc2I9\n',
    'kind: ExternalSecret\nspec:\n  data:\n    - secretKey: api-key\n',
    'kind: Secret\nmetadata:\n  name: x\n---\nkind: ConfigMap\ndata:\n  key: UyFCXCpkJHpEc2I9\n',
    'kind: Secret\ndata:\n  htpasswd: {{ htpasswd }}\n',
    "kind: Secret\ndata:\n  htpasswd: ''\n",
    'kind: secret\ndata:\n  extra: YmFyCg==\n',
  ]) {
    assert.deepEqual(values(text), [], text);
  }
});
