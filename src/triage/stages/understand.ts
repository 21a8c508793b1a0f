/**
 * Stage 1: issues are not queries. Pull out what an issue names — paths, stack frames,
 * identifiers, error messages, versions — and a cleaned text to search with.
 */

export interface StackFrame {
  /** As written in the trace (may be absolute, from another machine, or a Java/Go package path). */
  file: string;
  line?: number;
  function?: string;
  language: 'python' | 'javascript' | 'java' | 'go' | 'rust';
}

export interface IssueFacts {
  title: string;
  /** The body with template boilerplate, version dumps and images removed. */
  cleanBody: string;
  /** File paths named in the issue (`src/cards/repo-card.js`, `django/db/models/query.py`). */
  paths: string[];
  /** Dotted module names (`django.db.models.query`, `sympy.printing.latex`). */
  modules: string[];
  /** Module paths the issue's code imports (`dayjs/plugin/customParseFormat`, `./lib/router`): JS/TS `import … from`, `require()`, `import()`. */
  imports: string[];
  frames: StackFrame[];
  /** Code identifiers: from code spans and blocks, dotted names, CamelCase and snake_case words. */
  identifiers: string[];
  /** Identifiers that appear inside code spans/blocks or traces (stronger evidence than prose). */
  codeIdentifiers: string[];
  /** Error messages quoted in the issue (`ValueError: …`, quoted strings in code). */
  errorMessages: string[];
  versions: string[];
}

const SOURCE_EXT =
  'py|pyi|js|jsx|mjs|cjs|ts|tsx|mts|cts|go|java|kt|kts|rs|rb|php|c|h|cc|cpp|cxx|hpp|hh|cs|swift|scala|vue|svelte|json|ya?ml|toml|cfg|ini|html|css|scss|sql|sh';
const PATH_RE = new RegExp(`(?:^|[\\s\`'"(\\[<:=])((?:[\\w.@~-]+/)*[\\w.@-]+\\.(?:${SOURCE_EXT}))(?=$|[\\s\`'"),:;\\]>#?!]|\\.(?:\\s|$))`, 'gm');
const MODULE_RE = /\b([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*){2,})\b/g;
const DOTTED_RE = /\b([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)+)(?:\(\))?/g;
const CAMEL_RE = /\b([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+|[a-z]+(?:[A-Z][a-z0-9]*)+)\b/g;
const SNAKE_RE = /\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+|_[a-z][a-z0-9_]+)\b/g;
const ERROR_LINE_RE = /^\s*((?:[\w.]+\.)?[A-Z]\w*(?:Error|Exception|Warning|Exit|Interrupt|Fault)):\s*(.+)$/gm;
const VERSION_RE = /\b(?:v|version\s*)?(\d+\.\d+(?:\.\d+)?(?:[-.]?(?:rc|a|b|dev|alpha|beta)\d*)?)\b/gi;

