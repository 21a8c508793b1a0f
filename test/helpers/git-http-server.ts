import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { git, isolatedGitEnv } from './git-fixture.ts';

/**
 * A real git server for tests: bare repositories served over git's smart HTTP protocol by
 * `git http-backend` (run as a CGI script per request), on 127.0.0.1, behind HTTP Basic auth the
 * way GitHub checks an installation token (`x-access-token:<token>`). Clients use the ordinary git
 * HTTP transport (protocol v2 included), so clone/fetch code is tested over the wire.
 *
 *   const server = new GitHttpServer({ token: 'ghs_test' });
 *   await server.addRepo('acme', 'shop', fixture.dir);   // served as /acme/shop.git
 *   const url = await server.start();                      // http://127.0.0.1:<port>
 *   ... clone `${url}/acme/shop.git` with the token ...
 *   expect(server.requests.every((r) => r.authorized)).toBe(true);
 *   await server.stop();
 *
 * It can also run without its own port, inside another server (see `FakeGitHub.mountGit`), by
 * passing requests to `handle()`.
 */

export interface GitRequest {
  method: string;
  /** Path under the repository root, e.g. `/acme/shop.git/info/refs`. */
  path: string;
  query: string;
  /** User name from the Basic credentials, if any were sent. */
  user?: string;
  /** Whether the credentials matched `x-access-token:<token>`. */
  authorized: boolean;
  status: number;
}

export interface GitHttpServerOptions {
  /** The token a request must carry as the Basic password (user `x-access-token`). */
  token: string;
  /** Folder holding the served bare repositories; a temporary one by default (removed by `stop()`). */
  root?: string;
}

const GIT_PATH = /^\/[^/]+\/[^/]+\.git\/(?:info\/refs|git-upload-pack|git-receive-pack|HEAD|objects\/.+)$/;

export class GitHttpServer {
  /** Every request answered, in order (the unauthorized ones too). */
  readonly requests: GitRequest[] = [];
  /** The expected token; change it to simulate a revoked or rotated token. */
  token: string;
  private root?: string;
  private readonly ownsRoot: boolean;
  private server?: Server;

  constructor(options: GitHttpServerOptions) {
    this.token = options.token;
    this.root = options.root;
    this.ownsRoot = options.root === undefined;
  }

  /** Whether a request path is a git smart-HTTP path of some repository (`/<owner>/<name>.git/...`). */
  static isGitPath(pathname: string): boolean {
    return GIT_PATH.test(pathname);
  }

  /** The folder holding the bare repositories (created on first use). */
  async rootDir(): Promise<string> {
    this.root ??= await mkdtemp(path.join(os.tmpdir(), 'scout-git-http-'));
    await mkdir(this.root, { recursive: true });
    return this.root;
  }

  /** Path of the bare repository served as `/<owner>/<name>.git`. */
  async repoDir(owner: string, name: string): Promise<string> {
    return path.join(await this.rootDir(), owner, `${name}.git`);
  }

  /**
   * Serves a bare copy of `sourceDir` (any repository, e.g. a `makeRepo` fixture) as
   * `/<owner>/<name>.git`, with every branch and tag. Fetching any commit reachable from a ref by
   * its sha is allowed, as on GitHub. Returns the bare repository's path.
   */
  async addRepo(owner: string, name: string, sourceDir: string): Promise<string> {
    const target = await this.repoDir(owner, name);
    await mkdir(path.dirname(target), { recursive: true });
    await git(path.dirname(target), ['clone', '-q', '--bare', '--no-local', sourceDir, target]);
    await git(target, ['config', 'uploadpack.allowReachableSHA1InWant', 'true']);
    // Keep the served refs exactly those of the source (no `origin` remote to confuse anyone).
    await git(target, ['remote', 'remove', 'origin']);
    return target;
  }

