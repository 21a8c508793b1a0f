import { describe, expect, test } from 'vitest';
import { stem, tokenize } from '../../src/index/tokenize.ts';

describe('tokenize', () => {
  test('splits camelCase, PascalCase and snake_case and keeps the whole identifier', () => {
    expect(tokenize('QuerySet.bulk_create')).toEqual(['queryset', 'query', 'set', 'bulk_creat', 'bulk', 'creat']);
    expect(tokenize('renderRepoCard')).toEqual(['renderrepocard', 'render', 'repo', 'card']);
    expect(tokenize('HTTPServerError')).toEqual(['httpservererror', 'http', 'server', 'error']);
  });

  test('drops stopwords and single letters, lowercases and stems lightly', () => {
    expect(tokenize('The queries are raising errors in a loop')).toEqual(['query', 'rais', 'error', 'loop']);
    expect(stem('classes')).toBe('class');
    expect(stem('status')).toBe('status');
    expect(new Set(['raise', 'raised', 'raising', 'raises'].map(stem))).toEqual(new Set(['rais']));
    expect(stem('values')).toBe(stem('value'));
  });
});
