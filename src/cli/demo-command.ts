import type { Command } from 'commander';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HashingEmbedder } from '../ai/hashing-embedder.ts';
import { env } from '../config/env.ts';
import { quietLogs } from './quiet-logs.ts';
import { describeIndex, stageProgress } from './triage-command.ts';

/**
 * `npm run demo`: builds the bundled sample repository (from demo/), indexes it and triages the
 * sample issue, offline, then prints the comment repo-scout would post. Nothing leaves the machine.
 */
export async function runDemo(options: { keep?: string; write?: (text: string) => void; progress?: boolean } = {}): Promise<string> {
  const write = options.write ?? ((text: string) => process.stderr.write(text));
  // Loaded here, so other commands do not pay for the triage pipeline's modules at start; before
  // the work folder exists, so a failed load leaves nothing behind.
  const [{ createSampleRepo }, { triage }, { renderComment }] = await Promise.all([
    import('../demo/sample-repo.ts'),
    import('../triage/triage.ts'),
    import('../triage/comment.ts'),
  ]);
  const work = options.keep ?? (await mkdtemp(path.join(os.tmpdir(), 'scout-demo-')));
  const started = performance.now();
  try {
    const sample = await createSampleRepo(path.join(work, 'repo'));
    write(`Sample repository: ${sample.repoPath} (head ${sample.head.slice(0, 7)})\nSample issue: "${sample.issue.title}"\n`);
    const config = env();
    const outcome = await triage({
      repoPath: sample.repoPath,
      repoId: 'demo/bookshop',
      issue: { ...sample.issue, number: 42 },
      dataDir: work,
      lancedbUri: path.join(work, 'lancedb'),
      limits: config.limits,
      historyCommits: config.historyCommits,
      embedder: new HashingEmbedder(),
      questionTokenBudget: 0,
      onIndexed: (summary) => write(`${describeIndex(summary)}\n`),
      onProgress: stageProgress(options.progress ?? true),
    });
    write(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s. The comment repo-scout would post:\n\n`);
    return renderComment(outcome.state);
  } finally {
    if (!options.keep) await rm(work, { recursive: true, force: true });
  }
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('triage a sample issue on a bundled sample repository, offline, and print the comment')
    .option('--keep <dir>', 'build the sample repository and its index in this folder and keep them')
    .action(async (flags: { keep?: string }) => {
      quietLogs();
      console.log(await runDemo({ keep: flags.keep && path.resolve(flags.keep) }));
    });
}
