// secretlint (@secretlint/core with @secretlint/secretlint-rule-preset-recommend), the npm secret scanner the
// secret-scanning benchmark compares against: the spans of its findings for one text.
import { lintSource } from '@secretlint/core';
import { creator } from '@secretlint/secretlint-rule-preset-recommend';

export interface SecretlintSpan {
  rule: string;
  start: number;
  end: number;
}

const CONFIG = { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: creator }] };

/**
 * secretlint's findings in `text`, as spans. The text is linted as a plain-text file (`input.txt`): the preset's
 * file-name rules (.env, .pem, Kubernetes YAML) see no file name of theirs, as a field in a record has none.
 */
export async function secretlintSpans(text: string): Promise<SecretlintSpan[]> {
  const result = await lintSource({
    source: { content: text, filePath: 'input.txt', ext: '.txt', contentType: 'text' },
    options: { config: CONFIG, noPhysicFilePath: true },
  });
  return result.messages.map((m) => ({ rule: m.ruleId, start: m.range[0], end: m.range[1] }));
}
