import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { modelsFromEnv } from '../ai/models.ts';
import { env } from '../config/env.ts';
import { ConfigError } from '../errors.ts';
import type { IndexSummary } from '../index/indexer.ts';
import type { TriageState } from '../triage/state.ts';
import { indexProgressBar } from './progress.ts';
import { quietLogs } from './quiet-logs.ts';
import { storageFor } from './storage.ts';

export interface IssueText {
  title: string;
  body: string;
  number?: number;
}

/**
 * An issue from a file: JSON (`{title, body, number}`, GitHub's REST shape works) or text whose
 * first line is the title (a leading `#` is dropped) and the rest the body.
 */
export async function readIssueFile(file: string): Promise<IssueText> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the issue file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
  if (text.trimStart().startsWith('{')) {
    let parsed: { title?: unknown; body?: unknown; number?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch (error) {
      throw new ConfigError(`${file} looks like JSON but does not parse: ${(error as Error).message}.`);
    }
    if (typeof parsed.title !== 'string' || !parsed.title.trim()) throw new ConfigError(`${file}: expected a "title" string.`);
    return {
      title: parsed.title.trim(),
      body: typeof parsed.body === 'string' ? parsed.body : '',
      number: typeof parsed.number === 'number' ? parsed.number : undefined,
    };
  }
  const [first = '', ...rest] = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const title = first.replace(/^#+\s*/, '').trim();
  if (!title) throw new ConfigError(`${file}: the first line should be the issue title, and it is empty.`);
  return { title, body: rest.join('\n').trim() };
}

/** The `--json` shape: what a script needs, without the comment's markup. */
export function triageJson(state: TriageState): Record<string, unknown> {
  return {
    repo: state.repo,
    issue: state.issue,
    commit: state.commit,
    confidence: state.confidence,
    files: state.files ?? [],
    related: state.related ?? [],
    experts: state.experts ?? [],
    proposal: state.proposal ?? null,
    tokens: state.tokens,
    stages: Object.fromEntries(Object.entries(state.stages).map(([name, record]) => [name, record])),
  };
}

/** Stage-by-stage progress on stderr, so the comment on stdout stays clean to pipe. */
export function stageProgress(enabled: boolean): (state: TriageState) => void {
  const reported = new Set<string>();
  return (state) => {
    if (!enabled) return;
    for (const [name, record] of Object.entries(state.stages)) {
      if (record.status === 'pending' || record.status === 'running' || reported.has(name)) continue;
      reported.add(name);
      const detail = record.error ? ` (${record.error})` : '';
      process.stderr.write(`  ${name.padEnd(10)} ${record.status}${record.ms !== undefined ? ` in ${record.ms} ms` : ''}${detail}\n`);
    }
  };
}

export function describeIndex(summary: IndexSummary): string {
  const how = summary.incremental ? `incremental from ${summary.previousCommit?.slice(0, 7)}` : summary.rebuildReason ? `full: ${summary.rebuildReason}` : 'already current';
  return `Index of ${summary.repo} at ${summary.commit.slice(0, 7)} (${how}, ${summary.files} files, ${(summary.ms / 1000).toFixed(1)} s)`;
}

export function registerTriageCommand(program: Command): void {
  program
    .command('triage')
    .description('triage one issue against a local repository and print the comment repo-scout would post (dry run)')
    .argument('<git-repo-path>', 'work tree, .git directory or bare repository')
    .option('--issue-file <file>', 'the issue: first line title, rest body (or JSON with title/body/number)')
    .option('--title <text>', 'the issue title (instead of --issue-file)')
    .option('--body <text>', 'the issue body', '')
    .option('--number <n>', 'the issue number (excluded from its own related issues)', (value) => Number(value))
    .option('--guidance <text>', 'extra guidance, as `/scout <guidance>` would add')
    .option('--commit <sha>', 'commit or ref to index and triage against', 'HEAD')
    .option('--repo <owner/name>', 'repository id; a GitHub owner/name also makes the file links real')
    .option('--data-dir <dir>', 'where indexes live (default $SCOUT_DATA_DIR or ./.scout)')
    .option('--issues-file <file>', "the repository's issues and PRs as JSONL, for related-issue search")
    .option('--offline', 'ignore any configured model')
    .option('--fresh', 'ignore saved checkpoints and run every stage again')
    .option('--json', 'print a JSON result instead of the comment')
    .action(
      async (
        repoPath: string,
        flags: { issueFile?: string; title?: string; body: string; number?: number; guidance?: string; commit: string; repo?: string; dataDir?: string; issuesFile?: string; offline?: boolean; fresh?: boolean; json?: boolean },
      ) => {
        if (!flags.issueFile && !flags.title) throw new ConfigError('Say which issue: --issue-file F, or --title T [--body B].');
        if (flags.number !== undefined && (!Number.isInteger(flags.number) || flags.number <= 0)) throw new ConfigError('--number must be a positive whole number.');
        quietLogs();
        // Loaded here, so other commands do not pay for the triage pipeline's modules at start.
        const [{ triage }, { renderComment }, { loadIssuesFile }, { htmlUrl }] = await Promise.all([
          import('../triage/triage.ts'),
          import('../triage/comment.ts'),
          import('../triage/issues-file.ts'),
          import('../scm/github-clone.ts'),
        ]);
        const issue = flags.issueFile ? await readIssueFile(flags.issueFile) : { title: flags.title!.trim(), body: flags.body };
        const config = env();
        const { dataDir, lancedbUri } = storageFor(flags.dataDir, config);
        const models = modelsFromEnv(config.model, { offline: flags.offline });
        const issues = flags.issuesFile ? await loadIssuesFile(flags.issuesFile) : undefined;
        const chatty = !flags.json && process.stderr.isTTY;
        // A GitHub `owner/name` makes the comment's file links real.
        const githubRepo = /^([\w.-]+)\/([\w.-]+)$/.exec(flags.repo ?? '')?.slice(1);
        const bar = indexProgressBar(chatty);
        const outcome = await triage({
          repoPath,
          repoId: flags.repo,
          commit: flags.commit,
          issue: { title: issue.title, body: issue.body, number: flags.number ?? issue.number, guidance: flags.guidance },
          dataDir,
          lancedbUri,
          limits: config.limits,
          historyCommits: config.historyCommits,
          embedder: models.embedder,
          chat: models.chat,
          chatModelId: models.chatModelId,
          questionTokenBudget: config.questionTokenBudget,
          tokenBudget: config.runTokenBudget,
          htmlBase: githubRepo ? htmlUrl({ owner: githubRepo[0], repo: githubRepo[1], gheHost: config.gheHost, gheProtocol: config.gheProtocol }) : undefined,
          issues,
          fresh: flags.fresh,
          onIndexProgress: (p) => bar.update(p),
          onIndexed: (summary) => {
            bar.stop();
            if (chatty) process.stderr.write(`${describeIndex(summary)}\n`);
          },
          onProgress: stageProgress(chatty),
        });
        bar.stop();
        console.log(flags.json ? JSON.stringify(triageJson(outcome.state), null, 2) : renderComment(outcome.state));
      },
    );
}
