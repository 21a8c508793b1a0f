import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';

/** One row of a SWE-bench-format dataset. */
export interface EvalRow {
  instance_id: string;
  repo: string;
  base_commit: string;
  problem_statement: string;
  patch: string;
  created_at?: string | null;
  ground_truth_files?: string[];
}

const rowSchema = z.object({
  instance_id: z.string().min(1),
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name'),
  base_commit: z.string().regex(/^[0-9a-f]{7,40}$/i, 'must be a commit sha'),
  problem_statement: z.string(),
  patch: z.string().default(''),
  created_at: z.string().nullable().optional(),
  ground_truth_files: z.array(z.string()).optional(),
});

export async function loadDataset(file: string): Promise<EvalRow[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the dataset ${file}: ${(error as Error).message}`);
  }
  const rows: EvalRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new ConfigError(`${file}:${i + 1} is not valid JSON.`);
    }
    const result = rowSchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new ConfigError(`${file}:${i + 1}: ${issue?.path.join('.')} ${issue?.message}`);
    }
    rows.push(result.data);
  });
  return rows;
}

/** Paths a unified diff modifies (its `--- a/…` side), in order; files the diff creates are left out. */
export function modifiedFiles(patch: string): string[] {
  const files: string[] = [];
  for (const block of patch.split(/^(?=diff --git )/m)) {
    const header = block.match(/^diff --git a\/(.+?) b\/(.+)$/m);
    if (!header) continue;
    const preamble = block.split('\n@@')[0];
    if (/^new file mode/m.test(preamble) || /^--- \/dev\/null/m.test(preamble)) continue;
    files.push(header[1]);
  }
  return [...new Set(files)];
}

const DOC_FILE = /\.(?:md|rst|txt|adoc)$/i;
const CHANGELOG = /^(?:CHANGELOG|HISTORY|CHANGES)/i;

export function isDocumentation(path: string): boolean {
  const name = path.split('/').pop() ?? path;
  return DOC_FILE.test(path) || CHANGELOG.test(name);
}

/**
 * The files an issue asks to find: `ground_truth_files` when given, else what the patch modifies,
 * without documentation and changelogs, and only files that exist at the base commit.
 */
export function goldFiles(row: EvalRow, existsAtBase: (path: string) => boolean): string[] {
  const candidates = row.ground_truth_files ?? modifiedFiles(row.patch);
  return candidates.filter((path) => !isDocumentation(path) && existsAtBase(path));
}
