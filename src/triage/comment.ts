import { z } from 'zod';
import { STAGES, type Expert, type FileFinding, type Proposal, type RelatedItem, type StageStatus, type TriageState } from './state.ts';

/**
 * The one comment repo-scout posts on an issue, as a value: `renderComment(state)` writes the
 * markdown, `parseComment(markdown)` reads the state back from the hidden marker at its end.
 *
 * Everything in the state that came from outside — issue titles, commit subjects, paths, symbols,
 * names, model output — is untrusted. It is rendered so that it cannot ping anyone, link other
 * issues, inject HTML, or break the comment's structure or its marker.
 */

export const MARKER = 'repo-scout:v1';

/** GitHub refuses comment bodies longer than this. */
export const COMMENT_LIMIT = 65_536;

export interface CommentSections {
  files: boolean;
  related: boolean;
  experts: boolean;
  proposal: boolean;
}

export interface RenderOptions {
  /** Files listed under "Where to look". Default 5. */
  maxFiles?: number;
  /** Sections a repository's config turned off. Default: all on. */
  sections?: Partial<CommentSections>;
  /** What is wrong with `.github/scout.yml` when it could not be used (the run used defaults). */
  configWarning?: string;
}

// A margin under GitHub's limit, in case its count differs from UTF-16 code units somewhere.
const BUDGET = COMMENT_LIMIT - 536;
// While the marker still carries the whole diff, the shown diff is cut no shorter than this;
// below it a reader is better served by the diff than by the marker's copy of it.
const MIN_DIFF_SHOWN_WITH_COPY = 8_000;

const RELATED_SHOWN = 10;
const EXPERTS_SHOWN = 5;
const PLAN_STEPS_SHOWN = 30;
const MAX = { path: 300, symbol: 120, why: 300, title: 200, name: 80, step: 400, note: 500, error: 300, reason: 160, url: 2_000 };

/** Invisible characters that reorder or hide text (Trojan Source) and C0 controls other than whitespace. */
// eslint-disable-next-line no-control-regex
const HIDDEN_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
/** U+2060 WORD JOINER: invisible, and it stops GitHub from reading `@name`, `#12` or `https://` as a link. */
const JOINER = '\u2060';

/** One line of plain text: no hidden characters, whitespace (newlines too) collapsed, at most `max` characters. */
function flatten(text: string, max: number): string {
  const flat = String(text ?? '').replace(HIDDEN_CHARACTERS, '').replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  let cut = max - 1;
  if (/[\uD800-\uDBFF]/.test(flat[cut - 1] ?? '')) cut -= 1; // never split a surrogate pair
  return `${flat.slice(0, cut)}…`;
}

/**
 * Plain text in a markdown paragraph: markdown and HTML are escaped, and mentions (`@user`,
 * `@org/team`), issue references (`#12`, `GH-12`) and bare URLs are broken with a word joiner so
 * GitHub neither pings, nor cross-links, nor autolinks. `atLineStart` also escapes what would open
 * a heading, list, quote or rule.
 */
