/** The prompts whose candidate answers differ most from the baseline's, with excerpts a reviewer can read. */
import type { DivergentTexts } from '../store/report-queries.js';
import type { DivergentPrompt } from './shadow-report.js';

/** `texts`: divergentTexts of `least`'s prompts, in that order, cut to `excerptChars + 1`. */
export function divergentPrompts(
  texts: DivergentTexts[],
  least: { promptId: string; similarity: number }[],
  threshold: number,
  excerptChars: number,
): DivergentPrompt[] {
  return least.map((d, i) => {
    const row = texts[i]!;
    return {
      promptId: d.promptId,
      similarity: d.similarity,
      drift: d.similarity < threshold,
      promptExcerpt: excerpt(messageText(row.lastUserContent), excerptChars),
      baselineExcerpt: excerpt(row.baselineText || row.baselineToolCalls, excerptChars),
      candidateExcerpt: excerpt(row.candidateText || row.candidateToolCalls, excerptChars),
    };
  });
}

/** A message's content as text: a string as it is, a list of content parts as their texts joined. */
export function messageText(content: string | null): string | null {
  if (content === null) return null;
  if (!content.startsWith('[')) return content;
  try {
    const parts = JSON.parse(content) as unknown;
    if (!Array.isArray(parts)) return content;
    return parts
      .map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : ''))
      .filter((text) => text !== '')
      .join(' ');
  } catch {
    // A string content that happens to start with '[' is text.
    return content;
  }
}

function excerpt(text: string | null, chars: number): string | null {
  if (text === null) return null;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > chars ? `${flat.slice(0, chars - 1)}…` : flat;
}
