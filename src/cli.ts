import { Command, InvalidArgumentError } from 'commander';
import { env, type Env } from './config/env.ts';
import { modelsFromEnv } from './ai/models.ts';
import { readFile, writeFile } from 'node:fs/promises';
import { ConfigError, errorMessage, ScoutError } from './errors.ts';
import type { EvalReport } from './eval/runner.ts';
import type { IndexSummary } from './index/indexer.ts';
import { log } from './log.ts';
import { indexProgressBar } from './cli/progress.ts';
import { registerDemoCommand } from './cli/demo-command.ts';
import { quietLogs } from './cli/quiet-logs.ts';
import { registerTriageCommand } from './cli/triage-command.ts';
import { storageFor } from './cli/storage.ts';
import { processUsage } from './process-usage.ts';
import { tuneForShortRun } from './runtime-flags.ts';

function howIndexed(summary: IndexSummary): string {
  if (!summary.incremental) return `full: ${summary.rebuildReason ?? 'rebuild'}`;
  return summary.previousCommit === summary.commit ? 'already current' : `incremental from ${summary.previousCommit?.slice(0, 12)}`;
}

function formatSummary(summary: IndexSummary): string {
  const lines = [
    `Indexed ${summary.repo} at ${summary.commit.slice(0, 12)} (${howIndexed(summary)}) in ${(summary.ms / 1000).toFixed(1)} s`,
    `  files ${summary.files} · chunks ${summary.chunks} · questions ${summary.questions} · history commits ${summary.historyCommits} · edges ${summary.edges}`,
    `  re-read ${summary.changedFiles} files${summary.incremental ? `, removed ${summary.deletedFiles}` : ''} · peak RSS ${processUsage().peakRssMb} MB`,
  ];
  const skipped = Object.entries(summary.skipped);
  if (skipped.length > 0) lines.push(`  skipped: ${skipped.map(([reason, count]) => `${reason} ${count}`).join(', ')}`);
  for (const warning of summary.warnings) lines.push(`  warning: ${warning}`);
  return lines.join('\n');
}

/** What `scout index` gives the indexer besides the repository, commit and storage: models, limits, history depth. */
function indexSettings(config: Env, flags: { offline?: boolean; history?: number }) {
  const models = modelsFromEnv(config.model, { offline: flags.offline });
  return {
    limits: config.limits,
    historyCommits: flags.history ?? config.historyCommits,
    embedder: models.embedder,
    chat: models.chat,
    chatModelId: models.chatModelId,
    questionTokenBudget: config.questionTokenBudget,
  };
}

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return parsed;
}