function escapeText(text: string, atLineStart: boolean): string {
  let out = text
    .replace(/[\\`*_[\]~$|]/g, '\\$&')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@/g, `@${JOINER}`)
    .replace(/#(?=\d)/g, `#${JOINER}`)
    .replace(/\bGH-(?=\d)/gi, (match) => `${match.slice(0, 2)}${JOINER}-`)
    .replace(/:\/\//g, `:${JOINER}//`);
  if (atLineStart) out = out.replace(/^[#+=-]/, '\\$&').replace(/^(\d+)([.)])/, '$1\\$2');
  return out;
}

/**
 * Untrusted text shown inline (a title, a why line, a plan step). Code spans in it stay code
 * spans (titles and why lines use them for names), re-fenced so they cannot swallow what follows;
 * everything else goes through `escapeText`.
 */
export function escapeInline(text: string, max = MAX.why): string {
  const flat = flatten(text, max);
  let out = '';
  let plainFrom = 0;
  let at = 0;
  while (at < flat.length) {
    if (flat[at] !== '`') {
      at += 1;
      continue;
    }
    const runEnd = endOfRun(flat, at);
    const close = closingRun(flat, runEnd, runEnd - at);
    if (close < 0) {
      at = runEnd; // an unmatched run is literal text
      continue;
    }
    out += escapeText(flat.slice(plainFrom, at), plainFrom === 0);
    let content = flat.slice(runEnd, close);
    if (content.length >= 2 && content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '') content = content.slice(1, -1);
    out += codeSpan(content, max) || escapeText(flat.slice(at, close + runEnd - at), false);
    at = close + (runEnd - at);
    plainFrom = at;
  }
  return out + escapeText(flat.slice(plainFrom), plainFrom === 0);
}

function endOfRun(text: string, from: number): number {
  let end = from;
  while (text[end] === '`') end += 1;
  return end;
}

/** Where the next backtick run of exactly `length` starts, or -1. */
function closingRun(text: string, from: number, length: number): number {
  let at = from;
  while (at < text.length) {
    if (text[at] !== '`') {
      at += 1;
      continue;
    }
    const end = endOfRun(text, at);
    if (end - at === length) return at;
    at = end;
  }
  return -1;
}

/**
 * Text as an inline code span: literal (no markdown, HTML or mentions inside code), fenced with
 * more backticks than any run it contains, on one line. Empty text gives an empty string.
 */
export function codeSpan(text: string, max = MAX.path): string {
  const flat = flatten(text, max);
  if (flat === '') return '';
  const fence = '`'.repeat(longestRun(flat, '`') + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** Untrusted text inside `[…](url)`: escaped inline text, so `]`, `[` and nested links cannot end or break it. */
export function linkText(text: string, max = MAX.title): string {
  return escapeInline(text, max);
}

/** A fence for a fenced code block: longer than any backtick run in the content, so no line can close it. */
export function fenceFor(content: string): string {
  return '`'.repeat(Math.max(3, longestRun(content, '`') + 1));
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let current = 0;
  for (const c of text) {
    current = c === char ? current + 1 : 0;
    if (current > longest) longest = current;
  }
  return longest;
}

/** Text inside an HTML element (the `<summary>`), where markdown is not parsed. */
function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/@/g, `@${JOINER}`);
}

/** An http(s) URL safe inside `(…)` of a markdown link, or undefined. */
function safeUrl(url: string | undefined): string | undefined {
  if (!url || url.length > MAX.url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  return parsed.href.replace(/[()`\s<>"]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function pathSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[()!'*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function shortSha(sha: string): string {
  return /^[0-9a-f]{7,64}$/i.test(sha) ? sha.slice(0, 7) : flatten(sha, 12);
}

function positive(value: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** `#L40-L58`, `#L40`, or nothing when the finding has no lines. */
export function lineAnchor(file: Pick<FileFinding, 'startLine' | 'endLine'>): string {
  const start = positive(file.startLine) ?? positive(file.endLine);
  if (start === undefined) return '';
  const end = positive(file.endLine);
  return end === undefined || end <= start ? `#L${start}` : `#L${start}-L${end}`;
}

/** The line-pinned link to a file at the indexed commit, or undefined offline. */
export function permalink(htmlBase: string | undefined, commit: string, file: FileFinding): string | undefined {
  const base = safeUrl(htmlBase)?.replace(/\/+$/, '');
  if (!base || !commit) return undefined;
  const path = file.path.replace(/^\/+/, '').split('/').map(pathSegment).join('/');
  const url = `${base}/blob/${pathSegment(commit)}/${path}${lineAnchor(file)}`;
  return url.length > MAX.url ? undefined : url;
}

interface Resolved {
  maxFiles: number;
  sections: CommentSections;
  configWarning?: string;
}

function resolve(options: RenderOptions): Resolved {
  const maxFiles = Number.isFinite(options.maxFiles) ? Math.max(1, Math.floor(options.maxFiles as number)) : 5;
  const sections = { files: true, related: true, experts: true, proposal: true, ...options.sections };
  return { maxFiles, sections, configWarning: options.configWarning };
}

function status(state: TriageState, stage: (typeof STAGES)[number]): StageStatus {
  return state.stages?.[stage]?.status ?? 'pending';
}

function summaryLine(state: TriageState): string {
  const head = '**repo-scout** ·';
  const locate = state.stages?.locate;
  switch (locate?.status ?? 'pending') {
    case 'pending':
    case 'running':
      return `${head} looking for the files this issue is about…`;
    case 'failed':
      return `${head} could not look for the files this issue is about: ${escapeInline(locate?.error || 'the search failed', MAX.error)}`;
    case 'skipped':
      return `${head} did not look for files${locate?.error ? `: ${escapeInline(locate.error, MAX.error)}` : ''}`;
  }
  const top = state.files?.find((file) => flatten(file.path, MAX.path) !== '');
  if (!top) return `${head} found no files that clearly match this issue`;
  const path = codeSpan(top.path, MAX.path);
  const level = state.confidence?.level;
  if (level === 'low') return `${head} maybe in ${path} (low confidence — these are guesses)`;
  return `${head} likely in ${path}${level ? ` (confidence: ${level})` : ''}`;
}

function configNote(warning: string): string {
  return `⚠️ ${codeSpan('.github/scout.yml')} could not be used, so the defaults apply: ${escapeInline(warning, MAX.error)}`;
}

function filesBlock(state: TriageState, options: Resolved): string | undefined {
  if (!options.sections.files || status(state, 'locate') !== 'done') return undefined;
  const files = (state.files ?? []).filter((file) => flatten(file.path, MAX.path) !== '').slice(0, options.maxFiles);
  if (files.length === 0) return undefined;
  const lines = files.map((file, index) => {
    const shown = codeSpan(`${flatten(file.path, MAX.path)}${lineAnchor(file)}`, MAX.path + 24);
    const url = permalink(state.htmlBase, state.commit, file);
    const symbol = file.symbol ? codeSpan(file.symbol, MAX.symbol) : '';
    const why = file.why ? escapeInline(file.why, MAX.why) : '';
    return `${index + 1}. ${url ? `[${shown}](${url})` : shown}${symbol ? ` ${symbol}` : ''}${why ? ` — ${why}` : ''}`;
  });
  return `**Where to look**\n${lines.join('\n')}`;
}

function relatedLabel(item: RelatedItem): string {
  if (item.kind === 'commit') return 'commit';
  const noun = item.kind === 'pull' ? 'PR' : 'issue';
  return item.state ? `${item.state} ${noun}` : noun;
}

function relatedLine(item: RelatedItem, state: TriageState): string {
  const number = positive(item.number);
  const title = linkText(item.title, MAX.title);
  const base = safeUrl(state.htmlBase)?.replace(/\/+$/, '');
  const url = safeUrl(item.url) ?? (number === undefined && item.sha && base ? `${base}/commit/${pathSegment(item.sha)}` : undefined);
  let head: string;
  if (number !== undefined) {
    const text = `#${number}${title ? ` ${title}` : ''}`;
    head = url ? `[${text}](${url})` : text;
  } else if (item.sha) {
    const sha = codeSpan(shortSha(item.sha));
    head = `${url ? `[${sha}](${url})` : sha}${title ? ` ${title}` : ''}`;
  } else {
    head = url && title ? `[${title}](${url})` : title;
  }
  const facts = [relatedLabel(item)];
  if (item.duplicate && item.kind !== 'commit') {
    const similarity = Math.min(1, Math.max(0, Number(item.similarity) || 0));
    facts.push(`possible duplicate, ${similarity.toFixed(2)}`);
  }
  const why = item.why ? escapeInline(item.why, MAX.why) : '';
  return `- ${head} (${facts.join(', ')})${why ? ` — ${why}` : ''}`;
}

function relatedBlock(state: TriageState, options: Resolved): string | undefined {
  if (!options.sections.related || status(state, 'related') !== 'done') return undefined;
  const items = (state.related ?? []).slice(0, RELATED_SHOWN);
  if (items.length === 0) return undefined;
  return `**Related**\n${items.map((item) => relatedLine(item, state)).join('\n')}`;
}

/** `Ada Lovelace (@⁠ada)`: the login follows `@` and a word joiner, so GitHub shows it but pings nobody. */
function whoIs(expert: Expert): string {
  const name = escapeInline(expert.name ?? '', MAX.name);
  const login = expert.login ? `@${JOINER}${escapeInline(expert.login, MAX.name)}` : '';
  if (!login) return name;
  if (!name || flatten(expert.name, MAX.name).toLowerCase() === flatten(expert.login ?? '', MAX.name).toLowerCase()) return login;
  return `${name} (${login})`;
}

function expertLine(expert: Expert): string | undefined {
  const who = whoIs(expert);
  if (!who) return undefined;
  const count = Number.isInteger(expert.commits) && expert.commits >= 0 ? expert.commits : 0;
  const files = (expert.files ?? []).map((file) => codeSpan(file, MAX.path)).filter(Boolean);
  let where = 'these files';
  if (files.length === 1) where = files[0];
  else if (files.length === 2) where = `${files[0]} and ${files[1]}`;
  else if (files.length > 2) where = `${files[0]}, ${files[1]} and ${files.length - 2} more`;
  const date = /^\d{4}-\d{2}-\d{2}/.test(expert.lastTouched ?? '') ? expert.lastTouched.slice(0, 10) : escapeInline(expert.lastTouched ?? '', 30);
  return `- ${who} · ${count} ${count === 1 ? 'commit' : 'commits'} to ${where}${date ? `, last ${date}` : ''}`;
}

function expertsBlock(state: TriageState, options: Resolved): string | undefined {
  if (!options.sections.experts || status(state, 'related') !== 'done') return undefined;
  const lines = (state.experts ?? [])
    .slice(0, EXPERTS_SHOWN)
    .map(expertLine)
    .filter((line): line is string => line !== undefined);
  if (lines.length === 0) return undefined;
  return `**Knows this code**\n${lines.join('\n')}`;
}

/** The diff as lines, or undefined when the proposal carries none. */
function diffLines(proposal: Proposal | undefined): string[] | undefined {
  if (proposal?.kind !== 'diff' || !proposal.diff) return undefined;
  const text = proposal.diff.replace(/\r\n?/g, '\n').replaceAll('\u0000', '').replace(/\n+$/, '');
  return text.trim() === '' ? undefined : text.split('\n');
}

/** `shown`: how many diff lines fit (undefined: all). */
function proposalBlock(state: TriageState, options: Resolved, shown: number | undefined): string | undefined {
  const proposal = state.proposal;
  if (!options.sections.proposal || status(state, 'propose') !== 'done' || !proposal) return undefined;
  const lines = diffLines(proposal);
  const parts: string[] = [];
  if (proposal.note) parts.push(escapeInline(proposal.note, MAX.note));
  let summary: string;
  if (lines) {
    const commit = escapeHtml(shortSha(state.commit));
    if (proposal.applies === true) summary = `Proposed change (applies cleanly to ${commit})`;
    else if (proposal.applies === false) summary = `Proposed change (does not apply cleanly to ${commit}; review it by hand)`;
    else summary = `Proposed change (not checked against ${commit})`;
    const kept = shown === undefined ? lines : lines.slice(0, shown);
    const body = kept.join('\n');
    const fence = fenceFor(body);
    parts.push(`${fence}diff\n${body}\n${fence}`);
    if (kept.length < lines.length) parts.push(`_The diff is too long for a comment: showing its first ${kept.length} of ${lines.length} lines._`);
  } else {
    summary = 'Suggested plan';
    const steps = (proposal.plan ?? []).map((step) => escapeInline(step, MAX.step)).filter(Boolean);
    if (steps.length === 0 && parts.length === 0) return undefined;
    const listed = steps.slice(0, PLAN_STEPS_SHOWN).map((step, index) => `${index + 1}. ${step}`);
    if (steps.length > PLAN_STEPS_SHOWN) listed.push(`${PLAN_STEPS_SHOWN + 1}. …and ${steps.length - PLAN_STEPS_SHOWN} more steps`);
    if (listed.length > 0) parts.push(listed.join('\n'));
  }
  if (proposal.source && proposal.source !== 'offline') parts.push(`<sub>Written by ${codeSpan(proposal.source, 60)}; check it before you use it.</sub>`);
  // The blank lines matter: without them GitHub does not parse markdown inside <details>.
  return `<details><summary>${summary}</summary>\n\n${parts.join('\n\n')}\n\n</details>`;
}

const GLYPHS: Record<StageStatus, string> = { pending: '○', running: '…', done: '✔', failed: '✖', skipped: '⊘' };

function footer(state: TriageState): string {
  const stages = STAGES.map((stage) => {
    const record = state.stages?.[stage];
    const current = record?.status ?? 'pending';
    const reason = (current === 'failed' || current === 'skipped') && record?.error ? ` (${escapeInline(record.error, MAX.reason)})` : '';
    return `${stage} ${GLYPHS[current] ?? '?'}${reason}`;
  });
  const indexed = state.commit ? `Indexed at ${escapeInline(shortSha(state.commit), 12)} · ` : '';
  return `<sub>${indexed}${stages.join(' ')} · \`/scout\` to re-run, \`/scout <hint>\` to steer · 👍/👎 to tell us if this helped</sub>`;
}

/**
 * The state as marker JSON. `<`, `>`, `&` are escaped so the JSON can never hold `-->` or
 * `<!--` (which would end or confuse the HTML comment), and `@`, `#` so nothing in it looks like
 * a mention or a reference; JSON.parse restores all of them.
 */
function markerLine(state: TriageState): string {
  const json = JSON.stringify(state).replace(/[<>&@#]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `<!-- ${MARKER} ${json} -->`;
}

/** How much of the state the marker carries; each level is smaller than the one before. */
type MarkerLevel = 'full' | 'without-diff' | 'shown' | 'minimal';
const MARKER_LEVELS: MarkerLevel[] = ['full', 'without-diff', 'shown', 'minimal'];

function clipStrings<T>(value: T, max: number): T {
  if (typeof value === 'string') return (value.length > max ? value.slice(0, max) : value) as T;
  if (Array.isArray(value)) return value.map((item) => clipStrings(item, max)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, clipStrings(item, max)])) as T;
  }
  return value;
}

function markerState(state: TriageState, level: MarkerLevel, options: Resolved): TriageState {
  if (level === 'full') return state;
  let proposal = state.proposal;
  if (proposal?.diff !== undefined) {
    const { diff: _diff, ...withoutDiff } = proposal;
    proposal = withoutDiff;
  }
  const slim: TriageState = { ...state, ...(proposal ? { proposal } : {}) };
  if (level === 'without-diff') return slim;
  if (level === 'shown') {
    return clipStrings(
      {
        ...slim,
        ...(slim.files ? { files: slim.files.slice(0, options.maxFiles) } : {}),
        ...(slim.related ? { related: slim.related.slice(0, RELATED_SHOWN) } : {}),
        ...(slim.experts ? { experts: slim.experts.slice(0, EXPERTS_SHOWN) } : {}),
        ...(proposal ? { proposal: { ...proposal, plan: (proposal.plan ?? []).slice(0, PLAN_STEPS_SHOWN) } } : {}),
      },
      MAX.why,
    );
  }
  const { version, repo, issue, commit, textHash, htmlBase, confidence, stages, tokens } = state;
  return clipStrings({ version, repo, issue, commit, textHash, htmlBase, confidence, stages, tokens }, 200);
}

interface Layout {
  marker: MarkerLevel;
  /** Diff lines shown (undefined: all). */
  diffShown?: number;
  /** The sections do not fit: show only the files (`files-only`) or nothing but the summary and footer, and say so. */
  cut?: 'files-only' | 'all';
}

function compose(state: TriageState, options: Resolved, layout: Layout): string {
  const blocks: (string | undefined)[] = [summaryLine(state)];
  if (options.configWarning) blocks.push(configNote(options.configWarning));
  if (layout.cut) {
    if (layout.cut === 'files-only') blocks.push(filesBlock(state, options));
    blocks.push('_The rest of the result is too large for one comment and is left out._');
  } else {
    blocks.push(filesBlock(state, options), relatedBlock(state, options), expertsBlock(state, options), proposalBlock(state, options, layout.diffShown));
  }
  blocks.push(footer(state));
  return `${blocks.filter((block) => block !== undefined).join('\n\n')}\n${markerLine(markerState(state, layout.marker, options))}\n`;
}

/** The most diff lines that keep the comment within budget at this marker level (0 if none fit). */
function fitDiff(state: TriageState, options: Resolved, marker: MarkerLevel, lines: string[]): number {
  // With no lines shown the fence may be shorter than with some; add room for it and the count's digits.
  const base = compose(state, options, { marker, diffShown: 0 }).length + 64 + longestRun(lines.join('\n'), '`');
  let used = base;
  let count = 0;
  while (count < lines.length && used + lines[count].length + 1 <= BUDGET) {
    used += lines[count].length + 1;
    count += 1;
  }
  return count;
}

/**
 * The comment for a triage state: summary, where to look, related, who knows the code, the
 * proposal, a footer with each stage's status, and the hidden marker carrying the state.
 *
 * It always stays under GitHub's size limit. When it would not, the shown diff is cut first
 * (saying so), then the marker drops its copy of the diff, then everything not shown, then the
 * comment keeps only its files, and last only its summary and footer — the marker always parses.
 */
export function renderComment(state: TriageState, options: RenderOptions = {}): string {
  const resolved = resolve(options);
  const lines = resolved.sections.proposal && status(state, 'propose') === 'done' ? diffLines(state.proposal) : undefined;
  const diffChars = lines ? lines.join('\n').length : 0;
  for (const marker of MARKER_LEVELS) {
    // Escaping only lengthens the JSON: a marker already too long raw is skipped without building the comment.
    if (marker !== 'minimal' && JSON.stringify(markerState(state, marker, resolved)).length > BUDGET) continue;
    const whole = compose(state, resolved, { marker });
    if (whole.length <= BUDGET) return whole;
    if (!lines) continue;
    let shown = fitDiff(state, resolved, marker, lines);
    const shownChars = lines.slice(0, shown).join('\n').length;
    if (shown === 0 || (marker === 'full' && shownChars < Math.min(MIN_DIFF_SHOWN_WITH_COPY, diffChars))) continue;
    // fitDiff is an estimate; step down until the real comment fits.
    while (shown > 0) {
      const cut = compose(state, resolved, { marker, diffShown: shown });
      if (cut.length <= BUDGET) return cut;
      shown = Math.floor(shown * 0.9);
    }
  }
  const filesOnly = compose(state, resolved, { marker: 'minimal', cut: 'files-only' });
  return filesOnly.length <= BUDGET ? filesOnly : compose(state, resolved, { marker: 'minimal', cut: 'all' });
}

const stageRecordSchema = z.looseObject({
  status: z.enum(['pending', 'running', 'done', 'failed', 'skipped']),
  ms: z.number().optional(),
  error: z.string().optional(),
  tokens: z.number().optional(),
});

// Loose objects keep fields this version does not know, so a newer state survives the round trip.
const stateSchema: z.ZodType<TriageState> = z.looseObject({
  version: z.literal(1),
  repo: z.string(),
  issue: z.number().optional(),
  commit: z.string(),
  textHash: z.string(),
  htmlBase: z.string().optional(),
  confidence: z.looseObject({ level: z.enum(['high', 'medium', 'low']), score: z.number() }).optional(),
  files: z
    .array(
      z.looseObject({
        path: z.string(),
        startLine: z.number().optional(),
        endLine: z.number().optional(),
        symbol: z.string().optional(),
        why: z.string(),
        score: z.number(),
      }),
    )
    .optional(),
  related: z
    .array(
      z.looseObject({
        kind: z.enum(['issue', 'pull', 'commit']),
        number: z.number().optional(),
        sha: z.string().optional(),
        title: z.string(),
        state: z.enum(['open', 'closed', 'merged']).optional(),
        url: z.string().optional(),
        similarity: z.number(),
        duplicate: z.boolean(),
        why: z.string().optional(),
      }),
    )
    .optional(),
  experts: z
    .array(
      z.looseObject({
        name: z.string(),
        login: z.string().optional(),
        commits: z.number(),
        lastTouched: z.string(),
        files: z.array(z.string()),
      }),
    )
    .optional(),
  proposal: z
    .looseObject({
      kind: z.enum(['diff', 'plan']),
      diff: z.string().optional(),
      applies: z.boolean().optional(),
      plan: z.array(z.string()),
      note: z.string().optional(),
      source: z.string(),
    })
    .optional(),
  stages: z.looseObject({ understand: stageRecordSchema, locate: stageRecordSchema, related: stageRecordSchema, propose: stageRecordSchema }),
  tokens: z.number(),
});

const OPENER = `<!-- ${MARKER} `;

/**
 * The state carried by a comment's marker, or undefined when the comment has no marker or a
 * corrupt one. Never throws. It reads the last marker, which is where repo-scout puts its own.
 * A marker proves nothing about who wrote the comment: check the comment's author too.
 */
export function parseComment(markdown: string): TriageState | undefined {
  if (typeof markdown !== 'string') return undefined;
  const start = markdown.lastIndexOf(OPENER);
  if (start < 0) return undefined;
  const end = markdown.indexOf('-->', start + OPENER.length);
  if (end < 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(markdown.slice(start + OPENER.length, end));
  } catch {
    return undefined;
  }
  const parsed = stateSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Whether a comment body is one of repo-scout's (it has the marker on a line of its own), even
 * when the marker is corrupt — so the bot edits its comment instead of posting a second one.
 */
export function isScoutComment(body: string): boolean {
  return typeof body === 'string' && new RegExp(`(^|\\n)${OPENER.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`).test(body);
}
