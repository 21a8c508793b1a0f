import { createHash } from 'node:crypto';

/**
 * What one triage run knows about an issue, stage by stage. The pipeline checkpoints it, the
 * comment renders it (and carries it in a hidden marker), `scout triage --json` prints it.
 */

export const STAGES = ['understand', 'locate', 'related', 'propose'] as const;
export type StageName = (typeof STAGES)[number];

/** `skipped`: the stage had nothing to do (e.g. propose with no files) or was turned off by config. */
export type StageStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface StageRecord {
  status: StageStatus;
  /** Wall time of the stage's last attempt. */
  ms?: number;
  /** What went wrong, in words a maintainer can act on (failed), or why it was skipped. */
  error?: string;
  /** Model tokens the stage spent. */
  tokens?: number;
}

export type Confidence = 'high' | 'medium' | 'low';

/** A file the issue is likely about, pinned to its best symbol's lines when one is known. */
export interface FileFinding {
  path: string;
  /** 1-based inclusive line range of the best symbol (absent: link the whole file). */
  startLine?: number;
  endLine?: number;
  symbol?: string;
  /** One line: why this file (the evidence that ranked it). */
  why: string;
  score: number;
}

export type RelatedKind = 'issue' | 'pull' | 'commit';

/** A past issue, pull request or commit that looks related to this issue. */
export interface RelatedItem {
  kind: RelatedKind;
  /** Issue or PR number (absent for a plain commit). */
  number?: number;
  /** Commit sha (for commits, and for PRs known only from history). */
  sha?: string;
  title: string;
  /** `open` | `closed` | `merged` when known. */
  state?: 'open' | 'closed' | 'merged';
  url?: string;
  /** 0–1 similarity to this issue. */
  similarity: number;
  /** Above the configured duplicate threshold (only issues and PRs are ever flagged). */
  duplicate: boolean;
  /** One line: what connects it (shared files, same error, …). */
  why?: string;
}

/** Someone who knows the located code. Rendered so that nobody is pinged. */
export interface Expert {
  name: string;
  /** GitHub login when known (rendered without a live @mention). */
  login?: string;
  /** Commits to the located files in the recent history. */
  commits: number;
  /** ISO date (YYYY-MM-DD) of their last commit to those files. */
  lastTouched: string;
  /** The located files they touched, most-touched first. */
  files: string[];
}

export interface Proposal {
  /** `diff`: a unified diff (checked with `git apply --check`); `plan`: steps in words. */
  kind: 'diff' | 'plan';
  diff?: string;
  /** For a diff: whether it applies cleanly to the indexed commit. */
  applies?: boolean;
  /** Steps naming the symbols to change and why (always present; the fallback when no diff applies). */
  plan: string[];
  /** What the reader should know (e.g. "the model's diff did not apply; showing its plan"). */
  note?: string;
  /** `offline` or the model that wrote it. */
  source: string;
}

export interface IssueInput {
  /** Repository id, `owner/name` for GitHub repositories. */
  repo: string;
  /** Issue number (absent for a CLI dry run on free text). */
  number?: number;
  title: string;
  body: string;
  /** Extra guidance from `/scout <hint>`, appended to the issue text. */
  guidance?: string;
}

export interface TriageState {
  version: 1;
  repo: string;
  issue?: number;
  /** The commit the index was at when the run started (the links pin to it). */
  commit: string;
  /** Hash of title + body + guidance: a changed text starts the run over. */
  textHash: string;
  /** `https://github.com/owner/name` (or the GHE equivalent) for links; absent offline. */
  htmlBase?: string;
  confidence?: { level: Confidence; score: number };
  files?: FileFinding[];
  related?: RelatedItem[];
  experts?: Expert[];
  proposal?: Proposal;
  stages: Record<StageName, StageRecord>;
  /** Model tokens spent by the whole run. */
  tokens: number;
}

export function emptyStages(): Record<StageName, StageRecord> {
  return { understand: { status: 'pending' }, locate: { status: 'pending' }, related: { status: 'pending' }, propose: { status: 'pending' } };
}

/** Identifies an issue's text (title, body and `/scout` guidance): a changed text is a new triage. */
export function issueTextHash(issue: Pick<IssueInput, 'title' | 'body' | 'guidance'>): string {
  return createHash('sha256').update(`${issue.title}\0${issue.body}\0${issue.guidance ?? ''}`).digest('hex').slice(0, 16);
}
