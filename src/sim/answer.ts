import { seededRng } from '../shared/clock.js';
import { lognormalDraw } from './distributions.js';
import type { SimProfile } from './profiles.js';
import { mixSeed, unitFromSeed } from './seed-hash.js';
import type { SimRequest } from './sim-request.js';

/**
 * Simulated answers. The base answer for a prompt depends only on the content
 * seed and the prompt text, so two simulators started with the same seed but
 * different profiles answer alike and a baseline can be compared with a
 * candidate. On top of the base:
 *  - drift: a fixed fraction of word positions is changed, the same on every
 *    call (a candidate that answers differently);
 *  - variability: some calls change a few words (sampling noise), decided per
 *    (profile, prompt, sample number);
 *  - length factor: a terser provider answers with a prefix of the base.
 * One output token is one word (text) or 4 characters (JSON, tool arguments).
 */

/** Why the answer ended, in OpenAI's terms. */
export type FinishReason = 'stop' | 'length' | 'tool_calls';

/** What kind of answer was produced; also the `x-sim-content` ground-truth header. */
export type AnswerKind = 'text' | 'json' | 'json-broken' | 'tool-call';

export interface SimAnswer {
  kind: AnswerKind;
  /** The streamed pieces, one per output token; joined they are `text`. */
  pieces: string[];
  /** The message content, or the tool call's JSON arguments. */
  text: string;
  /** Set for a tool call. */
  toolName: string | null;
  finishReason: FinishReason;
  /** True when this call's sampling noise changed the answer. */
  varied: boolean;
}

// Salts keep the draws for different purposes independent.
const SALT_LENGTH = 0x1e4;
const SALT_WORDS = 0x30d5;
const SALT_DRIFT = 0xd21f;
const SALT_DRIFT_WORD = 0xd22a;
const SALT_SENTENCE = 0x5e47;
const SALT_TOOL = 0x7001;
const SALT_SAMPLE = 0x5a3e;

/** Share of words one noisy sample changes. */
const VARIED_WORD_SHARE = 0.03;
/** Chance a word ends a sentence. */
const SENTENCE_END_RATE = 0.1;
/** Characters per output token in JSON and tool arguments. */
const JSON_CHARS_PER_TOKEN = 4;

const WORDS = (
  'the a of to and in that is for it as with on by this be are from at or an which can' +
  ' request model answer system provider latency token stream budget retry error limit rate time' +
  ' value result order first next each every more less most other same new old good clear simple' +
  ' data record report score test check gate step plan run case prompt reply user service cost' +
  ' price policy window queue batch cache usage output input context window shadow rollout' +
  ' baseline candidate metric sample mean median range share count total estimate measure' +
  ' compare improve reduce increase keep hold move send read write return start stop wait' +
  ' because when while after before since until unless although however therefore also still' +
  ' only often rarely usually always never quickly slowly carefully fairly roughly nearly' +
  ' small large short long early late high low fast slow safe stable steady robust'
).split(' ');

/** The base answer's words (as indices), before drift and noise: a prefix property holds for any n. */
function baseWordIndices(seed: number, promptHash: number, n: number): number[] {
  const rng = seededRng(mixSeed(seed, promptHash, SALT_WORDS));
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rng() * WORDS.length);
  return out;
}

/** Another word than `index`, chosen by `u` in [0, 1). */
function otherWord(index: number, u: number): number {
  return (index + 1 + Math.floor(u * (WORDS.length - 1))) % WORDS.length;
}

/** Uncapped answer length in tokens for a prompt: depends on the seed, the prompt and the output profile only. */
export function targetLength(
  profile: SimProfile,
  seed: number,
  promptHash: number,
  promptTokens: number,
): number {
  const { medianTokens, p99Tokens, perPromptToken, lengthFactor } = profile.output;
  const rng = seededRng(mixSeed(seed, promptHash, SALT_LENGTH));
  const draw = lognormalDraw(medianTokens, p99Tokens, rng) + promptTokens * perPromptToken;
  return Math.max(1, Math.round(draw * lengthFactor));
}

