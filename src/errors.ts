/** Errors that carry what the user should do about them; the CLI and the comment show `message`. */
export class ScoutError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The environment or a config file holds a bad value. */
export class ConfigError extends ScoutError {}

/** A path is not a git repository, or a commit cannot be found in it. */
export class RepositoryError extends ScoutError {}

/** Another index run holds the repository's lock. */
export class IndexLockedError extends ScoutError {}

/** A model endpoint failed, timed out, or answered something unusable. */
export class ModelError extends ScoutError {}

/**
 * The message of anything thrown, and nothing else: octokit errors carry their request, headers
 * included, which must not reach logs or comments.
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The HTTP status of an octokit (or fetch-like) error, when it has one. */
export function httpStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}
