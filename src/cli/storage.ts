import type { Env } from '../config/env.ts';

/**
 * Where a command keeps its data: `--data-dir` (with its index at `<dir>/lancedb`) when given,
 * else `$SCOUT_DATA_DIR` and `$LANCEDB_URI`.
 */
export function storageFor(dataDirFlag: string | undefined, config: Pick<Env, 'dataDir' | 'lancedbUri'>): { dataDir: string; lancedbUri: string } {
  return dataDirFlag ? { dataDir: dataDirFlag, lancedbUri: `${dataDirFlag}/lancedb` } : { dataDir: config.dataDir, lancedbUri: config.lancedbUri };
}
