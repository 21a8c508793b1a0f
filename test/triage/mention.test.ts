import { describe, expect, test } from 'vitest';
import { encodeChunkLines } from '../../src/index/ids.ts';
import { tokenString } from '../../src/index/tokenize.ts';
import { buildCatalog, mentionSignal } from '../../src/triage/stages/locate.ts';
import { understandIssue } from '../../src/triage/stages/understand.ts';

const symbol = (path: string, name: string, start = 1) => ({ id: `${path}#${name}`, path, name, kind: 'function', startLine: start, endLine: start + 5 });

/** A date library: every file uses the library's own name; one plugin defines `customParse`. */
function dateLibrary() {
  const files = [
    { path: 'src/index.js', tokens: tokenString('function datelib(input) { return new Datelib(input) } Datelib.prototype.format = function format() {}') },
    { path: 'src/plugin/customParse/index.js', tokens: tokenString('export default (o, Datelib, datelib) => { function customParse(input) {} }') },
    { path: 'src/plugin/utc/index.js', tokens: tokenString('export default (o, Datelib, datelib) => { datelib.utc = function utc() {} }') },
    { path: 'src/recorder.js', tokens: tokenString('class Recorder { list() { return this.items } } // datelib') },
    { path: 'test/parse.test.js', tokens: tokenString("import datelib from '../src'; test('parse', () => datelib('2020'))") },
  ];
  const chunks = [
    symbol('src/index.js', 'datelib'),
    symbol('src/index.js', 'Datelib.format', 10),
    symbol('src/plugin/customParse/index.js', 'customParse'),
    symbol('src/plugin/utc/index.js', 'utc'),
    symbol('src/recorder.js', 'Recorder.list'),
  ];
  // Each file's row says where its chunks are.
  return buildCatalog(
    files.map((file) => ({ ...file, chunk_lines: encodeChunkLines(chunks.filter((chunk) => chunk.path === file.path)) })),
    chunks,
  );
}

describe('mentionSignal', () => {
  test('a name the issue uses points at the file that defines it', () => {
    const ranking = mentionSignal(understandIssue('customParse drops the zone', 'Calling `customParse("2001 +08:00")` loses the offset.'), dateLibrary());
    expect([...ranking.keys()]).toEqual(['src/plugin/customParse/index.js']);
    expect(ranking.get('src/plugin/customParse/index.js')?.evidence?.symbol).toEqual({ name: 'customParse', kind: 'function', startLine: 1, endLine: 6 });
  });

  test('builtins the issue calls are not mentions of a project method of the same name', () => {
    const ranking = mentionSignal(understandIssue('Totals are wrong', '```js\nconst parts = list(items)\nconsole.log(parts)\n```'), dateLibrary());
    expect(ranking.has('src/recorder.js')).toBe(false);
  });

  test("a word most files use (the project's own name) names no place", () => {
    const ranking = mentionSignal(understandIssue('utc offset lost', '```js\ndatelib("2020-01-01").utc()\n```'), dateLibrary());
    expect(ranking.has('src/index.js')).toBe(false);
    expect(ranking.has('src/plugin/utc/index.js')).toBe(true);
  });

  test('a module or two the issue imports are mentions; a setup importing many is not', () => {
    const one = mentionSignal(understandIssue('Offsets lost', "```js\nimport datelib from 'datelib'\nimport utc from 'datelib/plugin/utc'\ndatelib.extend(utc)\n```"), dateLibrary());
    expect(one.get('src/plugin/utc/index.js')?.evidence?.mention).toBe('datelib/plugin/utc');
    const many = mentionSignal(
      understandIssue('Offsets lost', "```js\nimport a from 'datelib/plugin/utc'\nconst b = require('datelib/plugin/customParse')\nimport c from './src/recorder'\n```"),
      dateLibrary(),
    );
    expect([...many.values()].some((candidate) => candidate.evidence?.mention?.includes('/'))).toBe(false);
  });
});
