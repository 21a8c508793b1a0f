import type { Octokit } from '@octokit/rest';

/**
 * Thumbs up / down on repo-scout's comment: the feedback `scout stats` shows.
 */

/** The part of an octokit this uses: `@octokit/rest`'s `Octokit` and Probot's `context.octokit` both fit. */
export type ReactionsOctokit = Pick<Octokit, 'paginate'>;

export interface ReactionCounts {
  up: number;
  down: number;
}

/**
 * Counts 👍 (`+1`) and 👎 (`-1`) on an issue comment, all pages read. `undefined` when the
 * comment is gone (404): someone deleted it, which is not the same as nobody reacting.
 */
export async function readReactions(
  octokit: ReactionsOctokit,
  target: { owner: string; repo: string; comment_id: number },
): Promise<ReactionCounts | undefined> {
  let reactions: Array<{ content: string }>;
  try {
    reactions = await octokit.paginate('GET /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions', { ...target, per_page: 100 });
  } catch (error) {
    if ((error as { status?: unknown } | null)?.status === 404) return undefined;
    throw error;
  }
  const counts: ReactionCounts = { up: 0, down: 0 };
  for (const reaction of reactions) {
    if (reaction.content === '+1') counts.up += 1;
    else if (reaction.content === '-1') counts.down += 1;
  }
  return counts;
}
