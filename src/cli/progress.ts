import type CliProgress from 'cli-progress';
import { createRequire } from 'node:module';
import type { IndexProgress } from '../index/indexer.ts';

/** A progress bar on a TTY (stderr), nothing otherwise, so piped and `--json` output stays clean. */
export function indexProgressBar(enabled = process.stderr.isTTY): {
  update(progress: IndexProgress): void;
  stop(): void;
} {
  if (!enabled) return { update: () => {}, stop: () => {} };
  // Loaded only for a bar on a terminal: a piped or --json run (the app, scripts, CI) does not pay for it at start.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const bar = new cliProgress.SingleBar(
    { format: ' {phase} [{bar}] {value}/{total}', stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let phase = '';
  let started = false;
  return {
    update(progress) {
      if (!started) {
        bar.start(Math.max(progress.total, 1), progress.done, { phase: progress.phase.padEnd(9) });
        started = true;
      }
      if (progress.phase !== phase) {
        phase = progress.phase;
        bar.setTotal(Math.max(progress.total, 1));
      }
      bar.update(progress.done, { phase: progress.phase.padEnd(9) });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
