import { tokenize } from '../index/tokenize.ts';

/**
 * Whether an edit changed what an issue says, not just its punctuation, a typo or a checkbox:
 * the title's words changed, or the body's words changed by more than `threshold` (Jaccard
 * distance of their word sets).
 */
export function materialChange(before: { title: string; body: string }, after: { title: string; body: string }, threshold = 0.15): boolean {
  const words = (text: string) => new Set(tokenize(text));
  if (distance(words(before.title), words(after.title)) > 0) return true;
  return distance(words(before.body), words(after.body)) > threshold;
}

function distance(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let shared = 0;
  for (const word of a) if (b.has(word)) shared += 1;
  return 1 - shared / (a.size + b.size - shared);
}
