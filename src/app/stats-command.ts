import { createProbot } from 'probot';
import { env } from '../config/env.ts';
import { ConfigError } from '../errors.ts';
import { log } from '../log.ts';
import { RepoStore } from '../store/repo-store.ts';
import type { CommentOctokit } from './comment-upsert.ts';
import { formatStats, localRepoNamespaces, refreshReactions, repoStats, type RepoStats } from './stats.ts';

/** `scout stats`: reads every repository's records (or one), optionally refreshing reactions from GitHub first. */
export async function printStats(flags: { repo?: string; reactions?: boolean; json?: boolean }): Promise<string> {
  const config = env();
  const ids = flags.repo ? [flags.repo] : await localRepoNamespaces(config.lancedbUri);
  if (ids.length === 0 && !flags.repo && /^[a-z0-9]+:\/\//i.test(config.lancedbUri)) {
    throw new ConfigError('With LANCEDB_URI on object storage, name the repository: scout stats --repo owner/name.');
  }
  if (flags.reactions && (!config.appId || !(config.privateKey ?? config.privateKeyPath))) {
    throw new ConfigError('--reactions reads from GitHub as the app: set APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH).');
  }
  const probot = flags.reactions ? createProbot() : undefined;
  const rows: RepoStats[] = [];
  for (const id of ids) {
    const store = await RepoStore.open(config.lancedbUri, id);
    try {
      let stats = await repoStats(store);
      if (probot && stats.comments > 0 && stats.repo.includes('/')) {
        const [owner, repo] = stats.repo.split('/');
        try {
          const app = await probot.auth();
          const { data } = await app.request('GET /repos/{owner}/{repo}/installation', { owner, repo });
          const octokit = (await probot.auth(data.id)) as unknown as CommentOctokit;
          await refreshReactions(store, octokit, { owner, repo });
          stats = await repoStats(store);
        } catch (error) {
          log.warn({ repo: stats.repo, err: error }, 'could not read reactions; showing the last known counts');
        }
      }
      if (stats.runs > 0 || flags.repo) rows.push(stats);
    } finally {
      store.close();
    }
  }
  return flags.json ? JSON.stringify(rows, null, 2) : formatStats(rows);
}
