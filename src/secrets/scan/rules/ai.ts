// AI platforms: OpenAI, Anthropic, Hugging Face, Perplexity, Groq, Replicate, LangSmith, xAI.
import type { TokenRule } from '../secret-match.ts';
import { END_DASH, END_WORD, token } from './define.ts';

const a = (id: string, prefixes: readonly string[], pattern: string, confidence: number, source: string, extra: Pick<TokenRule, 'minEntropy' | 'verify'> = {}): TokenRule =>
  token('ai', id, prefixes, pattern, confidence, source, extra);

export const AI_RULES: readonly TokenRule[] = [
  // OpenAI keys embed "T3BlbkFJ" (base64 of "OpenAI"): project, service-account and admin keys, and the older sk-.
  a('openai-api-key', ['sk-proj-', 'sk-svcacct-', 'sk-admin-', 'sk-None-'], `sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200}${END_DASH}`, 0.95, 'OpenAI, API keys'),
  a('openai-api-key', ['sk-'], `sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}${END_WORD}`, 0.95, 'OpenAI, API keys (legacy)'),
  // Anthropic: sk-ant-api03- API keys, sk-ant-admin01- admin keys, sk-ant-oat01- OAuth tokens; 93 characters and "AA".
  a('anthropic-api-key', ['sk-ant-'], `sk-ant-(?:api|admin|oat|ort)[0-9]{2}-[A-Za-z0-9_-]{93}AA${END_DASH}`, 0.95, 'Anthropic, API keys'),
  // Hugging Face user access tokens (hf_) and organization tokens (api_org_): 34 letters of both cases.
  a('huggingface-token', ['hf_', 'api_org_'], `(?:hf|api_org)_[A-Za-z]{34}${END_WORD}`, 0.85, 'Hugging Face, user access tokens', {
    minEntropy: 3.5,
    verify: (t) => (/[a-z]/.test(t.slice(3)) && /[A-Z]/.test(t.slice(3)) ? 0.85 : 0),
  }),
  a('perplexity-api-key', ['pplx-'], `pplx-[A-Za-z0-9]{48}${END_WORD}`, 0.95, 'Perplexity, API keys', { minEntropy: 3.5 }),
  a('groq-api-key', ['gsk_'], `gsk_[A-Za-z0-9]{52}${END_WORD}`, 0.95, 'Groq, API keys', { minEntropy: 3.5 }),
  a('replicate-api-token', ['r8_'], `r8_[A-Za-z0-9]{37}${END_WORD}`, 0.9, 'Replicate, API tokens', { minEntropy: 3.5 }),
  a('langsmith-api-key', ['lsv2_pt_', 'lsv2_sk_'], `lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}${END_WORD}`, 0.95, 'LangSmith, API keys', { minEntropy: 3 }),
  a('xai-api-key', ['xai-'], `xai-[A-Za-z0-9]{80}${END_WORD}`, 0.9, 'xAI, API keys', { minEntropy: 4 }),
];
