import { z } from 'zod';
import { PermanentJobError } from '../jobs/queue.ts';
import { issueTextHash } from '../triage/state.ts';

/** What each job carries. Parsed on the way in: a job crossed a disk or Redis, and may predate a deploy. */

const repoTarget = {
  installationId: z.number().int().positive(),
  owner: z.string().min(1),
  repo: z.string().min(1),
};

export const indexJobSchema = z.object({
  ...repoTarget,
  /** Commit to index; absent: the default branch's head. */
  sha: z.string().regex(/^[0-9a-f]{7,40}$/).optional(),
  reason: z.enum(['install', 'push', 'triage', 'manual']),
});
export type IndexJob = z.infer<typeof indexJobSchema>;

export const triageJobSchema = z.object({
  ...repoTarget,
  issue: z.number().int().positive(),
  trigger: z.enum(['opened', 'edited', 'command']),
  /** For `edited`: the text before the edit, to judge whether it changed materially. */
  previous: z.object({ title: z.string(), body: z.string() }).optional(),
  command: z
    .object({
      kind: z.enum(['run', 'help']),
      guidance: z.string().optional(),
      by: z.string(),
      commentId: z.number().int(),
    })
    .optional(),
  isPullRequest: z.boolean().optional(),
});
export type TriageJob = z.infer<typeof triageJobSchema>;

export const syncJobSchema = z.object({ ...repoTarget });
export type SyncJob = z.infer<typeof syncJobSchema>;

export const recordJobSchema = z.object({ ...repoTarget, kind: z.enum(['issue', 'pull']), number: z.number().int().positive() });
export type RecordJob = z.infer<typeof recordJobSchema>;

export function parseJob<T>(schema: z.ZodType<T>, data: unknown, name: string): T {
  const result = schema.safeParse(data);
  if (!result.success) {
    throw new PermanentJobError(`Malformed ${name} job: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  return result.data;
}

/** One triage job per issue text: a redelivered `issues.opened` is a duplicate, an edit is not. */
export function triageJobId(fullName: string, issue: number, text: { title: string; body: string }): string {
  return `triage:${fullName}:${issue}:${issueTextHash(text)}`;
}