  /** Makes the served copy match `sourceDir` again (new commits, moved or deleted branches). */
  async updateRepo(owner: string, name: string, sourceDir: string): Promise<void> {
    const target = await this.repoDir(owner, name);
    await git(target, ['fetch', '-q', '--prune', sourceDir, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*']);
  }

  /** Listens on 127.0.0.1 (a free port) and returns the base URL, e.g. `http://127.0.0.1:43121`. */
  async start(): Promise<string> {
    await this.rootDir();
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops listening and removes the temporary root (if this server made it). */
  async stop(): Promise<void> {
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server!.close(() => resolve()));
      this.server = undefined;
    }
    if (this.ownsRoot && this.root) await rm(this.root, { recursive: true, force: true });
  }

  /**
   * Answers one request. `pathname` defaults to the request's path; a server mounting this one
   * under a prefix passes the path below it.
   */
  async handle(req: IncomingMessage, res: ServerResponse, pathname?: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const pathInfo = pathname ?? url.pathname;
    const record: GitRequest = {
      method: req.method ?? 'GET',
      path: pathInfo,
      query: url.search.replace(/^\?/, ''),
      authorized: false,
      status: 0,
    };
    this.requests.push(record);
    const credentials = basicCredentials(req.headers.authorization);
    record.user = credentials?.user;
    record.authorized = credentials?.user === 'x-access-token' && credentials.password === this.token;
    if (!record.authorized) {
      record.status = 401;
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"', 'content-type': 'text/plain' });
      res.end('Invalid username or password.\n');
      return;
    }
    if (!GIT_PATH.test(pathInfo) || pathInfo.includes('/../')) {
      record.status = 404;
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Repository not found.\n');
      return;
    }
    record.status = await this.runBackend(req, res, pathInfo, url.search.replace(/^\?/, ''), credentials!.user);
  }

  /** Runs `git http-backend` as CGI: request → environment + stdin; stdout → CGI headers + body. */
  private async runBackend(req: IncomingMessage, res: ServerResponse, pathInfo: string, query: string, user: string): Promise<number> {
    const root = await this.rootDir();
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : (value ?? '');
    };
    const cgiEnv: Record<string, string> = {
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: pathInfo,
      REQUEST_METHOD: req.method ?? 'GET',
      QUERY_STRING: query,
      CONTENT_TYPE: header('content-type'),
      REMOTE_USER: user,
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      // Protocol v2 is negotiated through this header; gzip request bodies through the next one.
      GIT_PROTOCOL: header('git-protocol'),
      HTTP_CONTENT_ENCODING: header('content-encoding'),
    };
    const length = header('content-length');
    if (length) cgiEnv.CONTENT_LENGTH = length;
    const child = spawn('git', ['http-backend'], { env: isolatedGitEnv(cgiEnv), stdio: ['pipe', 'pipe', 'pipe'] });
    req.pipe(child.stdin);
    child.stdin.on('error', () => undefined); // the backend may stop reading early; its answer still counts
    const stderr: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

    return new Promise<number>((resolve) => {
      let pending = Buffer.alloc(0);
      let status = 200;
      let headersSent = false;
      child.stdout.on('data', (chunk: Buffer) => {
        if (headersSent) {
          res.write(chunk);
          return;
        }
        pending = Buffer.concat([pending, chunk]);
        const crlf = pending.indexOf('\r\n\r\n');
        const lf = pending.indexOf('\n\n');
        const end = crlf >= 0 && (lf < 0 || crlf < lf) ? { at: crlf, size: 4 } : lf >= 0 ? { at: lf, size: 2 } : undefined;
        if (!end) return;
        const headers: Record<string, string> = {};
        for (const line of pending.subarray(0, end.at).toString('latin1').split(/\r?\n/)) {
          const colon = line.indexOf(':');
          if (colon <= 0) continue;
          const name = line.slice(0, colon).trim();
          const value = line.slice(colon + 1).trim();
          if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
          else headers[name] = value;
        }
        res.writeHead(status, headers);
        headersSent = true;
        res.write(pending.subarray(end.at + end.size));
      });
      child.on('error', (error) => {
        if (!headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`git http-backend failed to start: ${error.message}\n`);
        resolve(500);
      });
      child.on('close', (code) => {
        if (!headersSent) {
          status = 500;
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.write(`git http-backend exited with ${code}: ${Buffer.concat(stderr).toString('utf8')}\n`);
        }
        res.end();
        resolve(status);
      });
    });
  }
}

function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
