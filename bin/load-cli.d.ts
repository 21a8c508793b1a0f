// Types of load-cli.js, for the tests that import it.
export interface BundleOptions {
  /** The checkout whose `src/` is bundled (default: this one). */
  root?: string;
  /** Where bundles are kept (default: `node_modules/.cache/repo-scout` of the checkout). */
  cacheDir?: string;
}
export function sourceDigest(srcDir: string): string;
export function bundleFor(options?: BundleOptions): Promise<string>;
export function loadCli(options?: BundleOptions): Promise<{ main(argv: string[]): Promise<void> }>;
