// AI platform keys: OpenAI (with its embedded "T3BlbkFJ"), Anthropic, Hugging Face, Perplexity, Groq, Replicate,
// LangSmith and xAI.
import { testRuleTable } from '../test-kit.ts';
import { ALNUM, BASE64URL, HEX, LOWER, UPPER, fakeGenerator } from '../fake-tokens.ts';

const fake = fakeGenerator(505);
const mixedLetters = (n: number): string => fake(UPPER, n / 2) + fake(LOWER, n / 2);

testRuleTable('ai', [
  { rule: 'openai-api-key', secrets: [`sk-proj-${fake(BASE64URL, 74)}T3BlbkFJ${fake(BASE64URL, 74)}`, `sk-${fake(ALNUM, 20)}T3BlbkFJ${fake(ALNUM, 20)}`], negatives: ['sk-' + fake(ALNUM, 48), `sk-proj-${'x'.repeat(74)}T3BlbkFJ${'x'.repeat(74)}`] },
  { rule: 'anthropic-api-key', secrets: [`sk-ant-api03-${fake(BASE64URL, 93)}AA`, `sk-ant-admin01-${fake(BASE64URL, 93)}AA`], negatives: [`sk-ant-api03-${fake(BASE64URL, 93)}BB`, `sk-ant-api03-${fake(BASE64URL, 60)}AA`] },
  { rule: 'huggingface-token', secrets: ['hf_' + mixedLetters(34), 'api_org_' + mixedLetters(34)], negatives: ['hf_requiredCharacteristicTypesForDisplayMetadata', '- (id)hf_requiredCharacteristicTypesForDisplay;', 'hf_' + 'x'.repeat(34), 'hf_' + fake(LOWER, 34)] },
  { rule: 'perplexity-api-key', secrets: ['pplx-' + fake(ALNUM, 48)], negatives: ['pplx-' + 'x'.repeat(48)] },
  { rule: 'groq-api-key', secrets: ['gsk_' + fake(ALNUM, 52)], negatives: ['gsk_' + fake(ALNUM, 20)] },
  { rule: 'replicate-api-token', secrets: ['r8_' + fake(ALNUM, 37)], negatives: ['r8_' + fake(ALNUM, 20)] },
  { rule: 'langsmith-api-key', secrets: [`lsv2_pt_${fake(HEX, 32)}_${fake(HEX, 10)}`], negatives: [`lsv2_pt_${fake(HEX, 32)}`] },
  { rule: 'xai-api-key', secrets: ['xai-' + fake(ALNUM, 80)], negatives: ['xai-' + fake(ALNUM, 40)] },
]);
