import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

/** Bench prompts: small, varied chat requests in the scenario's plain form. */
export interface BenchPromptOptions {
  /** Output cap sent as `max_tokens`; small keeps the bench about the harness, not the payload. Default 16. */
  maxTokens?: number;
  /** Model name recorded in every line. Default `gpt-4.1-mini`. */
  model?: string;
}

const TOPICS = [
  'reset my password',
  'refund for order',
  'summarise this paragraph',
  'translate to French',
  'write a SQL query for monthly revenue',
  'explain a stack trace',
  'extract the invoice total as JSON',
  'draft a polite follow-up email',
];

/** The request body of prompt `i` (0-based), deterministic. */
export function benchPrompt(i: number, options: BenchPromptOptions = {}): Record<string, unknown> {
  const topic = TOPICS[i % TOPICS.length]!;
  return {
    id: `p-${String(i + 1).padStart(7, '0')}`,
    model: options.model ?? 'gpt-4.1-mini',
    messages: [
      { role: 'system', content: 'You are a concise assistant.' },
      { role: 'user', content: `Request ${i + 1}: ${topic}, case ${(i * 7919) % 100_003}.` },
    ],
    max_tokens: options.maxTokens ?? 16,
  };
}

/**
 * Writes `count` prompts as JSONL, streaming with backpressure so a 1M-line
 * file never sits in memory. Resolves with the bytes written.
 */
export async function writeBenchScenario(
  path: string,
  count: number,
  options: BenchPromptOptions = {},
): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  let chunk = '';
  for (let i = 0; i < count; i++) {
    chunk += `${JSON.stringify(benchPrompt(i, options))}\n`;
    if (chunk.length > 1 << 16 || i === count - 1) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}
