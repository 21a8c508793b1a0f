import { describe, expect, test } from 'vitest';
import { DEFAULT_REPO_CONFIG, globMatches, parseRepoConfig, pathExcluded, type RepoConfig } from '../../src/config/repo-config.ts';

describe('parseRepoConfig', () => {
  test('no file, an empty file or a file of comments gives the defaults without a warning', () => {
    for (const text of [undefined, '', '  \n', '# nothing set yet\n']) {
      const { config, warning } = parseRepoConfig(text);
      expect(config).toEqual(DEFAULT_REPO_CONFIG);
      expect(warning).toBeUndefined();
    }
  });

  test('the defaults are the documented ones, and frozen', () => {
    expect(DEFAULT_REPO_CONFIG).toEqual({
      comment: 'confident',
      confidence_threshold: 0.35,
      skip_labels: ['scout:skip'],
      exclude_paths: [],
      max_files: 5,
      commands: { allow: ['triage', 'write', 'maintain', 'admin'], issue_author: false },
      model: true,
      sections: { files: true, related: true, experts: true, proposal: true },
      duplicate_threshold: 0.8,
      retriage_on_edit: true,
      retriage_only_before_replies: true,
    });
    expect(() => DEFAULT_REPO_CONFIG.skip_labels.push('x')).toThrow();
    // Each parse hands out its own copy, so a caller changing it cannot change the next repo's settings.
    const first = parseRepoConfig(undefined).config;
    first.skip_labels.push('mine');
    expect(parseRepoConfig(undefined).config.skip_labels).toEqual(['scout:skip']);
  });

  test('a complete valid file is taken as written', () => {
    const text = [
      'comment: always',
      'confidence_threshold: 0.6',
      'skip_labels: [wontfix, question]',
      'exclude_paths:',
      '  - docs/**',
      '  - "*.lock"',
      'max_files: 10',
      'commands:',
      '  allow: [write, admin]',
      '  issue_author: true',
      'model: false',
      'sections:',
      '  files: true',
      '  related: false',
      '  experts: false',
      '  proposal: true',
      'duplicate_threshold: 0.9',
      'retriage_on_edit: false',
      'retriage_only_before_replies: false',
    ].join('\n');
    const expected: RepoConfig = {
      comment: 'always',
      confidence_threshold: 0.6,
      skip_labels: ['wontfix', 'question'],
      exclude_paths: ['docs/**', '*.lock'],
      max_files: 10,
      commands: { allow: ['write', 'admin'], issue_author: true },
      model: false,
      sections: { files: true, related: false, experts: false, proposal: true },
      duplicate_threshold: 0.9,
      retriage_on_edit: false,
      retriage_only_before_replies: false,
    };
    expect(parseRepoConfig(text)).toEqual({ config: expected });
  });

  test('keys left out keep their defaults, nested ones too; a single label may be written without a list', () => {
    const { config, warning } = parseRepoConfig('comment: command-only\nskip_labels: wontfix\nsections:\n  proposal: false\n');
    expect(warning).toBeUndefined();
    expect(config.comment).toBe('command-only');
    expect(config.skip_labels).toEqual(['wontfix']);
    expect(config.sections).toEqual({ files: true, related: true, experts: true, proposal: false });
    expect(config.commands).toEqual(DEFAULT_REPO_CONFIG.commands);
    expect(config.max_files).toBe(5);
  });

  test('bad YAML: all defaults, and the warning gives the line and column', () => {
    const { config, warning } = parseRepoConfig('comment: always\nskip_labels: [wontfix\nmax_files: 3\n');
    expect(config).toEqual(DEFAULT_REPO_CONFIG);
    expect(warning).toMatch(/YAML syntax error at line \d+, column \d+/);
    expect(warning).toContain('.github/scout.yml');
    expect(warning).toContain('default settings are used');

    const tabs = parseRepoConfig('commands:\n\tallow: [write]\n');
    expect(tabs.warning).toMatch(/line 2, column 1/);

    const duplicate = parseRepoConfig('max_files: 3\nmax_files: 4\n');
    expect(duplicate.warning).toMatch(/line 2, column 1: Map keys must be unique/);
  });

  test('a wrong type names the key path and line; that key takes its default and the rest applies', () => {
    const { config, warning } = parseRepoConfig('comment: always\nmax_files: many\ncommands:\n  issue_author: "yes please"\n');
    expect(config.comment).toBe('always');
    expect(config.max_files).toBe(5);
    expect(config.commands.issue_author).toBe(false);
    expect(warning).toContain('`max_files` (line 2): must be a whole number from 1 to 10, got `"many"`');
    expect(warning).toContain('`commands.issue_author` (line 4): must be true or false');
    expect(warning).toContain('the rest of the file applies');
  });

  test('out-of-range numbers and unknown enum values are reported with what was given', () => {
    const { config, warning } = parseRepoConfig('comment: sometimes\nconfidence_threshold: 1.5\nmax_files: 0\nduplicate_threshold: -1\n');
    expect(config.comment).toBe('confident');
    expect(config.confidence_threshold).toBe(0.35);
    expect(config.max_files).toBe(5);
    expect(config.duplicate_threshold).toBe(0.8);
    expect(warning).toContain('`comment` (line 1): must be one of: always, confident, command-only, got `"sometimes"`');
    expect(warning).toContain('`confidence_threshold` (line 2): must be at most 1, got `1.5`');
    expect(warning).toContain('`max_files` (line 3): must be at least 1, got `0`');
    expect(warning).toContain('`duplicate_threshold` (line 4): must be at least 0');
  });

  test('unknown keys are named (with a suggestion for a near miss) and ignored', () => {
    const { config, warning } = parseRepoConfig('max-files: 2\nsections:\n  file: false\ncolour: blue\n');
    expect(config).toEqual(DEFAULT_REPO_CONFIG);
    expect(warning).toContain('`max-files` (line 1): unknown setting; did you mean `max_files`?');
    expect(warning).toContain('`sections.file` (line 3): unknown setting; did you mean `sections.files`?');
    expect(warning).toMatch(/`colour` \(line 4\): unknown setting\n?/);
    expect(warning).not.toMatch(/colour[^\n]*did you mean/);
  });

  test('a bad item of a list is dropped and the good items kept (a typo does not widen who may run commands)', () => {
    const { config, warning } = parseRepoConfig('commands:\n  allow: [write, owner]\nskip_labels: [a, 3, b]\n');
    expect(config.commands.allow).toEqual(['write']);
    expect(config.skip_labels).toEqual(['a', 'b']);
    expect(warning).toContain('`commands.allow[1]` (line 2): must be one of: read, triage, write, maintain, admin, got `"owner"`');
    expect(warning).toContain('`skip_labels[1]` (line 3)');
  });

  test('a file that is not a mapping, or a section that is not one, is reported', () => {
    const list = parseRepoConfig('- comment\n- always\n');
    expect(list.config).toEqual(DEFAULT_REPO_CONFIG);
    expect(list.warning).toContain('must be a mapping of settings');
    const section = parseRepoConfig('commands: admins only\nmax_files: 2\n');
    expect(section.config.commands).toEqual(DEFAULT_REPO_CONFIG.commands);
    expect(section.config.max_files).toBe(2);
    expect(section.warning).toContain('`commands` (line 1): must be a mapping');
  });

  test('an empty value means the default', () => {
    const { config, warning } = parseRepoConfig('skip_labels:\nmax_files: 3\n');
    expect(warning).toBeUndefined();
    expect(config.skip_labels).toEqual(['scout:skip']);
    expect(config.max_files).toBe(3);
  });

  test('a huge file or an alias bomb is refused without hanging', () => {
    expect(parseRepoConfig(`comment: always\n# ${'x'.repeat(70_000)}\n`).warning).toContain('larger than 64 KB');
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 9; level += 1) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      bomb.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
    }
    const { config, warning } = parseRepoConfig(bomb.join('\n'));
    expect(config).toEqual(DEFAULT_REPO_CONFIG);
    expect(warning).toContain('could not read the YAML');
  });

  test('the warning lists a bounded number of problems', () => {
    const text = Array.from({ length: 20 }, (_, index) => `unknown_${index}: 1`).join('\n');
    const { warning } = parseRepoConfig(text);
    expect(warning!.split('\n').filter((line) => line.startsWith('- ')).length).toBe(9);
    expect(warning).toContain('…and 12 more');
  });
});

