import { pino, type Logger } from 'pino';

/**
 * The one root logger. Modules take a child with context (`log.child({ repo, job })`).
 * The entry points set `log.level` from the parsed environment (`config/env.ts`).
 * Logs go to stderr so the CLI's stdout stays clean for `--json` and the comment.
 */
export const log: Logger = pino(
  { level: 'info', base: undefined },
  pino.destination(2),
);

export type { Logger };
