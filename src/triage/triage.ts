import type { Embedder } from '../ai/embedder.ts';
import type { ChatModel } from '../ai/llm.ts';
import type { Env } from '../config/env.ts';
import { indexRepository, type IndexProgress, type IndexSummary } from '../index/indexer.ts';
import type { Logger } from '../log.ts';
import { RepoStore } from '../store/repo-store.ts';
import type { IssueRow } from '../store/schema.ts';
import { runPipeline, type PipelineResult, type PipelineSettings, type StageImplementations } from './pipeline.ts';
import type { IssueInput, TriageState } from './state.ts';

/** Everything `scout triage` and the app's triage job need: bring the index to a commit, then run the pipeline on it. */
export interface TriageOptions {
  repoPath: string;
  /** Repository id (`owner/name`); derived from the path when absent. */
  repoId?: string;
  /** Commit or ref to index and triage against (default HEAD). */
  commit?: string;
  issue: Omit<IssueInput, 'repo'>;
  dataDir: string;
  lancedbUri: string;
  limits: Env['limits'];
  historyCommits: number;
  embedder: Embedder;
  chat?: ChatModel;
  chatModelId?: string;
  questionTokenBudget: number;
  tokenBudget?: number;
  htmlBase?: string;
  settings?: Partial<PipelineSettings>;
  fresh?: boolean;
  /** Issues and PRs to store before the run (e.g. `--issues-file`), for related-issue search. */
  issues?: IssueRow[];
  onIndexProgress?: (progress: IndexProgress) => void;
  onIndexed?: (summary: IndexSummary) => void;
  onProgress?: (state: TriageState) => void | Promise<void>;
  stages?: Partial<StageImplementations>;
  logger?: Logger;
}

export interface TriageOutcome extends PipelineResult {
  index: IndexSummary;
}

export async function triage(options: TriageOptions): Promise<TriageOutcome> {
  // Incremental: a no-op when the index is already at the commit.
  const index = await indexRepository({
    repoPath: options.repoPath,
    commit: options.commit ?? 'HEAD',
    repoId: options.repoId,
    dataDir: options.dataDir,
    lancedbUri: options.lancedbUri,
    limits: options.limits,
    historyCommits: options.historyCommits,
    embedder: options.embedder,
    chat: options.chat,
    chatModelId: options.chatModelId,
    questionTokenBudget: options.questionTokenBudget,
    onProgress: options.onIndexProgress,
    logger: options.logger,
  });
  options.onIndexed?.(index);
  return RepoStore.using(options.lancedbUri, index.repo, async (store) => {
    const meta = await store.readMeta();
    if (meta) await store.pinTo(meta);
    if (options.issues?.length) await store.upsertRecords('issues', options.issues);
    const result = await runPipeline({
      store,
      repoPath: options.repoPath,
      commit: meta?.indexedCommit ?? index.commit,
      issue: { ...options.issue, repo: index.repo },
      embedder: options.embedder,
      chat: options.chat,
      tokenBudget: options.tokenBudget,
      htmlBase: options.htmlBase,
      settings: options.settings,
      fresh: options.fresh,
      onProgress: options.onProgress,
      stages: options.stages,
      logger: options.logger,
    });
    return { ...result, index };
  });
}