describe('exclude_paths globs', () => {
  const cases: Array<[string, string, boolean]> = [
    ['docs/**', 'docs/guide/intro.md', true],
    ['docs/**', 'src/docs.ts', false],
    ['docs', 'docs/intro.md', true], // a folder excludes what is inside
    ['docs', 'packages/web/docs/intro.md', true], // no slash: any depth
    ['*.lock', 'yarn.lock', true],
    ['*.lock', 'deep/folder/Cargo.lock', true],
    ['*.lock', 'lockfile.ts', false],
    ['src/**/*.test.ts', 'src/a.test.ts', true],
    ['src/**/*.test.ts', 'src/a/b/c.test.ts', true],
    ['src/**/*.test.ts', 'test/a.test.ts', false],
    ['src/*.ts', 'src/a/b.ts', false], // `*` stays within one folder
    ['file?.txt', 'file1.txt', true],
    ['file?.txt', 'file12.txt', false],
    ['vendor/', 'vendor/lib.js', true],
    ['vendor/', 'vendor', false], // trailing slash: folders only
    ['/build/**', 'build/out.js', true],
    ['./build/**', 'build/out.js', true],
    ['*', '.eslintrc', true], // dotfiles are not special
    ['a.b', 'aXb', false], // `.` is literal
    ['**', 'anything/at/all.ts', true],
  ];
  test.each(cases)('%s vs %s → %s', (glob, path, expected) => {
    expect(globMatches(glob, path)).toBe(expected);
  });

  test('pathExcluded checks every pattern of the config', () => {
    const { config } = parseRepoConfig('exclude_paths: ["docs/**", "*.min.js"]\n');
    expect(pathExcluded(config, 'docs/a.md')).toBe(true);
    expect(pathExcluded(config, 'web/app.min.js')).toBe(true);
    expect(pathExcluded(config, 'web/app.js')).toBe(false);
    expect(pathExcluded(DEFAULT_REPO_CONFIG, 'docs/a.md')).toBe(false);
  });
});