export function buildProgram(): Command {
  const program = new Command();
  program.name('scout').description('repo-scout: where the work is, for every new issue').showHelpAfterError();

  program
    .command('index')
    .description('index a git repository at a commit (incremental when an index exists)')
    .argument('<git-repo-path>', 'work tree, .git directory or bare repository')
    .option('--commit <sha>', 'commit or ref to index', 'HEAD')
    .option('--data-dir <dir>', 'where indexes live (default $SCOUT_DATA_DIR or ./.scout)')
    .option('--repo <owner/name>', 'stable repository id (default derived from the path)')
    .option('--full', 'rebuild from scratch')
    .option('--offline', 'ignore any configured model')
    .option('--history <n>', 'commits of history to index', positiveInt)
    .option('--json', 'print a JSON summary')
    .action(async (repoPath: string, flags: { commit: string; dataDir?: string; repo?: string; full?: boolean; offline?: boolean; history?: number; json?: boolean }) => {
      const config = env();
      const { dataDir, lancedbUri } = storageFor(flags.dataDir, config);
      quietLogs();
      // Each command loads what it needs when it runs, so no command pays for the others' modules at start.
      const { indexRepository } = await import('./index/indexer.ts');
      const bar = indexProgressBar(!flags.json && process.stderr.isTTY);
      try {
        const summary = await indexRepository({
          ...indexSettings(config, flags),
          repoPath,
          commit: flags.commit,
          repoId: flags.repo,
          dataDir,
          lancedbUri,
          full: flags.full,
          onProgress: (p) => bar.update(p),
        });
        bar.stop();
        if (flags.json) {
          const { repo, commit, files, chunks, questions, historyCommits, edges, ms, incremental } = summary;
          console.log(JSON.stringify({ repo, commit, files, chunks, questions, historyCommits, edges, ms, incremental, ...processUsage(), skipped: summary.skipped, timings: summary.timings, warnings: summary.warnings }));
        } else {
          console.log(formatSummary(summary));
        }
      } finally {
        bar.stop();
      }
    });

  program
    .command('bench')
    .description('measure indexing and triage speed on a generated repository, offline (prints a table; --out writes JSON)')
    .option('--files <n>', 'files in the generated repository', positiveInt, 3000)
    .option('--issues <n>', 'generated issues to triage', positiveInt, 50)
    .option('--commits <n>', 'commits of generated history', positiveInt, 200)
    .option('--seed <n>', 'generator seed (same seed, same repository and issues)', positiveInt, 1)
    .option('--out <file>', 'write the JSON report here')
    .option('--keep <dir>', 'keep the repository and index in this new or empty folder')
    .action(async (flags: { files: number; issues: number; commits: number; seed: number; out?: string; keep?: string }) => {
      const config = env();
      const [{ BenchError, runBench }, { formatBenchReport }] = await Promise.all([import('./bench/bench.ts'), import('./bench/format-report.ts')]);
      const report = await runBench({
        files: flags.files,
        issues: flags.issues,
        commits: flags.commits,
        seed: flags.seed,
        keepDir: flags.keep,
        limits: config.limits,
        historyCommits: config.historyCommits,
        onStep: (step) => console.error(`bench: ${step}…`),
      });
      console.log(formatBenchReport(report));
      if (flags.out) {
        await writeFile(flags.out, `${JSON.stringify(report, null, 2)}\n`);
        console.log(`\nReport written to ${flags.out}`);
      }
      if (report.problems.length > 0) {
        throw new BenchError(`the bench finished with ${report.problems.length} problem(s), so its numbers are suspect:\n${report.problems.map((p) => `  - ${p}`).join('\n')}`);
      }
    });

  program
    .command('bench-index')
    .description('time an incremental index run against a full one on a real repository (each run a new process), and check it holds the same rows')
    .argument('<git-repo-path>', 'a git repository: work tree, .git dir or bare')
    .requiredOption('--base <rev>', 'the commit indexed in full first')
    .requiredOption('--head <rev>', 'the later commit the incremental runs bring the index to')
    .option('--runs <n>', 'incremental runs (the median is reported)', positiveInt, 5)
    .option('--no-verify', 'skip comparing the rows with a full index at --head')
    .option('--warm', "also time a full index and the updates in this one process, as the app's long-lived index worker runs them")
    .option('--out <file>', 'write the JSON report here')
    .action(async (repoPath: string, flags: { base: string; head: string; runs: number; verify: boolean; warm?: boolean; out?: string }) => {
      const [{ BenchError }, { formatIndexBenchReport, runIndexBench }] = await Promise.all([import('./bench/bench.ts'), import('./bench/index-bench.ts')]);
      const report = await runIndexBench({
        repo: repoPath,
        base: flags.base,
        head: flags.head,
        runs: flags.runs,
        verify: flags.verify,
        warm: flags.warm ? indexSettings(env(), {}) : undefined,
        onStep: (step) => console.error(`bench-index: ${step}…`),
      });
      console.log(formatIndexBenchReport(report));
      if (flags.out) await writeFile(flags.out, `${JSON.stringify(report, null, 2)}\n`);
      if (report.identical && Object.values(report.identical).some((table) => !table.same)) {
        throw new BenchError('the incremental index does not hold the rows of a full index at --head');
      }
    });

  program
    .command('eval')
    .description('measure how well repo-scout locates the files of real issues, against a BM25 baseline of the same run')
    .option('--dataset <file>', 'SWE-bench-format JSONL (e.g. ../shared/eval/dev.jsonl)')
    .option('--from <report.json>', 'print the tables of an earlier JSON report instead of running')
    .option('--repos <dir>', 'folder holding each repository as owner+name (a git dir, or a folder with one at repo/)')
    .option('--repo <owner/name=gitdir...>', 'a repository location; repeatable', (value: string, previous: string[] = []) => [...previous, value])
    .option('--limit <n>', 'at most this many rows', positiveInt)
    .option('--instances <ids>', 'only these instance ids, comma-separated')
    .option('--data-dir <dir>', 'where the eval indexes live', '.scout-eval')
    .option('--out <file>', 'write the JSON report here')
    .option('--model', 'use the configured model (default: offline)')
    .option('--signals', "keep each signal's ranking per row in the JSON report (for tuning)")
    .option('--relocate <report.json>', "re-run locate alone on an earlier report's rows, each against the index version it used (same --data-dir; for tuning)")
    .action(async (flags: { dataset?: string; from?: string; relocate?: string; repos?: string; repo?: string[]; limit?: number; instances?: string; dataDir: string; out?: string; model?: boolean; signals?: boolean }) => {
      const [{ loadDataset }, { findRepoDir, formatReport, relocateEval, runEval }] = await Promise.all([import('./eval/dataset.ts'), import('./eval/runner.ts')]);
      if (flags.from) {
        console.log(formatReport(await readReport(flags.from, '--from')));
        return;
      }
      if (!flags.dataset) throw new ConfigError('Say which dataset to run: --dataset F.jsonl (or --from report.json to print an earlier report).');
      let rows = await loadDataset(flags.dataset);
      if (flags.instances) {
        const wanted = new Set(flags.instances.split(',').map((id) => id.trim()).filter(Boolean));
        rows = rows.filter((row) => wanted.has(row.instance_id));
      }
      if (flags.limit) rows = rows.slice(0, flags.limit);
      const config = env();
      const models = modelsFromEnv(config.model, { offline: !flags.model });
      const bar = indexProgressBar(process.stderr.isTTY);
      const finish = async (report: EvalReport) => {
        bar.stop();
        console.log(formatReport(report));
        if (flags.out) {
          await writeFile(flags.out, `${JSON.stringify(report, null, 2)}\n`);
          console.log(`\nReport written to ${flags.out}`);
        }
      };
      if (flags.relocate) {
        const previous = await readReport(flags.relocate, '--relocate');
        const wanted = new Set(rows.map((row) => row.instance_id));
        previous.rows = previous.rows.filter((row) => wanted.has(row.instance_id));
        await finish(await relocateEval({ rows, previous, dataDir: flags.dataDir, embedder: models.embedder, debugSignals: flags.signals, chat: models.chat, onRow: (done, total) => bar.update({ phase: 'eval', done, total }) }));
        return;
      }
      if (!flags.repos && !flags.repo?.length) throw new ConfigError('Say where the repositories are: --repos DIR or --repo owner/name=GITDIR.');
      const repoDirs = new Map<string, string>();
      for (const name of new Set(rows.map((row) => row.repo))) {
        const dir = flags.repos ? findRepoDir(flags.repos, name) : undefined;
        if (dir) repoDirs.set(name, dir);
      }
      for (const spec of flags.repo ?? []) {
        const [name, dir] = spec.split('=');
        if (!name || !dir) throw new ConfigError(`--repo ${spec}: expected owner/name=GITDIR`);
        repoDirs.set(name, dir);
      }
      const report = await runEval({
        rows,
        repoDirs,
        dataDir: flags.dataDir,
        limits: config.limits,
        historyCommits: config.historyCommits,
        embedder: models.embedder,
        debugSignals: flags.signals,
        chat: models.chat,
        onRow: (done, total) => bar.update({ phase: 'eval', done, total }),
      });
      await finish(report);
    });

  registerTriageCommand(program);

  program
    .command('serve')
    .description('run the GitHub App: webhooks on $PORT at /api/github/webhooks, plus an in-process worker (npm start)')
    .action(async () => {
      const { serve } = await import('./app/serve.ts');
      await serve();
    });

  program
    .command('stats')
    .description('per repository: issues triaged, comments, 👍/👎 on them, median latency')
    .option('--repo <owner/name>', 'only this repository')
    .option('--reactions', "read 👍/👎 back from GitHub first (needs the app's APP_ID and private key)")
    .option('--json', 'print JSON')
    .action(async (flags: { repo?: string; reactions?: boolean; json?: boolean }) => {
      const { printStats } = await import('./app/stats-command.ts');
      console.log(await printStats(flags));
    });

  program
    .command('worker')
    .description('run a worker that takes jobs from the shared Redis queue (REDIS_URL)')
    .action(async () => {
      const { worker } = await import('./app/serve.ts');
      await worker();
    });
  registerDemoCommand(program);

  return program;
}

/** An earlier `scout eval --out` report, or a clear error. */
async function readReport(file: string, flag: string): Promise<EvalReport> {
  let report: EvalReport;
  try {
    report = JSON.parse(await readFile(file, 'utf8')) as EvalReport;
  } catch (error) {
    throw new ConfigError(`${flag} ${file}: cannot read it as a report (${errorMessage(error)}). Pass a file written by scout eval --out.`);
  }
  if (!Array.isArray(report?.rows) || !Array.isArray(report?.repos)) throw new ConfigError(`${flag} ${file}: not a scout eval report (no rows). Pass a file written by scout eval --out.`);
  return report;
}

/** Commands that run briefly, once: V8 optimizes less eagerly for them (see runtime-flags.ts). */
const SHORT_COMMANDS = new Set(['index', 'triage', 'demo']);

export async function main(argv: string[]): Promise<void> {
  if (SHORT_COMMANDS.has(argv[2] ?? '')) tuneForShortRun();
  try {
    log.level = env().logLevel;
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof ScoutError) {
      console.error(`scout: ${error.message}`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}
