import { describe, expect, test } from 'vitest';
import { pythonSegments, scanLines, SPLIT_CLASS_MIN_LINES } from '../../src/index/chunk/python-segments.ts';

/** The first line (1-based) of each top-level segment. */
function starts(text: string): number[] | undefined {
  return pythonSegments(text.split('\n'))?.map((segment) => segment.startLine);
}

/** Long enough that small statements are never merged into one segment. */
function body(lines: number, indent = '    '): string {
  return Array.from({ length: lines }, (_, i) => `${indent}x${i} = ${i}`).join('\n');
}

describe('the Python segment lexer', () => {
  test('lines inside triple-quoted and prefixed strings, even at column 0, start no logical line', () => {
    const text = ['x = """', 'def not_a_function():', "'''", '"""', "y = rb'''", 'class NotAClass:', "'''", 'z = f"{1}"'].join('\n');
    expect(scanLines(text.split('\n'))?.starts).toEqual([true, false, false, false, true, false, false, true]);
  });

  test('brackets and backslash continuations spanning lines', () => {
    const text = ['call(', 'def inside_call():', ')', 'x = 1 + \\', 'def continued():', 'y = [1, # ]', '2]', "s = 'a\\", "b'"].join('\n');
    expect(scanLines(text.split('\n'))?.starts).toEqual([true, false, false, true, false, true, false, true, false]);
  });

  test('quotes and brackets inside comments and strings do not count', () => {
    const text = ['x = 1  # (unclosed " quote', "y = '(' + \"[\"", 'z = 2'].join('\n');
    expect(scanLines(text.split('\n'))?.starts).toEqual([true, true, true]);
  });

  test('a file ending inside a string, brackets or a continuation gets no segments', () => {
    expect(pythonSegments(['x = """', 'never closed'])).toBeUndefined();
    expect(pythonSegments(['x = (', '1,'])).toBeUndefined();
    expect(pythonSegments(["x = 'no end"])).toBeUndefined();
    expect(pythonSegments(['x = 1 + \\'])).toBeUndefined();
  });
});

describe('Python segments', () => {
  test('cover the file exactly, in order', () => {
    const text = `"""Doc."""\nimport os\n\n\n# About f.\ndef f():\n${body(45)}\n\n\n@decorator\ndef g():\n${body(45)}\n`;
    const segments = pythonSegments(text.split('\n'))!;
    expect(segments.map((s) => s.text).join('')).toBe(text);
    expect(segments.map((s) => [s.startLine, s.endLine])).toEqual([
      [1, 2],
      [3, 51],
      // The last segment holds the empty line after the final newline.
      [52, 101],
    ]);
  });

  test('comments and blank lines above a statement open its segment; decorators stay with their definition', () => {
    const text = `def f():\n${body(45)}\n\n# Comment about g\n# (two lines)\n@first\n@second(\n    arg,\n)\ndef g():\n${body(45)}\n`;
    expect(starts(text)).toEqual([1, 47]);
  });

  test('a comment indented into the block above ends that block, not the next segment', () => {
    const text = `def f():\n${body(45)}\n    # still f\n\ndef g():\n${body(45)}\n`;
    expect(starts(text)).toEqual([1, 48]);
  });

  test('else/except/finally continue their statement', () => {
    const text = `try:\n${body(45)}\nexcept ImportError:\n${body(45)}\nfinally:\n    pass\ndef f():\n${body(45)}\n`;
    expect(starts(text)).toEqual([1, 95]);
  });

  test('column-0 lines inside a string in a function do not cut it', () => {
    const text = `def f():\n    s = """\ndef fake():\nclass Fake:\n"""\n${body(45)}\ndef g():\n${body(45)}\n`;
    expect(starts(text)).toEqual([1, 51]);
  });

  test('small statements are grouped, by cuts that only depend on the text near them', () => {
    const defs = Array.from({ length: 40 }, (_, i) => `def f${i}():\n    return ${i}\n`);
    const before = pythonSegments(defs.join('').split('\n'))!;
    expect(before.length).toBeGreaterThan(1);
    expect(before.length).toBeLessThan(40);
    // An edit to one function moves no cut outside its neighbourhood.
    const edited = [...defs];
    edited[20] = 'def f20():\n    x = 1\n    return x\n';
    const after = pythonSegments(edited.join('').split('\n'))!;
    const unchanged = new Set(before.map((s) => s.text));
    expect(after.filter((s) => !unchanged.has(s.text)).length).toBeLessThanOrEqual(2);
  });

  test('a long class is cut at its members; its first body statement stays in the header', () => {
    const methods = Array.from({ length: 3 }, (_, i) => `    # Method ${i}.\n    @property\n    def m${i}(self):\n${body(40, '        ')}\n`).join('\n');
    const text = `class Big(Base):\n    """Doc."""\n\n${methods}`;
    expect(text.split('\n').length).toBeGreaterThan(SPLIT_CLASS_MIN_LINES);
    const [segment] = pythonSegments(text.split('\n'))!;
    expect(segment.members?.map((m) => m.startLine)).toEqual([3, 47, 91]);
    expect(segment.endLine).toBe(2);
    expect(segment.text + segment.members!.map((m) => m.text).join('')).toBe(text);
  });

  test('small classes grouped into one segment are not cut, however long the group', () => {
    // Where groups are cut depends on the text: look for class names that make a long group.
    const long = Array.from({ length: 50 }, (_, k) =>
      pythonSegments(Array.from({ length: 12 }, (_, i) => `class C${k}_${i}:\n    def m(self):\n${body(10, '        ')}\n`).join('\n').split('\n'))!,
    ).find((segments) => segments.some((segment) => segment.endLine - segment.startLine + 1 >= SPLIT_CLASS_MIN_LINES));
    expect(long).toBeDefined();
    expect(long!.every((segment) => segment.members === undefined)).toBe(true);
  });

  test('a short class, or one with its body on the class line, is not cut', () => {
    expect(pythonSegments(`class Small:\n${body(10)}\n`.split('\n'))![0].members).toBeUndefined();
    expect(pythonSegments(`class A: pass\n${body(80, '')}\n`.split('\n'))![0].members).toBeUndefined();
  });
});
