import { log } from '../log.ts';

/** The commands print their own progress and summary; info logs would repeat it. LOG_LEVEL, when set, wins. */
export function quietLogs(): void {
  if (!process.env.LOG_LEVEL) log.level = 'warn';
}
