import type { Language } from './types.ts';

/** Lower-case extension (without the dot) → language. */
const BY_EXTENSION: ReadonlyMap<string, Language> = new Map<string, Language>([
  ['ts', 'typescript'],
  ['mts', 'typescript'],
  ['cts', 'typescript'],
  ['tsx', 'tsx'],
  ['js', 'javascript'],
  ['mjs', 'javascript'],
  ['cjs', 'javascript'],
  ['jsx', 'javascript'],
  ['py', 'python'],
  ['pyi', 'python'],
  ['go', 'go'],
  ['java', 'java'],
  ['rs', 'rust'],
  ['rb', 'ruby'],
  ['rake', 'ruby'],
  ['gemspec', 'ruby'],
  ['php', 'php'],
  ['c', 'c'],
  ['h', 'c'],
  ['cc', 'cpp'],
  ['cpp', 'cpp'],
  ['cxx', 'cpp'],
  ['hpp', 'cpp'],
  ['hh', 'cpp'],
  ['hxx', 'cpp'],
  ['cs', 'csharp'],
  ['kt', 'kotlin'],
  ['kts', 'kotlin'],
  ['swift', 'swift'],
  ['md', 'markdown'],
  ['markdown', 'markdown'],
  ['rst', 'markdown'],
  ['yml', 'yaml'],
  ['yaml', 'yaml'],
  ['json', 'json'],
  ['toml', 'toml'],
]);

/** Extension-less file names with a known language (compared case-sensitively, as tools do). */
const BY_FILE_NAME: ReadonlyMap<string, Language> = new Map<string, Language>([
  ['Rakefile', 'ruby'],
  ['Gemfile', 'ruby'],
  ['Podfile', 'ruby'],
  ['Vagrantfile', 'ruby'],
  ['Pipfile', 'toml'],
]);

/**
 * The language of a repository path, by file name and extension only (no content sniffing).
 * Anything unrecognised is `text`; deciding whether a file is text at all is `walk.ts`'s job.
 */
export function detectLanguage(filePath: string): Language {
  const slash = filePath.lastIndexOf('/');
  const name = slash >= 0 ? filePath.slice(slash + 1) : filePath;
  const byName = BY_FILE_NAME.get(name);
  if (byName) return byName;
  const dot = name.lastIndexOf('.');
  // A leading dot alone (`.bashrc`) is a hidden file, not an extension.
  if (dot <= 0) return 'text';
  return BY_EXTENSION.get(name.slice(dot + 1).toLowerCase()) ?? 'text';
}
