/** File-level localisation metrics, as in ../shared/eval/README.md. */

export const CUTOFFS = [1, 3, 5, 10] as const;

export interface RowRanking {
  gold: string[];
  ranked: string[];
}

export interface Metrics {
  rows: number;
  /** Share of rows (0–100) whose gold files are all in the top k. */
  acc: Record<(typeof CUTOFFS)[number], number>;
  /** Mean reciprocal rank of the first gold file (0–1). */
  mrr: number;
  /** Share of gold files (0–100) in the top 10, averaged over rows. */
  recall10: number;
}

export function allInTop(row: RowRanking, k: number): boolean {
  const top = new Set(row.ranked.slice(0, k));
  return row.gold.length > 0 && row.gold.every((path) => top.has(path));
}

export function reciprocalRank(row: RowRanking): number {
  const gold = new Set(row.gold);
  const index = row.ranked.findIndex((path) => gold.has(path));
  return index < 0 ? 0 : 1 / (index + 1);
}

export function recallAt(row: RowRanking, k: number): number {
  if (row.gold.length === 0) return 0;
  const top = new Set(row.ranked.slice(0, k));
  return row.gold.filter((path) => top.has(path)).length / row.gold.length;
}

export function computeMetrics(rows: RowRanking[]): Metrics {
  const n = rows.length;
  const pct = (count: number) => (n === 0 ? 0 : (100 * count) / n);
  const acc = {} as Metrics['acc'];
  for (const k of CUTOFFS) acc[k] = pct(rows.filter((row) => allInTop(row, k)).length);
  return {
    rows: n,
    acc,
    mrr: n === 0 ? 0 : rows.reduce((sum, row) => sum + reciprocalRank(row), 0) / n,
    recall10: n === 0 ? 0 : (100 * rows.reduce((sum, row) => sum + recallAt(row, 10), 0)) / n,
  };
}
