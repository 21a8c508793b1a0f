import type { ProbotOctokit } from 'probot';
import { REPO_CONFIG_PATH, type RepoConfig, type RepoRole } from '../config/repo-config.ts';
import { log as rootLog, type Logger } from '../log.ts';
import { errorMessage, httpStatus } from '../errors.ts';

/**
 * `/scout` slash commands in issue comments: finding one in a comment, and deciding whether its
 * author may use it. Handlers call these; nothing here posts anything.
 */

export type Command = { kind: 'run'; guidance?: string } | { kind: 'help' };

/** Guidance longer than this is cut: it is a hint added to the issue text, not a second issue. */
export const MAX_GUIDANCE_CHARS = 1_000;

const COMMAND_LINE = /^\/scout(?:[ \t]+(.*))?$/i;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Finds the first `/scout` command in a comment body. A command starts a line (leading whitespace
 * is ignored); lines inside fenced code blocks, block quotes (`> /scout`, typical of a reply quoting
 * an earlier comment) and HTML comments do not count, and `/scouting` is not `/scout`.
 * `/scout help` asks for help; `/scout <guidance>` takes the rest of the line and the lines that
 * follow, up to a blank line, as guidance (trimmed, at most `MAX_GUIDANCE_CHARS` characters).
 */
export function parseCommand(body: string): Command | undefined {
  const lines = body.split(/\r\n|\r|\n/);
  let fence: { char: string; length: number } | undefined;
  let inHtmlComment = false;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index];
    if (fence) {
      const closing = FENCE.exec(line);
      if (closing && closing[1][0] === fence.char && closing[1].length >= fence.length && line.trim() === closing[1]) {
        fence = undefined;
      }
      continue;
    }
    if (inHtmlComment) {
      if (line.includes('-->')) inHtmlComment = false;
      continue;
    }
    const opening = FENCE.exec(line);
    if (opening) {
      fence = { char: opening[1][0], length: opening[1].length };
      continue;
    }
    const trimmed = line.trim();
    if (trimmed.startsWith('<!--')) {
      inHtmlComment = !trimmed.includes('-->', 4);
      continue;
    }
    const match = COMMAND_LINE.exec(trimmed);
    if (!match) continue;

    const firstLine = (match[1] ?? '').trim();
    if (/^help$/i.test(firstLine)) return { kind: 'help' };
    const parts = [firstLine];
    for (let next = index + 1; next < lines.length; next += 1) {
      const following = lines[next];
      if (following.trim() === '' || FENCE.test(following)) break;
      parts.push(following.trim());
    }
    const guidance = capCharacters(parts.join('\n').trim(), MAX_GUIDANCE_CHARS).trim();
    return guidance ? { kind: 'run', guidance } : { kind: 'run' };
  }
  return undefined;
}

/** Cuts to `max` characters without splitting a surrogate pair (an emoji at the edge stays whole or goes). */
function capCharacters(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const lastCode = cut.charCodeAt(cut.length - 1);
  return lastCode >= 0xd800 && lastCode <= 0xdbff ? cut.slice(0, -1) : cut;
}

/** The part of an Octokit the permission check uses (a Probot context's `octokit` fits). */
export type PermissionOctokit = Pick<InstanceType<typeof ProbotOctokit>, 'request'>;

export interface CommandUser {
  owner: string;
  repo: string;
  /** Login of the comment's author. */
  username: string;
  /** Login of the issue's author. */
  issueAuthor?: string;
  config: Pick<RepoConfig, 'commands'>;
  logger?: Logger;
}

export interface CommandPermission {
  allowed: boolean;
  /** The user's role in the repository (`admin` … `read`, `none`), or `issue-author` when that is what allowed them. */
  role?: RepoRole | 'none' | 'issue-author';
}

const KNOWN_ROLES = new Set<string>(['read', 'triage', 'write', 'maintain', 'admin']);

/**
 * Whether `username` may run `/scout` here: their role from
 * `GET /repos/{owner}/{repo}/collaborators/{username}/permission` must be listed in
 * `commands.allow`. `role_name` carries the fine roles (`triage`, `maintain`); a custom role falls
 * back to `permission` (`admin`/`write`/`read`), the built-in role it is based on. Not a
 * collaborator (404) → refused, as is any other failure (logged), since the check guards against
 * strangers. With `commands.issue_author`, the issue's author is allowed without a lookup.
 */