/** Section headings of issue templates that carry no signal about where the code is. */
const TEMPLATE_LINE =
  /^\s*(?:#{1,6}\s*|\*\*)?(?:describe the bug|bug description|description|to reproduce|steps to reproduce|expected behaviou?r|actual behaviou?r|current behaviou?r|screenshots?(?: \/ live demo link.*)?|additional context|environment|versions?|system info|desktop.*|smartphone.*|checklist|possible solution|context|your environment|minimal reproducible example|reproducible example|what did you expect.*|what happened.*|motivation|feature request|is your feature request related to a problem.*|describe the solution you'd like|describe alternatives you've considered)[:.]?(?:\*\*)?\s*$/i;
const ENVIRONMENT_LINE =
  /^\s*(?:[-*]\s*)?(?:os|platform|python|node(?:\.js)?|npm|browser|version|django|matplotlib|numpy|scipy|pandas|sympy|pytest|operating system|backend|installation|python version|package version|library version|system|machine|executable|release)\b\s*(?:version)?\s*[:=]/i;

function unique(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

function codeSegments(text: string): { spans: string[]; blocks: string[]; prose: string } {
  const blocks: string[] = [];
  const withoutBlocks = text.replace(/```[^\n]*\n([\s\S]*?)(?:```|$)/g, (_, code: string) => {
    blocks.push(code);
    return '\n';
  });
  const spans: string[] = [];
  const prose = withoutBlocks.replace(/`([^`\n]+)`/g, (_, code: string) => {
    spans.push(code);
    return ` ${code} `;
  });
  return { spans, blocks, prose };
}

export function parseStackFrames(text: string): StackFrame[] {
  const frames: StackFrame[] = [];
  // Python: File "/x/y/django/db/models/query.py", line 12, in bulk_create
  for (const m of text.matchAll(/File "([^"]+)", line (\d+)(?:, in ([\w<>.]+))?/g)) {
    frames.push({ file: m[1], line: Number(m[2]), function: m[3], language: 'python' });
  }
  // IPython / Jupyter: File ~/envs/x/site-packages/matplotlib/axes/_axes.py:2373, in Axes.bar(self, x)
  for (const m of text.matchAll(/^\s*File ([~\w./\\:-]+\.py):(\d+), in ([\w<>.]+)/gm)) {
    frames.push({ file: m[1], line: Number(m[2]), function: m[3], language: 'python' });
  }
  // Node: at fn (/app/src/file.js:12:5)  |  at /app/src/file.js:12:5
  for (const m of text.matchAll(/^\s*at (?:(?:async )?([\w$.<>[\] ]+?) \()?((?:file:\/\/)?[^\s()]+\.(?:[cm]?[jt]sx?)):(\d+)(?::\d+)?\)?\s*$/gm)) {
    frames.push({ file: m[2].replace(/^file:\/\//, ''), line: Number(m[3]), function: m[1]?.trim(), language: 'javascript' });
  }
  // Java / Kotlin: at com.acme.Foo.bar(Foo.java:12)
  for (const m of text.matchAll(/^\s*at ([\w$.]+)\.([\w$<>]+)\(([\w$]+\.(?:java|kt)):(\d+)\)/gm)) {
    const pkg = m[1].split('.').slice(0, -1).join('/');
    frames.push({ file: pkg ? `${pkg}/${m[3]}` : m[3], line: Number(m[4]), function: `${m[1].split('.').pop()}.${m[2]}`, language: 'java' });
  }
  // Go: pkg.(*T).Method(...)\n\t/path/file.go:123 +0x1d
  for (const m of text.matchAll(/^([\w./*()-]+)\([^\n]*\)\n\s+([^\s:]+\.go):(\d+)/gm)) {
    const fn = m[1].split('/').pop()?.replace(/[()*]/g, '') ?? m[1];
    frames.push({ file: m[2], line: Number(m[3]), function: fn, language: 'go' });
  }
  // Rust: at src/lib.rs:12:5 (backtraces), or panicked at src/lib.rs:12:5
  for (const m of text.matchAll(/(?:at|panicked at) '?([\w./-]+\.rs):(\d+)(?::\d+)?/g)) {
    frames.push({ file: m[1], line: Number(m[2]), language: 'rust' });
  }
  return frames;
}

function cleanProse(body: string): string {
  return body
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/!\[[^\]]*\]\([^)]*\)/g, ' ')
    .replace(/https?:\/\/\S+/g, ' ')
    .split('\n')
    .filter((line) => !TEMPLATE_LINE.test(line) && !ENVIRONMENT_LINE.test(line))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Reads an issue (title + body) into the facts retrieval works from. */
export function understandIssue(title: string, body: string): IssueFacts {
  const text = `${title}\n\n${body ?? ''}`.replace(/\r\n?/g, '\n');
  const { spans, blocks, prose } = codeSegments(text);
  const code = [...spans, ...blocks].join('\n');
  const frames = parseStackFrames(text);

  const paths = unique(
    [...text.matchAll(PATH_RE)]
      .map((m) => m[1].replace(/^\.?\//, ''))
      .filter((p) => !/^\d+(\.\d+)+$/.test(p) && !/^v?\d/.test(p) && p.length < 200),
  );
  const modules = unique(
    [...text.matchAll(MODULE_RE)].map((m) => m[1]).filter((m) => !/\.(?:com|org|io|net|html?|py|js|ts)$/.test(m)),
  );

  const fromCode = new Set<string>();
  for (const segment of [code, ...frames.map((f) => f.function ?? '')]) {
    for (const m of segment.matchAll(DOTTED_RE)) fromCode.add(m[1]);
    for (const m of segment.matchAll(CAMEL_RE)) fromCode.add(m[1]);
    for (const m of segment.matchAll(SNAKE_RE)) fromCode.add(m[1]);
    for (const m of segment.matchAll(/\b([A-Za-z_]\w{2,})\s*\(/g)) fromCode.add(m[1]);
  }
  const fromProse = new Set<string>();
  for (const m of prose.matchAll(DOTTED_RE)) if (!/^\d/.test(m[1]) && /[a-z]/i.test(m[1])) fromProse.add(m[1]);
  for (const m of prose.matchAll(CAMEL_RE)) fromProse.add(m[1]);
  for (const m of prose.matchAll(SNAKE_RE)) fromProse.add(m[1]);
  const isIdentifier = (id: string) => id.length >= 3 && !/^(?:https?|www)\b/.test(id) && !/^\d/.test(id);
  const codeIdentifiers = unique([...fromCode].filter(isIdentifier));
  const identifiers = unique([...codeIdentifiers, ...[...fromProse].filter(isIdentifier)]);

  const errorMessages = unique(
    [
      ...[...text.matchAll(ERROR_LINE_RE)].map((m) => `${m[1]}: ${m[2].trim()}`),
      ...[...code.matchAll(/["']([^"'\n]{12,200})["']/g)].map((m) => m[1]).filter((s) => /\s/.test(s) && /[a-z]{3}/i.test(s)),
      // Messages quoted in prose: "Order has no email address; receipt not sent".
      ...[...prose.matchAll(/["“]([^"”\n]{12,200})["”]/g)].map((m) => m[1]).filter((s) => s.trim().split(/\s+/).length >= 3),
    ].slice(0, 10),
  );
  const imports = unique(
    [...code.matchAll(/(?:\bfrom|\brequire\(|\bimport\()\s*['"]([^'"\s]+)['"]/g)].map((m) => m[1]).filter((spec) => spec.includes('/') && !spec.startsWith('/') && !/^[a-z]+:/i.test(spec)),
  );
  const versions = unique([...text.matchAll(VERSION_RE)].map((m) => m[1])).slice(0, 10);

  return {
    title: title.trim(),
    cleanBody: cleanProse(body ?? ''),
    paths,
    modules,
    imports,
    frames,
    identifiers,
    codeIdentifiers,
    errorMessages,
    versions,
  };
}
