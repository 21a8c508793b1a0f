/**
 * The few strings the cart and checkout pages show, per locale. Messages take `{name}`
 * placeholders; a missing parameter is a programming error and throws rather than showing
 * "{codes}" to a customer.
 */

export type Locale = 'en-US' | 'en-GB' | 'de-DE';

const EN = {
  'summary.subtotal': 'Subtotal',
  'summary.discount': 'Discount ({codes})',
  'summary.shipping': 'Shipping',
  'summary.tax': 'Tax',
  'summary.total': 'Total',
  'coupon.placeholder': 'Coupon code',
  'coupon.apply': 'Apply',
  'coupon.applied': '{code} applied',
  'coupon.remove': 'Remove {code}',
  'checkout.placeOrder': 'Place order',
  'checkout.missingField': 'Please fill in: {fields}',
  'checkout.failed': 'Something went wrong, please try again',
  'checkout.offline': 'We could not reach the shop. Check your connection and try again.',
} as const;

export type MessageKey = keyof typeof EN;

const MESSAGES: Record<Locale, Record<MessageKey, string>> = {
  'en-US': EN,
  'en-GB': { ...EN, 'summary.tax': 'VAT', 'checkout.placeOrder': 'Place order' },
  'de-DE': {
    'summary.subtotal': 'Zwischensumme',
    'summary.discount': 'Rabatt ({codes})',
    'summary.shipping': 'Versand',
    'summary.tax': 'MwSt.',
    'summary.total': 'Gesamt',
    'coupon.placeholder': 'Gutscheincode',
    'coupon.apply': 'Einlösen',
    'coupon.applied': '{code} eingelöst',
    'coupon.remove': '{code} entfernen',
    'checkout.placeOrder': 'Bestellen',
    'checkout.missingField': 'Bitte ausfüllen: {fields}',
    'checkout.failed': 'Etwas ist schiefgelaufen, bitte versuchen Sie es erneut',
    'checkout.offline': 'Der Shop ist nicht erreichbar. Bitte prüfen Sie Ihre Verbindung.',
  },
};

export function t(locale: Locale, key: MessageKey, params: Record<string, string> = {}): string {
  return MESSAGES[locale][key].replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`Missing parameter "${name}" for message ${key}`);
    return value;
  });
}

/** The best supported locale for the browser's preferences (`navigator.languages`). */
export function pickLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    if (tag in MESSAGES) return tag as Locale;
    if (tag.toLowerCase().startsWith('de')) return 'de-DE';
    if (tag.toLowerCase() === 'en-gb') return 'en-GB';
  }
  return 'en-US';
}