/** The words of the answer after drift and (for noisy samples) variability. */
function answerWords(
  profile: SimProfile,
  seed: number,
  promptHash: number,
  n: number,
  sampleRng: () => number,
): { words: string[]; varied: boolean } {
  const indices = baseWordIndices(seed, promptHash, n);
  if (profile.drift > 0) {
    for (let i = 0; i < n; i++) {
      if (unitFromSeed(seed, promptHash, i, SALT_DRIFT) < profile.drift) {
        indices[i] = otherWord(indices[i]!, unitFromSeed(seed, promptHash, i, SALT_DRIFT_WORD));
      }
    }
  }
  const varied = profile.variability > 0 && sampleRng() < profile.variability;
  if (varied) {
    const changes = Math.max(1, Math.round(n * VARIED_WORD_SHARE));
    for (let c = 0; c < changes; c++) {
      const at = Math.floor(sampleRng() * n);
      indices[at] = otherWord(indices[at]!, sampleRng());
    }
  }
  const words = new Array<string>(n);
  let capitalise = true;
  for (let i = 0; i < n; i++) {
    let word = WORDS[indices[i]!]!;
    if (capitalise) word = word[0]!.toUpperCase() + word.slice(1);
    capitalise = i === n - 1 || unitFromSeed(seed, promptHash, i, SALT_SENTENCE) < SENTENCE_END_RATE;
    words[i] = capitalise ? `${word}.` : word;
  }
  return { words, varied };
}

function textPieces(words: string[]): string[] {
  const pieces = new Array<string>(words.length);
  for (let i = 0; i < words.length; i++) pieces[i] = i === 0 ? words[0]! : ` ${words[i]}`;
  return pieces;
}

function splitEvery(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces.length > 0 ? pieces : [''];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value of the shape `schema` asks for, filled from `words` in order (cycling). */
function fillFromSchema(schema: unknown, words: string[], cursor: { at: number }, depth = 0): unknown {
  const take = (count: number): string => {
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(words[(cursor.at++ % words.length) | 0]!.replace(/\.$/, ''));
    return out.join(' ');
  };
  const s = isRecord(schema) ? schema : {};
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[cursor.at++ % s.enum.length];
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (depth > 4) return take(1);
  switch (type) {
    case 'integer':
      return (cursor.at++ * 7) % 100;
    case 'number':
      return ((cursor.at++ * 37) % 100) / 100;
    case 'boolean':
      return cursor.at++ % 2 === 0;
    case 'array':
      return [
        fillFromSchema(s.items, words, cursor, depth + 1),
        fillFromSchema(s.items, words, cursor, depth + 1),
      ];
    case 'object': {
      const props = isRecord(s.properties) ? s.properties : {};
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(props))
        out[key] = fillFromSchema(sub, words, cursor, depth + 1);
      return out;
    }
    default:
      return take(6);
  }
}

/**
 * Builds the answer for one call. `sampleSeed` decides this call's noise and
 * JSON breakage; everything else follows from (seed, prompt).
 */
export function buildAnswer(
  profile: SimProfile,
  seed: number,
  request: SimRequest,
  promptHash: number,
  sampleSeed: number,
): SimAnswer {
  const sampleRng = seededRng(mixSeed(sampleSeed, SALT_SAMPLE));
  const target = targetLength(profile, seed, promptHash, request.promptTokens);
  const cap = request.maxTokens ?? profile.output.maxTokens;

  if (request.tool && unitFromSeed(seed, promptHash, SALT_TOOL) < profile.toolCallRate) {
    const { words, varied } = answerWords(profile, seed, promptHash, Math.min(target, 24), sampleRng);
    const params = isRecord(request.tool.parameters) ? request.tool.parameters : { type: 'object' };
    const args = JSON.stringify(fillFromSchema({ type: 'object', ...params }, words, { at: 0 }));
    return {
      kind: 'tool-call',
      pieces: splitEvery(args, JSON_CHARS_PER_TOKEN),
      text: args,
      toolName: request.tool.name,
      finishReason: 'tool_calls',
      varied,
    };
  }

  if (request.json) {
    const { words, varied } = answerWords(profile, seed, promptHash, target, sampleRng);
    const value =
      request.json.schema === null
        ? { answer: words.join(' ') }
        : fillFromSchema(request.json.schema, words, { at: 0 });
    let text = JSON.stringify(value);
    let kind: AnswerKind = 'json';
    let finishReason: FinishReason = 'stop';
    if (profile.jsonBreakRate > 0 && sampleRng() < profile.jsonBreakRate) {
      text = text.slice(0, Math.max(1, Math.floor(text.length * 0.6)));
      kind = 'json-broken';
    }
    if (Math.ceil(text.length / JSON_CHARS_PER_TOKEN) > cap) {
      text = text.slice(0, cap * JSON_CHARS_PER_TOKEN);
      finishReason = 'length';
    }
    return {
      kind,
      pieces: splitEvery(text, JSON_CHARS_PER_TOKEN),
      text,
      toolName: null,
      finishReason,
      varied,
    };
  }

  const n = Math.min(target, cap);
  const { words, varied } = answerWords(profile, seed, promptHash, n, sampleRng);
  const pieces = textPieces(words);
  return {
    kind: 'text',
    pieces,
    text: pieces.join(''),
    toolName: null,
    finishReason: target > cap ? 'length' : 'stop',
    varied,
  };
}
