import { describe, expect, it } from 'vitest';
import { pickLocale, t } from '../src/i18n';

describe('t', () => {
  it('fills placeholders', () => {
    expect(t('en-US', 'coupon.applied', { code: 'WELCOME5' })).toBe('WELCOME5 applied');
    expect(t('de-DE', 'summary.discount', { codes: 'WELCOME5' })).toBe('Rabatt (WELCOME5)');
  });

  it('uses British wording where it differs', () => {
    expect(t('en-GB', 'summary.tax')).toBe('VAT');
    expect(t('en-GB', 'summary.total')).toBe('Total');
  });

  it('throws on a missing parameter instead of showing the placeholder', () => {
    expect(() => t('en-US', 'coupon.applied')).toThrow('Missing parameter "code" for message coupon.applied');
  });
});

describe('pickLocale', () => {
  it('takes the first supported preference', () => {
    expect(pickLocale(['fr-FR', 'de-AT', 'en-US'])).toBe('de-DE');
    expect(pickLocale(['en-GB'])).toBe('en-GB');
  });

  it('falls back to American English', () => {
    expect(pickLocale(['ja-JP'])).toBe('en-US');
    expect(pickLocale([])).toBe('en-US');
  });
});
