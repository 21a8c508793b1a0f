import { readdir } from 'node:fs/promises';
import { RepoStore } from '../store/repo-store.ts';
import type { CommentRow, RunRow } from '../store/schema.ts';
import type { TriageState } from '../triage/state.ts';
import { readReactions } from './reactions.ts';
import type { CommentOctokit } from './comment-upsert.ts';
import { median } from '../median.ts';

/** `scout stats`: what repo-scout did per repository, and what readers thought of it. */

export interface RepoStats {
  repo: string;
  /** Distinct issues with at least one triage run. */
  issuesTriaged: number;
  runs: number;
  /** Issues with a repo-scout comment. */
  comments: number;
  up: number;
  down: number;
  /** Median milliseconds from job start to the first comment. */
  medianFirstCommentMs?: number;
  /** Median of a run's stage times added up (understand → propose). */
  medianTriageMs?: number;
  /** Runs with a failed stage. */
  failedRuns: number;
}

/** The repositories with an index under a local LanceDB folder (their ids are read from their runs). */
export async function localRepoNamespaces(lancedbUri: string): Promise<string[]> {
  if (/^[a-z0-9]+:\/\//i.test(lancedbUri)) return [];
  try {
    return (await readdir(lancedbUri, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  } catch {
    return [];
  }
}

export async function repoStats(store: RepoStore): Promise<RepoStats> {
  const runs = await store.readRecords<RunRow>('runs');
  const comments = await store.readRecords<CommentRow>('comments');
  const states = runs.flatMap((run) => {
    try {
      return [(JSON.parse(run.state) as { state: TriageState }).state];
    } catch {
      return [];
    }
  });
  const triaged = new Set(states.filter((state) => state.issue !== undefined).map((state) => state.issue));
  return {
    repo: states[0]?.repo ?? store.repoId,
    issuesTriaged: triaged.size,
    runs: states.length,
    comments: comments.length,
    up: comments.reduce((sum, row) => sum + row.up, 0),
    down: comments.reduce((sum, row) => sum + row.down, 0),
    medianFirstCommentMs: median(comments.map((row) => row.latency_ms)),
    medianTriageMs: median(states.map((state) => Object.values(state.stages).reduce((sum, stage) => sum + (stage.ms ?? 0), 0))),
    failedRuns: states.filter((state) => Object.values(state.stages).some((stage) => stage.status === 'failed')).length,
  };
}

/** Reads 👍/👎 on each recorded comment back from GitHub into the `comments` table. */
export async function refreshReactions(store: RepoStore, octokit: CommentOctokit, repo: { owner: string; repo: string }): Promise<number> {
  const comments = await store.readRecords<CommentRow>('comments');
  const updated: CommentRow[] = [];
  for (const row of comments) {
    const counts = await readReactions(octokit, { owner: repo.owner, repo: repo.repo, comment_id: row.comment_id });
    if (counts && (counts.up !== row.up || counts.down !== row.down)) updated.push({ ...row, up: counts.up, down: counts.down });
  }
  await store.upsertRecords('comments', updated);
  return updated.length;
}

export function formatStats(rows: RepoStats[]): string {
  if (rows.length === 0) return 'No triage runs recorded yet.';
  const header = ['repository', 'issues', 'runs', 'comments', '👍', '👎', 'first comment p50', 'triage p50', 'failed runs'];
  const seconds = (ms?: number) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
  const lines = rows.map((row) => [row.repo, row.issuesTriaged, row.runs, row.comments, row.up, row.down, seconds(row.medianFirstCommentMs), seconds(row.medianTriageMs), row.failedRuns].map(String));
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column].length)));
  return [header, ...lines].map((line) => line.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n');
}
