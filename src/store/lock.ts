import { mkdir, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IndexLockedError } from '../errors.ts';
import { repoNamespace } from './repo-store.ts';

export interface IndexLock {
  path: string;
  release(): Promise<void>;
}

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

/** Whether a process of this host with this pid is running (EPERM: it is, but not ours). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Makes sure two index runs of one repository never overlap. The lock is a file created
 * exclusively in the data dir; a lock left by a process of this host that no longer runs is stale
 * and taken over (a run killed halfway must not block the next one forever).
 */
export async function acquireIndexLock(dataDir: string, repoId: string): Promise<IndexLock> {
  const lockDir = path.join(dataDir, 'locks');
  await mkdir(lockDir, { recursive: true });
  const lockPath = path.join(lockDir, `${repoNamespace(repoId)}.lock`);
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(JSON.stringify(owner));
      await handle.close();
      return {
        path: lockPath,
        release: async () => {
          await rm(lockPath, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder: LockOwner | undefined;
      try {
        holder = JSON.parse(await readFile(lockPath, 'utf8')) as LockOwner;
      } catch {
        holder = undefined; // Half-written by a process that died: stale.
      }
      const stale = !holder || (holder.host === owner.host && !isAlive(holder.pid));
      if (stale && attempt === 0) {
        await rm(lockPath, { force: true });
        continue;
      }
      throw new IndexLockedError(
        `Another index run of ${repoId} is in progress (pid ${holder?.pid ?? '?'} on ${holder?.host ?? '?'} since ${holder?.startedAt ?? '?'}). ` +
          `Wait for it to finish, or delete ${lockPath} if no such process is running.`,
      );
    }
  }
  throw new IndexLockedError(`Could not take the index lock ${lockPath}; delete it if no index run is in progress.`);
}
