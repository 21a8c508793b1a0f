import { describe, expect, test } from 'vitest';
import { parseEnv } from '../../src/config/env.ts';
import { ConfigError } from '../../src/errors.ts';

describe('parseEnv', () => {
  test('defaults: offline, data dir .scout, LanceDB under it', () => {
    const config = parseEnv({});
    expect(config.model).toBeUndefined();
    expect(config.dataDir.endsWith('.scout')).toBe(true);
    expect(config.lancedbUri).toBe(`${config.dataDir}/lancedb`);
    expect(config.limits).toEqual({ maxFiles: 50_000, maxFileBytes: 1_000_000, maxTotalBytes: 500_000_000 });
    expect(config.port).toBe(3000);
    expect(config.dryRun).toBe(false);
  });

  test('a bad value names the variable and what it should hold', () => {
    expect(() => parseEnv({ PORT: 'eighty', SCOUT_MAX_FILES: '-3' })).toThrow(ConfigError);
    try {
      parseEnv({ PORT: 'eighty', SCOUT_DRY_RUN: 'maybe' });
    } catch (error) {
      expect((error as Error).message).toContain('PORT');
      expect((error as Error).message).toContain('SCOUT_DRY_RUN');
      expect((error as Error).message).toContain('.env.example');
    }
  });

  test('a model endpoint without model names, or the reverse, is refused', () => {
    expect(() => parseEnv({ OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' })).toThrow(/no model is/);
    expect(() => parseEnv({ SCOUT_FAST_MODEL: 'small' })).toThrow(/neither OPENAI_API_KEY nor OPENAI_BASE_URL/);
    expect(() => parseEnv({ OPENAI_BASE_URL: 'not a url', SCOUT_FAST_MODEL: 'x' })).toThrow(/OPENAI_BASE_URL/);
  });

  test('a configured model: local servers need no key', () => {
    const config = parseEnv({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', SCOUT_FAST_MODEL: 'qwen', SCOUT_DRY_RUN: 'yes', LANCEDB_URI: 's3://bucket/x' });
    expect(config.model).toMatchObject({ apiKey: 'not-needed', fastModel: 'qwen', baseUrl: 'http://127.0.0.1:11434/v1' });
    expect(config.dryRun).toBe(true);
    expect(config.lancedbUri).toBe('s3://bucket/x');
  });
});