export async function canUseCommand(octokit: PermissionOctokit, user: CommandUser): Promise<CommandPermission> {
  const { owner, repo, username, issueAuthor, config } = user;
  const logger = (user.logger ?? rootLog).child({ repo: `${owner}/${repo}`, user: username, check: 'command-permission' });
  if (config.commands.issue_author && issueAuthor && issueAuthor.toLowerCase() === username.toLowerCase()) {
    return { allowed: true, role: 'issue-author' };
  }
  let role: RepoRole | 'none';
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/collaborators/{username}/permission', {
      owner,
      repo,
      username,
    });
    role = roleOf(data.role_name, data.permission);
  } catch (error) {
    const status = httpStatus(error);
    if (status === 404) {
      logger.debug('not a collaborator; command refused');
      return { allowed: false, role: 'none' };
    }
    logger.warn(
      { status, err: errorMessage(error) },
      'could not check the repository permission; command refused',
    );
    return { allowed: false };
  }
  const allowed = role !== 'none' && (config.commands.allow as readonly string[]).includes(role);
  if (!allowed) logger.info({ role }, 'role not allowed to run commands');
  return { allowed, role };
}

function roleOf(roleName: string | undefined, permission: string | undefined): RepoRole | 'none' {
  if (roleName && KNOWN_ROLES.has(roleName)) return roleName as RepoRole;
  // Custom roles, and older GitHub Enterprise Server versions without role_name.
  if (permission && KNOWN_ROLES.has(permission)) return permission as RepoRole;
  return 'none';
}

function roleList(roles: readonly string[]): string {
  if (roles.length === 0) return 'nobody';
  if (roles.length === 1) return roles[0];
  return `${roles.slice(0, -1).join(', ')} or ${roles[roles.length - 1]}`;
}

function whoMayUse(config: Pick<RepoConfig, 'commands'>): string {
  const roles = config.commands.allow;
  const base = roles.length > 0 ? `people with ${roleList(roles)} access to this repository` : 'nobody by role';
  return config.commands.issue_author ? `${base}, and the author of the issue` : base;
}

/** The answer to `/scout help`: what the commands do, who may use them here, and where the settings live. */
export function helpText(config: Pick<RepoConfig, 'commands' | 'comment' | 'confidence_threshold'>): string {
  const when = {
    always: 'on every new issue',
    confident: `on new issues when it is reasonably sure where the work is (confidence at least ${config.confidence_threshold})`,
    'command-only': 'only when asked with `/scout`',
  }[config.comment];
  return [
    '**repo-scout commands**',
    '',
    '| command | what it does |',
    '|---|---|',
    '| `/scout` | Triage this issue again and update the repo-scout comment. |',
    `| \`/scout <hint>\` | Triage again with a hint added to the issue text, e.g. \`/scout the bug is in the CSV export\` (up to ${MAX_GUIDANCE_CHARS.toLocaleString('en-US')} characters; continue on the next lines, up to a blank line). |`,
    '| `/scout help` | Show this help. |',
    '',
    'Write the command at the start of a line in a new comment; quoted lines (`>`) and code blocks are ignored.',
    `Who can use them here: ${whoMayUse(config)}.`,
    `repo-scout comments ${when}. Settings: \`${REPO_CONFIG_PATH}\`.`,
  ].join('\n');
}

/** A short, polite reply to someone not allowed to run commands. Their login is shown without a live @mention. */
export function refusalText(username: string, config?: Pick<RepoConfig, 'commands'>): string {
  // Logins are [A-Za-z0-9-] (plus `[bot]`); anything else is dropped so the code span cannot be broken out of.
  const login = username.replace(/[^A-Za-z0-9\-[\]]/g, '');
  const who = config ? whoMayUse(config) : 'people with triage or write access to this repository';
  return `Sorry \`@${login}\`, \`/scout\` commands here are for ${who}. A maintainer can run it for you.`;
}
