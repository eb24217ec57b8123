import { estimateInputTokens } from '../pricing/estimate-tokens.js';
import type { ChatRequest } from '../providers/types.js';
import type { ScenarioForm, ScenarioPrompt } from './scenario-line.js';

/** Script-based language guess: cheap, and enough to see a scenario's mix. */
export type LanguageGuess = 'en' | 'vi' | 'zh' | 'ja' | 'ko' | 'other';

export interface ScenarioStats {
  prompts: number;
  byModel: Record<string, number>;
  byForm: Record<ScenarioForm, number>;
  byLanguage: Record<LanguageGuess, number>;
  /** Estimated input tokens over all prompts (see estimateInputTokens: upper-leaning). */
  estimatedInputTokens: number;
  /** Sum of max_tokens / max_completion_tokens over the prompts that set one. */
  maxOutputTokens: number;
  promptsWithoutMaxTokens: number;
  withTools: number;
  withResponseFormat: number;
  withSystemPrompt: number;
  withRecordedResponse: number;
  /** Timestamps of recorded-traffic lines; null when none has one. */
  timeSpan: { first: string; last: string; spanMs: number; withTimestamp: number } | null;
}

/** Distinct models tracked by name; beyond this they are counted under `(other)` so memory stays bounded. */
const MAX_MODELS = 1_000;
/** Characters of the last user message looked at for the language guess. */
const LANGUAGE_SAMPLE_CHARS = 2_000;

export class ScenarioStatsCollector {
  private readonly stats: ScenarioStats = {
    prompts: 0,
    byModel: {},
    byForm: { batch: 0, plain: 0, recorded: 0 },
    byLanguage: { en: 0, vi: 0, zh: 0, ja: 0, ko: 0, other: 0 },
    estimatedInputTokens: 0,
    maxOutputTokens: 0,
    promptsWithoutMaxTokens: 0,
    withTools: 0,
    withResponseFormat: 0,
    withSystemPrompt: 0,
    withRecordedResponse: 0,
    timeSpan: null,
  };
  private models = 0;
  private firstMs = Number.POSITIVE_INFINITY;
  private lastMs = Number.NEGATIVE_INFINITY;
  private withTimestamp = 0;

  add(prompt: ScenarioPrompt): void {
    const s = this.stats;
    const request = prompt.request;
    s.prompts++;
    let model = request.model;
    if (!Object.hasOwn(s.byModel, model)) {
      if (this.models >= MAX_MODELS) model = '(other)';
      else this.models++;
    }
    s.byModel[model] = (s.byModel[model] ?? 0) + 1;
    s.byForm[prompt.form]++;
    s.byLanguage[guessLanguage(lastUserText(request))]++;
    s.estimatedInputTokens += estimateInputTokens(request);
    const cap = request.max_completion_tokens ?? request.max_tokens;
    if (typeof cap === 'number') s.maxOutputTokens += cap;
    else s.promptsWithoutMaxTokens++;
    if (Array.isArray(request.tools) && request.tools.length > 0) s.withTools++;
    if (request.response_format != null) s.withResponseFormat++;
    if (request.messages.some((m) => m.role === 'system' || m.role === 'developer')) s.withSystemPrompt++;
    if (prompt.recordedResponse != null) s.withRecordedResponse++;
    if (prompt.timestampMs !== null) {
      this.withTimestamp++;
      if (prompt.timestampMs < this.firstMs) this.firstMs = prompt.timestampMs;
      if (prompt.timestampMs > this.lastMs) this.lastMs = prompt.timestampMs;
    }
  }

  result(): ScenarioStats {
    const timeSpan =
      this.withTimestamp === 0
        ? null
        : {
            first: new Date(this.firstMs).toISOString(),
            last: new Date(this.lastMs).toISOString(),
            spanMs: this.lastMs - this.firstMs,
            withTimestamp: this.withTimestamp,
          };
    return { ...this.stats, byModel: { ...this.stats.byModel }, timeSpan };
  }
}

function lastUserText(request: ChatRequest): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const m = request.messages[i]!;
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content.slice(0, LANGUAGE_SAMPLE_CHARS);
    if (Array.isArray(m.content)) {
      const text = m.content.find((p) => p.type === 'text' && typeof p.text === 'string');
      if (text) return (text.text as string).slice(0, LANGUAGE_SAMPLE_CHARS);
    }
  }
  return '';
}

const VIETNAMESE = /[ăâđêôơưĂÂĐÊÔƠƯạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/;

/** Hangul -> ko; kana -> ja; Han without kana -> zh; Vietnamese letters -> vi; mostly Latin -> en. */
export function guessLanguage(text: string): LanguageGuess {
  let han = 0;
  let kana = 0;
  let hangul = 0;
  let latin = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) latin++;
    else if (c >= 0xac00 && c <= 0xd7af) hangul++;
    else if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0x31f0 && c <= 0x31ff)) kana++;
    else if (c >= 0x4e00 && c <= 0x9fff) han++;
  }
  if (hangul > 0 && hangul >= kana && hangul * 4 >= han) return 'ko';
  if (kana > 0) return 'ja';
  if (han > 0 && han * 2 >= latin / 4) return 'zh';
  if (VIETNAMESE.test(text)) return 'vi';
  if (latin > 0) return 'en';
  return 'other';
}
