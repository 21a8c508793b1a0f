/** Words the synthetic repository is made of: a plausible product (shop, billing, shipping…) with code-like names. */

export interface Verb {
  base: string;
  ing: string;
  past: string;
}

export const DOMAINS = [
  'billing', 'accounts', 'inventory', 'shipping', 'search', 'notifications', 'reports', 'catalog',
  'checkout', 'auth', 'storage', 'scheduler', 'analytics', 'gateway', 'sync', 'media',
] as const;

export const SUBPACKAGES = [
  'models', 'handlers', 'services', 'utils', 'api', 'jobs', 'adapters', 'validators', 'serializers', 'cache', 'events', 'policies',
] as const;

export const NOUNS = [
  'invoice', 'ledger', 'refund', 'coupon', 'cart', 'order', 'parcel', 'warehouse', 'tenant', 'quota', 'session', 'token',
  'webhook', 'report', 'batch', 'cursor', 'snapshot', 'manifest', 'shard', 'lease', 'schedule', 'payload', 'receipt',
  'discount', 'currency', 'locale', 'thumbnail', 'upload', 'bucket', 'subscription', 'plan', 'trial', 'account', 'profile',
  'address', 'carrier', 'label', 'rate', 'facet', 'digest', 'template', 'channel', 'window', 'checksum', 'archive', 'voucher',
  'basket', 'pallet', 'invoiceline', 'timezone',
] as const;

export const VERBS: readonly Verb[] = [
  { base: 'settle', ing: 'settling', past: 'settled' },
  { base: 'validate', ing: 'validating', past: 'validated' },
  { base: 'resolve', ing: 'resolving', past: 'resolved' },
  { base: 'apply', ing: 'applying', past: 'applied' },
  { base: 'parse', ing: 'parsing', past: 'parsed' },
  { base: 'render', ing: 'rendering', past: 'rendered' },
  { base: 'sync', ing: 'syncing', past: 'synced' },
  { base: 'merge', ing: 'merging', past: 'merged' },
  { base: 'fetch', ing: 'fetching', past: 'fetched' },
  { base: 'compute', ing: 'computing', past: 'computed' },
  { base: 'schedule', ing: 'scheduling', past: 'scheduled' },
  { base: 'archive', ing: 'archiving', past: 'archived' },
  { base: 'refresh', ing: 'refreshing', past: 'refreshed' },
  { base: 'reconcile', ing: 'reconciling', past: 'reconciled' },
  { base: 'normalize', ing: 'normalizing', past: 'normalized' },
  { base: 'dispatch', ing: 'dispatching', past: 'dispatched' },
  { base: 'throttle', ing: 'throttling', past: 'throttled' },
  { base: 'split', ing: 'splitting', past: 'split' },
  { base: 'allocate', ing: 'allocating', past: 'allocated' },
  { base: 'expire', ing: 'expiring', past: 'expired' },
  { base: 'rotate', ing: 'rotating', past: 'rotated' },
  { base: 'serialize', ing: 'serializing', past: 'serialized' },
  { base: 'encode', ing: 'encoding', past: 'encoded' },
  { base: 'migrate', ing: 'migrating', past: 'migrated' },
  { base: 'cancel', ing: 'cancelling', past: 'cancelled' },
  { base: 'register', ing: 'registering', past: 'registered' },
  { base: 'publish', ing: 'publishing', past: 'published' },
  { base: 'build', ing: 'building', past: 'built' },
  { base: 'price', ing: 'pricing', past: 'priced' },
  { base: 'reserve', ing: 'reserving', past: 'reserved' },
];

export const ADJECTIVES = [
  'frozen', 'stale', 'partial', 'negative', 'duplicate', 'expired', 'empty', 'orphaned', 'malformed', 'oversized',
  'pending', 'revoked', 'detached', 'unsigned', 'truncated', 'ambiguous', 'overlapping', 'dormant', 'suspended', 'unbalanced',
] as const;

/** Uncommon words that make each raised message distinctive, as real error messages tend to be. */
export const RARE_WORDS = [
  'quorum', 'watermark', 'tombstone', 'epoch', 'fence', 'cohort', 'ballast', 'sentinel', 'lattice', 'ordinal', 'pivot',
  'beacon', 'keystone', 'spindle', 'manifold', 'cascade', 'ripple', 'anchor', 'harbor', 'meridian', 'vertex', 'prism',
  'tessellation', 'bracket', 'threshold', 'horizon', 'caliber', 'gauge', 'ferry', 'relay',
] as const;

export const CLAUSES = [
  'rounding partial amounts to the smallest unit',
  'skipping entries that were already processed',
  'keeping the original order of the items',
  'retrying when the upstream store reports a conflict',
  'falling back to the default locale',
  'merging entries that share the same key',
  'dropping entries older than the retention window',
  'grouping the results by tenant',
  'capping the total at the configured maximum',
  'ignoring soft-deleted records',
] as const;

export const KEYS = ['amount', 'status', 'owner', 'created_at', 'region', 'priority', 'weight', 'limit', 'version', 'source'] as const;

export const AUTHORS = [
  { name: 'Ada Lovelace', email: 'ada@example.com' },
  { name: 'Grace Hopper', email: 'grace@example.com' },
  { name: 'Alan Turing', email: 'alan@example.com' },
  { name: 'Katherine Johnson', email: 'katherine@example.com' },
  { name: 'Edsger Dijkstra', email: 'edsger@example.com' },
  { name: 'Barbara Liskov', email: 'barbara@example.com' },
  { name: 'Donald Knuth', email: 'donald@example.com' },
  { name: 'Margaret Hamilton', email: 'margaret@example.com' },
  { name: 'Ken Thompson', email: 'ken@example.com' },
  { name: 'Frances Allen', email: 'frances@example.com' },
] as const;

export function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

export function camel(words: readonly string[]): string {
  return words.map((word, i) => (i === 0 ? word : capitalize(word))).join('').replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
}

export function pascal(words: readonly string[]): string {
  return capitalize(camel(words));
}

export function snake(words: readonly string[]): string {
  return words.join('_');
}

export function plural(noun: string): string {
  if (/(?:s|x|ch|sh)$/.test(noun)) return `${noun}es`;
  if (/[^aeiou]y$/.test(noun)) return `${noun.slice(0, -1)}ies`;
  return `${noun}s`;
}

/** `a parcel`, `an invoice`. */
export function withArticle(phrase: string): string {
  return `${/^[aeiou]/i.test(phrase) ? 'an' : 'a'} ${phrase}`;
}
