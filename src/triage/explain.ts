import type { FileEvidence, LocatedFile } from './stages/locate.ts';
import type { FileFinding } from './state.ts';
import { shorten } from './text.ts';

const MAX_WHY = 160;

/** The reasons a file ranked, strongest first, in words a maintainer can check. */
export function reasonsFor(evidence: FileEvidence): string[] {
  const reasons: string[] = [];
  const { ranks } = evidence;
  if (evidence.frame) {
    const where = evidence.frame.function ? ` in \`${evidence.frame.function}\`` : '';
    reasons.push(`in the issue's stack trace${evidence.frame.line ? ` (line ${evidence.frame.line}${where})` : where}`);
  }
  // A plain lowercase word matched to a folder or file name is a path-word match, not a named symbol.
  const wordMention = evidence.mention !== undefined && /^[a-z][a-z0-9_-]*$/.test(evidence.mention) && !evidence.symbol?.name.includes(evidence.mention);
  if (evidence.mention && wordMention) reasons.push(`its path has the issue's word \`${shorten(evidence.mention, 40)}\``);
  else if (evidence.mention) reasons.push(`the issue names \`${shorten(evidence.mention, 60)}\``);
  if (ranks.message && ranks.message <= 3) reasons.push('raises the error message quoted in the issue');
  if (evidence.symbol && !evidence.mention && (ranks.chunkText ?? 99) <= 5) reasons.push(`\`${evidence.symbol.name}\` matches the issue's words`);
  if (ranks.pathWords && ranks.pathWords <= 3 && !wordMention) reasons.push('its path matches words of the issue');
  if (evidence.commit && (ranks.history ?? 99) <= 5) {
    const ref = evidence.commit.prs[0] ? `#${evidence.commit.prs[0]}` : evidence.commit.sha.slice(0, 7);
    const subject = evidence.commit.subject.replace(/\s*\(#\d+\)\s*$/, '');
    reasons.push(`changed in ${ref} "${shorten(subject, 60)}"`);
  }
  if (evidence.question && (ranks.questions ?? 99) <= 3) reasons.push(`answers "${shorten(evidence.question, 70)}"`);
  if (ranks.rewrite && ranks.rewrite <= 3) reasons.push("matches the model's reading of the issue");
  if (evidence.neighbourOf) reasons.push(`imported by or changed together with \`${evidence.neighbourOf}\``);
  if (reasons.length === 0 && (ranks.fileText || ranks.chunkText || ranks.vector)) reasons.push("shares the issue's vocabulary");
  if (reasons.length === 0) reasons.push('weak evidence');
  return reasons;
}

/** A located file as the comment shows it: pinned to its best symbol, with one line of why. */
export function toFinding(file: LocatedFile): FileFinding {
  const symbol = file.evidence.symbol;
  const why = shorten(reasonsFor(file.evidence).slice(0, 2).join('; '), MAX_WHY);
  return {
    path: file.path,
    ...(symbol ? { startLine: symbol.startLine, endLine: symbol.endLine, symbol: symbol.name } : {}),
    why,
    score: Number(file.score.toFixed(4)),
  };
}
