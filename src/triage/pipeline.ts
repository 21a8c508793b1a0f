import type { Embedder } from '../ai/embedder.ts';
import { TokenBudget, type ChatModel } from '../ai/llm.ts';
import { log as rootLog, type Logger } from '../log.ts';
import type { RepoStore } from '../store/repo-store.ts';
import type { RunRow } from '../store/schema.ts';
import { toFinding } from './explain.ts';
import { locateFiles } from './stages/locate.ts';
import { proposeChange } from './stages/propose.ts';
import { findExperts, findRelated } from './stages/related.ts';
import { understandIssue, type IssueFacts } from './stages/understand.ts';
import { emptyStages, issueTextHash, STAGES, type IssueInput, type StageName, type StageRecord, type TriageState } from './state.ts';
import { errorMessage } from '../errors.ts';

/**
 * Runs the triage stages in order — understand → locate → related → propose — saving the run's
 * state after each one (the `runs` table), so a crash, a redeploy or a model outage resumes at
 * the next stage instead of starting over, and the caller can show partial results at once.
 */

export interface PipelineSettings {
  /** Files kept in the state (the comment shows its own `max_files` of them). Default 10. */
  maxFiles: number;
  /** Related issues above this similarity are flagged as possible duplicates. Default 0.8. */
  duplicateThreshold: number;
  /** Paths never suggested (a repository's `exclude_paths`). */
  excludePath?: (path: string) => boolean;
}

export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = { maxFiles: 10, duplicateThreshold: 0.8 };

/** What a stage sees. `facts` is set from `locate` on; `state` holds every earlier stage's output. */
export interface StageContext {
  store: RepoStore;
  repoPath: string;
  issue: IssueInput;
  state: TriageState;
  facts: IssueFacts;
  embedder: Embedder;
  chat?: ChatModel;
  budget: TokenBudget;
  settings: PipelineSettings;
  logger: Logger;
}

/** The stage implementations; tests swap one to make it fail. Each returns the part of the state it fills. */
export interface StageImplementations {
  understand(issue: IssueInput): Promise<IssueFacts>;
  locate(context: StageContext): Promise<Pick<TriageState, 'files' | 'confidence'>>;
  related(context: StageContext): Promise<Pick<TriageState, 'related' | 'experts'>>;
  propose(context: StageContext): Promise<Pick<TriageState, 'proposal'>>;
}

export const DEFAULT_STAGES: StageImplementations = {
  async understand(issue) {
    // `/scout <hint>` guidance is the maintainer's own words: it joins the title, which counts double.
    const title = issue.guidance ? `${issue.title} — ${issue.guidance}` : issue.title;
    return understandIssue(title, issue.guidance ? `${issue.body}\n\n${issue.guidance}` : issue.body);
  },
  async locate({ store, embedder, facts, chat, budget, settings, logger }) {
    const located = await locateFiles({ store, embedder, facts, chat, budget, logger, limit: 30 });
    const kept = located.files.filter((file) => !settings.excludePath?.(file.path)).slice(0, settings.maxFiles);
    return {
      files: kept.map(toFinding),
      confidence: kept.length > 0 ? { level: located.confidence, score: located.confidenceScore } : { level: 'low', score: 0 },
    };
  },
  async related({ store, facts, state, issue, settings }) {
    const files = state.files ?? [];
    const [related, experts] = await Promise.all([
      findRelated({ store, facts, files, issueNumber: issue.number, htmlBase: state.htmlBase, duplicateThreshold: settings.duplicateThreshold }),
      files.length > 0 ? findExperts({ store, files }) : Promise.resolve([]),
    ]);
    return { related, experts };
  },
  async propose({ store, repoPath, issue, facts, state, chat, budget, logger }) {
    const { proposal } = await proposeChange({ repoPath, commit: state.commit, issue, facts, files: state.files ?? [], store, chat, budget, logger });
    return { proposal };
  },
};

export interface PipelineOptions {
  store: RepoStore;
  /** The git repository the index was built from (propose reads code and checks diffs there). */
  repoPath: string;
  /** The indexed commit the run is pinned to. */
  commit: string;
  issue: IssueInput;
  embedder: Embedder;
  /** A chat model when one is configured and the repository allows it. */
  chat?: ChatModel;
  /** Model tokens one run may spend across all stages. */
  tokenBudget?: number;
  htmlBase?: string;
  settings?: Partial<PipelineSettings>;
  /** Ignore saved checkpoints and start over. */
  fresh?: boolean;
  /** Called after every stage with the state so far (the app edits its comment here). */
  onProgress?: (state: TriageState) => void | Promise<void>;
  stages?: Partial<StageImplementations>;
  logger?: Logger;
}

export interface PipelineResult {
  state: TriageState;
  /** Stages whose checkpointed result was reused instead of run. */
  reused: StageName[];
  /** Stages that ran in this call. */
  ran: StageName[];
}

export const DEFAULT_RUN_TOKEN_BUDGET = 60_000;

/** A run is one issue text on one indexed commit: a new text or a new index starts over. */
export function runKey(issue: IssueInput, textHash: string, commit: string): string {
  return `${issue.number === undefined ? 'text' : `issue:${issue.number}`}:${textHash}:${commit}`;
}

