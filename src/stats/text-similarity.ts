/**
 * Scripts written without spaces between words: Han, kana and the South-East
 * Asian scripts. Their runs are cut into character bigrams, which stand in for
 * words without needing a dictionary segmenter. U+30FC (the kana long vowel
 * mark) is Script=Common, so it is named.
 */
const UNSPACED =
  '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\u30FC\\p{Script=Thai}\\p{Script=Lao}\\p{Script=Khmer}\\p{Script=Myanmar}';
/** A run of unspaced-script characters, or a word of other letters, marks (Vietnamese tones) and digits. */
const TOKEN = new RegExp(`[${UNSPACED}]+|(?:(?![${UNSPACED}])[\\p{L}\\p{M}\\p{N}])+`, 'gu');
const UNSPACED_START = new RegExp(`^[${UNSPACED}]`, 'u');

/**
 * ASCII is its own NFKC form, and in it a TOKEN is a run of ASCII letters and
 * digits: the fast paths below give the same result without the Unicode
 * property classes, which cost more than the rest of the comparison.
 */
const NON_ASCII = /[^\x00-\x7f]/;
const ASCII_TOKEN = /[a-zA-Z0-9]+/g;

/** NFKC (full-width forms, ligatures, compatibility characters), lower case, whitespace collapsed and trimmed. */
export function normalizeText(text: string): string {
  const nfkc = NON_ASCII.test(text) ? text.normalize('NFKC') : text;
  return nfkc.toLowerCase().replace(/\s+/gu, ' ').trim();
}

/** Term counts: words for spaced scripts, character bigrams for unspaced ones (a lone character stands as itself). */
export function shingles(normalized: string): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (term: string) => counts.set(term, (counts.get(term) ?? 0) + 1);
  if (!NON_ASCII.test(normalized)) {
    for (const match of normalized.matchAll(ASCII_TOKEN)) add(match[0]);
    return counts;
  }
  for (const match of normalized.matchAll(TOKEN)) {
    const token = match[0];
    if (!UNSPACED_START.test(token)) {
      add(token);
      continue;
    }
    const chars = Array.from(token);
    if (chars.length === 1) add(chars[0]!);
    for (let i = 0; i + 1 < chars.length; i++) add(chars[i]! + chars[i + 1]!);
  }
  return counts;
}

/**
 * Cosine similarity of term-count vectors, in [0, 1]: 1 when the texts are
 * equal after `normalizeText`, 0 when they share no term. Terms are words,
 * and character bigrams for Chinese, Japanese, Thai and similar scripts, so
 * it works across English, Vietnamese, Korean, Chinese and Japanese. Linear in
 * the text length (a Map per text), cheap enough to run on every replayed
 * prompt. Text with no letters or digits (only punctuation) is compared
 * character by character. Symmetric by construction.
 */
export function textSimilarity(a: string, b: string): number {
  const left = normalizeText(a);
  const right = normalizeText(b);
  if (left === right) return 1;
  let leftTerms = shingles(left);
  let rightTerms = shingles(right);
  if (leftTerms.size === 0 && rightTerms.size === 0) {
    leftTerms = characterCounts(left);
    rightTerms = characterCounts(right);
  }
  return cosine(leftTerms, rightTerms);
}

function characterCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const ch of text) if (ch !== ' ') counts.set(ch, (counts.get(ch) ?? 0) + 1);
  return counts;
}

function cosine(a: Map<string, number>, b: Map<string, number>): number {
  if (a.size === 0 || b.size === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [term, count] of small) dot += count * (large.get(term) ?? 0);
  if (dot === 0) return 0;
  let normA = 0;
  for (const count of a.values()) normA += count * count;
  let normB = 0;
  for (const count of b.values()) normB += count * count;
  // Rounding can push the ratio a hair past 1 for proportional vectors.
  return Math.min(1, dot / Math.sqrt(normA * normB));
}
