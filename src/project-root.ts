import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of this checkout (where `package.json` names repo-scout), found from this module's
 * location, which is `src/` when run from the sources and the CLI's bundle folder under
 * `node_modules/.cache/` when run through `bin/scout.js`.
 */
function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (manifest.name === 'repo-scout') return dir;
    } catch {
      // no package.json here (or not ours to read): keep going up
    }
    if (path.dirname(dir) === dir) throw new Error(`repo-scout's package.json was not found above ${from}`);
  }
}

export const PROJECT_ROOT = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));
