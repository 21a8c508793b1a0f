import { describe, expect, it } from 'vitest';
import { historyEdges, historyPathsChanged, mapHistory, slidPathsChanged, type EdgeCommit, type HistoryEdgeOptions } from '../../src/index/history.ts';
import type { Edge } from '../../src/index/types.ts';

/** A small deterministic PRNG, so a failing case can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PATHS = Array.from({ length: 14 }, (_, i) => `src/f${i}.py`);

/** Commits over few paths, few dates (ties), renames back and forth (reused names) and the odd mass commit. */
function randomCommits(next: () => number, count: number, firstSha: number): EdgeCommit[] {
  const pick = () => PATHS[Math.floor(next() * PATHS.length)]!;
  return Array.from({ length: count }, (_, i) => {
    const files = new Set<string>();
    const size = next() < 0.05 ? 9 : 1 + Math.floor(next() * 4);
    while (files.size < size) files.add(pick());
    const renames: Array<{ from: string; to: string }> = [];
    if (next() < 0.3) {
      const from = pick();
      const to = pick();
      if (from !== to) {
        renames.push({ from, to });
        files.add(to);
      }
    }
    return {
      sha: `c${String(firstSha + i).padStart(4, '0')}`,
      email: next() < 0.5 ? 'a@example.com' : 'b@example.com',
      date: Math.floor(next() * 12) * 86_400,
      files: [...files],
      renames: renames.length > 0 ? renames : undefined,
    };
  });
}

const key = (edge: Edge) => `${edge.kind}\0${edge.src}\0${edge.dst}`;

function byKey(edges: Edge[]): Map<string, number> {
  return new Map(edges.map((edge) => [key(edge), edge.weight]));
}

/** What an update does: keep the old edges of unchanged files, derive those of changed ones. */
function updated(before: Edge[], after: ReturnType<typeof mapHistory>, changed: Set<string>, knownPaths: Set<string>, options: HistoryEdgeOptions): Edge[] {
  const touches = (edge: Edge) => changed.has(edge.dst) || (edge.kind === 'cochange' && changed.has(edge.src));
  return [...before.filter((edge) => !touches(edge)), ...historyEdges(after, { knownPaths, only: changed }, options)];
}

describe('history edges of an update', () => {
  it('equal a derivation from scratch when only the changed files are derived again (random windows)', () => {
    const options = { maxFilesPerCommit: 8 };
    for (let seed = 1; seed <= 60; seed += 1) {
      const next = random(seed);
      const all = randomCommits(next, 40, 0);
      const drop = Math.floor(next() * 10);
      const add = randomCommits(next, 1 + Math.floor(next() * 8), 1000);
      const before = mapHistory(all);
      const after = mapHistory([...all.slice(drop), ...add]);
      // Paths that came or went in the tree count as changed too (as the indexer passes them).
      const knownBefore = new Set(PATHS.filter((path) => path !== 'src/f13.py'));
      const knownAfter = new Set(PATHS.filter((path) => path !== 'src/f12.py'));
      const changed = historyPathsChanged(before, after, options);
      changed.add('src/f12.py').add('src/f13.py');
      const oldEdges = historyEdges(before, { knownPaths: knownBefore }, options);
      const expected = byKey(historyEdges(after, { knownPaths: knownAfter }, options));
      const actual = byKey(updated(oldEdges, after, changed, knownAfter, options));
      expect({ seed, edges: [...actual].sort() }).toEqual({ seed, edges: [...expected].sort() });
    }
  });

  it('without a rename among the commits that came or went, the files of those commits alone are enough (random windows)', () => {
    const options = { maxFilesPerCommit: 8 };
    const withoutRenames = (commits: EdgeCommit[]): EdgeCommit[] => commits.map(({ renames: _renames, ...commit }) => commit);
    let slid = 0;
    for (let seed = 1; seed <= 120; seed += 1) {
      const next = random(seed);
      const all = randomCommits(next, 40, 0);
      const drop = Math.floor(next() * 10);
      // The dropped commits keep their renames in half the cases: then the old window is mapped.
      const kept = next() < 0.5 ? [...withoutRenames(all.slice(0, drop)), ...all.slice(drop)] : all;
      const add = withoutRenames(randomCommits(next, 1 + Math.floor(next() * 8), 1000));
      const before = mapHistory(kept);
      const after = mapHistory([...kept.slice(drop), ...add]);
      const changed = slidPathsChanged({ added: add, dropped: kept.slice(0, drop), kept: kept.slice(drop) }, after, options);
      if (kept.slice(0, drop).some((commit) => commit.renames)) {
        expect(changed, `seed ${seed}`).toBeUndefined();
        continue;
      }
      slid += 1;
      // A superset of what mapping both windows finds, and the same edges once derived.
      for (const path of historyPathsChanged(before, after, options)) expect(changed!.has(path), `seed ${seed}: ${path}`).toBe(true);
      const knownPaths = new Set(PATHS);
      const expected = byKey(historyEdges(after, { knownPaths }, options));
      const actual = byKey(updated(historyEdges(before, { knownPaths }, options), after, changed!, knownPaths, options));
      expect({ seed, edges: [...actual].sort() }).toEqual({ seed, edges: [...expected].sort() });
    }
    expect(slid).toBeGreaterThan(40);
    // A new commit that renames a file: the old window is mapped again.
    const rename: EdgeCommit = { sha: 'r', email: 'x@example.com', date: 1, files: ['b.py'], renames: [{ from: 'a.py', to: 'b.py' }] };
    expect(slidPathsChanged({ added: [rename], dropped: [], kept: [] }, mapHistory([rename]))).toBeUndefined();
  });

  it('names the files of commits that entered or left the window, and both names of files a new rename moved', () => {
    const old: EdgeCommit = { sha: 'a', email: 'x@example.com', date: 100, files: ['old.py', 'util.py'] };
    const same: EdgeCommit = { sha: 'b', email: 'x@example.com', date: 200, files: ['keep.py', 'other.py'] };
    const gone: EdgeCommit = { sha: 'c', email: 'x@example.com', date: 50, files: ['gone.py'] };
    const rename: EdgeCommit = { sha: 'd', email: 'x@example.com', date: 300, files: ['new.py'], renames: [{ from: 'old.py', to: 'new.py' }] };
    const changed = historyPathsChanged(mapHistory([old, same, gone]), mapHistory([old, same, rename]));
    expect([...changed].sort()).toEqual(['gone.py', 'new.py', 'old.py', 'util.py']);
  });

  it('orders commits by date then sha, whatever order they come in', () => {
    const a: EdgeCommit = { sha: 'b', email: 'x@example.com', date: 5, files: ['p.py', 'q.py'] };
    const b: EdgeCommit = { sha: 'a', email: 'x@example.com', date: 5, files: ['q.py'], renames: [{ from: 'p.py', to: 'q.py' }] };
    expect(mapHistory([a, b])).toEqual(mapHistory([b, a]));
    expect(mapHistory([a, b]).commits.map((commit) => commit.sha)).toEqual(['a', 'b']);
  });
});
