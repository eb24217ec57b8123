/**
 * What a user writes by hand: the official `openai` client against both
 * targets and one better-sqlite3 INSERT per request (autocommit). The db gets
 * WAL, as better-sqlite3's README recommends; synchronous stays at its default.
 */
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { forEachConcurrently, type LoopResult, readBenchRequests } from './prompt-source.js';

export interface OpenAiLoopOptions {
  scenarioPath: string;
  targets: string[];
  concurrency: number;
  stream: boolean;
  dbPath: string;
}

export async function runOpenAiClientLoop(options: OpenAiLoopOptions): Promise<LoopResult> {
  const arms = options.targets.map((baseURL, i) => ({
    name: i === 0 ? 'baseline' : i === 1 ? 'candidate' : `arm${i}`,
    client: new OpenAI({ baseURL, apiKey: 'bench-no-key' }),
  }));
  const db = new Database(options.dbPath);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE IF NOT EXISTS results (
    prompt_id TEXT, arm TEXT, latency_ms REAL, ttft_ms REAL, ok INTEGER, output TEXT,
    input_tokens INTEGER, output_tokens INTEGER, error TEXT)`);
  const insert = db.prepare(
    'INSERT INTO results (prompt_id, arm, latency_ms, ttft_ms, ok, output, input_tokens, output_tokens, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  let prompts = 0;
  let requests = 0;
  let errors = 0;
  const started = performance.now();
  try {
    await forEachConcurrently(
      readBenchRequests(options.scenarioPath)[Symbol.asyncIterator](),
      options.concurrency,
      async (req) => {
        prompts++;
        const body = req.body as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
        await Promise.all(
          arms.map(async ({ name, client }) => {
            requests++;
            const t0 = performance.now();
            try {
              if (options.stream) {
                const stream = await client.chat.completions.create({
                  ...body,
                  stream: true,
                  stream_options: { include_usage: true },
                });
                let ttftMs: number | null = null;
                let text = '';
                let usage: OpenAI.CompletionUsage | null | undefined = null;
                for await (const chunk of stream) {
                  const delta = chunk.choices[0]?.delta?.content;
                  if (delta) {
                    ttftMs ??= performance.now() - t0;
                    text += delta;
                  }
                  if (chunk.usage) usage = chunk.usage;
                }
                insert.run(
                  req.id,
                  name,
                  performance.now() - t0,
                  ttftMs,
                  1,
                  text,
                  usage?.prompt_tokens ?? null,
                  usage?.completion_tokens ?? null,
                  null,
                );
              } else {
                const completion = await client.chat.completions.create(body);
                const latencyMs = performance.now() - t0;
                insert.run(
                  req.id,
                  name,
                  latencyMs,
                  latencyMs,
                  1,
                  completion.choices[0]?.message.content ?? null,
                  completion.usage?.prompt_tokens ?? null,
                  completion.usage?.completion_tokens ?? null,
                  null,
                );
              }
            } catch (err) {
              errors++;
              insert.run(req.id, name, performance.now() - t0, null, 0, null, null, null, String(err));
            }
          }),
        );
      },
    );
  } finally {
    db.close();
  }
  return { prompts, requests, errors, wallMs: performance.now() - started };
}