interface Checkpoint {
  state: TriageState;
  facts?: IssueFacts;
}

async function loadCheckpoint(store: RepoStore, key: string): Promise<Checkpoint | undefined> {
  const [row] = await store.recordsWithKeys<RunRow>('runs', [key]);
  if (!row) return undefined;
  try {
    const checkpoint = JSON.parse(row.state) as Checkpoint;
    return checkpoint.state?.version === 1 ? checkpoint : undefined;
  } catch {
    return undefined;
  }
}

async function saveCheckpoint(store: RepoStore, key: string, checkpoint: Checkpoint): Promise<void> {
  const row: RunRow = {
    key,
    issue: checkpoint.state.issue ?? -1,
    text_hash: checkpoint.state.textHash,
    commit: checkpoint.state.commit,
    state: JSON.stringify(checkpoint),
    updated: Date.now(),
  };
  await store.upsertRecords('runs', [row]);
}

/** Why a stage cannot run on what the earlier stages left, or undefined when it can. */
function missingInput(stage: StageName, state: TriageState, facts: IssueFacts | undefined): string | undefined {
  if (stage === 'understand') return undefined;
  if (!facts) return 'needs the understand stage, which failed';
  if (stage === 'propose') {
    if (state.stages.locate.status === 'failed') return 'needs the located files, and locate failed';
    if (!state.files?.length) return 'no files were located';
  }
  return undefined;
}

function messageOf(error: unknown): string {
  return errorMessage(error).split('\n')[0].slice(0, 300);
}

interface RunContext {
  options: PipelineOptions;
  stages: StageImplementations;
  /** What is saved after every stage; stages fold their output into it. */
  checkpoint: Checkpoint;
  budget: TokenBudget;
  settings: PipelineSettings;
  logger: Logger;
}

/** Runs one stage, folding its output into the checkpoint; a failure is recorded, never thrown. */
async function runStage(stage: StageName, run: RunContext): Promise<StageRecord> {
  const started = performance.now();
  const spentBefore = run.budget.spent;
  let record: StageRecord;
  try {
    if (stage === 'understand') {
      run.checkpoint.facts = await run.stages.understand(run.options.issue);
    } else {
      const context: StageContext = {
        store: run.options.store,
        repoPath: run.options.repoPath,
        issue: run.options.issue,
        state: run.checkpoint.state,
        facts: run.checkpoint.facts!,
        embedder: run.options.embedder,
        chat: run.options.chat,
        budget: run.budget,
        settings: run.settings,
        logger: run.logger.child({ stage }),
      };
      Object.assign(run.checkpoint.state, await run.stages[stage](context));
    }
    record = { status: 'done' };
  } catch (error) {
    run.logger.warn({ stage, err: error }, 'triage stage failed; earlier results stand');
    record = { status: 'failed', error: messageOf(error) };
  }
  record.ms = Math.round(performance.now() - started);
  const tokens = run.budget.spent - spentBefore;
  if (tokens > 0) record.tokens = tokens;
  return record;
}

export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const stages = { ...DEFAULT_STAGES, ...options.stages };
  const settings = { ...DEFAULT_PIPELINE_SETTINGS, ...options.settings };
  const textHash = issueTextHash(options.issue);
  const key = runKey(options.issue, textHash, options.commit);
  const logger = (options.logger ?? rootLog).child({ repo: options.issue.repo, issue: options.issue.number, run: key });

  const saved = options.fresh ? undefined : await loadCheckpoint(options.store, key);
  const state: TriageState = saved?.state ?? {
    version: 1,
    repo: options.issue.repo,
    issue: options.issue.number,
    commit: options.commit,
    textHash,
    stages: emptyStages(),
    tokens: 0,
  };
  if (options.htmlBase) state.htmlBase = options.htmlBase;
  const checkpoint: Checkpoint = { state, facts: saved?.facts };
  const budget = new TokenBudget(Math.max(0, (options.tokenBudget ?? DEFAULT_RUN_TOKEN_BUDGET) - state.tokens));
  const run: RunContext = { options, stages, checkpoint, budget, settings, logger };
  const reused: StageName[] = [];
  const ran: StageName[] = [];

  // A resumed run shows what it already has at once (a re-run of a finished one still answers).
  if (saved && state.stages.locate.status === 'done') await options.onProgress?.(structuredClone(state));
  for (const stage of STAGES) {
    if (state.stages[stage].status === 'done') {
      reused.push(stage);
      continue;
    }
    const missing = missingInput(stage, state, checkpoint.facts);
    if (missing) {
      state.stages[stage] = { status: 'skipped', error: missing };
    } else {
      ran.push(stage);
      state.stages[stage] = await runStage(stage, run);
      state.tokens += state.stages[stage].tokens ?? 0;
    }
    await saveCheckpoint(options.store, key, checkpoint);
    logger.debug({ stage, status: state.stages[stage].status, ms: state.stages[stage].ms }, 'triage stage finished');
    await options.onProgress?.(structuredClone(state));
  }
  return { state, reused, ran };
}
