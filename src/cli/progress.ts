import cliProgress from 'cli-progress';
import type { IndexProgress } from '../index/indexer.ts';

/** A progress bar on a TTY (stderr), nothing otherwise, so piped and `--json` output stays clean. */
export function indexProgressBar(enabled = process.stderr.isTTY): {
  update(progress: IndexProgress): void;
  stop(): void;
} {
  if (!enabled) return { update: () => {}, stop: () => {} };
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
