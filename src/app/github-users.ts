/** A GitHub account that is an app or bot (`type: Bot`, or a `…[bot]` login): never triaged, never counted as a reply. */
export function isBotUser(user: { type?: string; login?: string } | null | undefined): boolean {
  return user?.type === 'Bot' || /\[bot\]$/i.test(user?.login ?? '');
}
