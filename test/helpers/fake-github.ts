import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GitHttpServer } from './git-http-server.ts';

/**
 * A fail-closed stand-in for the GitHub REST API: a real HTTP server on 127.0.0.1 that answers
 * only the routes a test registers. Anything else gets status 599 and is recorded in `unexpected`,
 * so a test asserts that its code made exactly the calls it meant to:
 *
 *   const github = new FakeGitHub();                   // API under /api/v3, as on GHE
 *   github.json('GET', '/repos/:owner/:repo/collaborators/:username/permission', { permission: 'admin', role_name: 'admin' });
 *   await github.start();
 *   const octokit = ...({ baseUrl: github.apiUrl });
 *   ...
 *   github.assertNoUnexpected();
 *   await github.stop();
 *
 * With `mountGit(gitServer)`, git's smart-HTTP paths (`/<owner>/<repo>.git/...`) on the same port
 * go to a `GitHttpServer`, so `GHE_HOST=${github.host}` and `GHE_PROTOCOL=http` point both the
 * API client and git clones at this one server.
 */

export interface FakeRequest {
  method: string;
  /** Path below the API prefix, e.g. `/repos/acme/shop/issues/1`. */
  path: string;
  /** Values of the route's `:name` segments (URL-decoded). */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, the raw text if it is not JSON, or `undefined` when empty. */
  body: unknown;
}

export interface FakeResponse {
  /** Defaults to 200. */
  status?: number;
  /** Sent as JSON (unless it is a string, sent as is). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Never answer (until `stop()`), to test client timeouts. */
  hang?: boolean;
}

export type FakeHandler = (request: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export interface FakeRoute {
  method: string;
  pattern: string;
  /** Requests this route answered. */
  calls: FakeRequest[];
}

export interface RecordedApiRequest {
  method: string;
  /** Full request path, prefix included. */
  url: string;
  /** The route that answered, or `undefined` when none matched. */
  route?: string;
  status: number;
}

export interface FakeGitHubOptions {
  /** Where the API lives: `/api/v3` (GitHub Enterprise Server style, the default) or `''` (api.github.com style). */
  apiPrefix?: string;
  /**
   * When set, API requests must send `Authorization: token <t>` or `Bearer <t>`; others get 401
   * and count as unexpected.
   */
  token?: string;
}

interface CompiledRoute extends FakeRoute {
  regex: RegExp;
  names: string[];
  handler: FakeHandler;
}

export class FakeGitHub {
  /** Every API request, answered or not, in order. */
  readonly requests: RecordedApiRequest[] = [];
  /** API requests no route answered, that failed auth, or whose handler threw. */
  readonly unexpected: Array<RecordedApiRequest & { reason: string }> = [];
  readonly apiPrefix: string;
  token?: string;
  private readonly routes: CompiledRoute[] = [];
  private git?: GitHttpServer;
  private server?: Server;
  private port?: number;

  constructor(options: FakeGitHubOptions = {}) {
    this.apiPrefix = (options.apiPrefix ?? '/api/v3').replace(/\/+$/, '');
    this.token = options.token;
  }

  /**
   * Registers a route. `pattern` is a path below the API prefix whose `:name` segments match one
   * path segment each (`/repos/:owner/:repo`). Later registrations win over earlier ones, so a
   * test can override a default set up in `beforeEach`.
   */
  on(method: string, pattern: string, handler: FakeHandler | FakeResponse): FakeRoute {
    const names: string[] = [];
    const source = pattern
      .replace(/\/+$/, '')
      .split('/')
      .map((segment) => {
        if (segment.startsWith(':')) {
          names.push(segment.slice(1));
          return '([^/]+)';
        }
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    const route: CompiledRoute = {
      method: method.toUpperCase(),
      pattern,
      calls: [],
      regex: new RegExp(`^${source}/?$`),
      names,
      handler: typeof handler === 'function' ? handler : () => handler,
    };
    this.routes.unshift(route);
    return route;
  }

  /** Shorthand for a route that always answers `body` as JSON with `status`. */
  json(method: string, pattern: string, body: unknown, status = 200): FakeRoute {
    return this.on(method, pattern, { status, body });
  }

  /** Serves git smart-HTTP paths (`/<owner>/<repo>.git/...`) of this host from `server`. */
  mountGit(server: GitHttpServer): void {
    this.git = server;
  }

  /** Listens on 127.0.0.1 (a free port); returns the API base URL. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.apiUrl;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  /** `127.0.0.1:<port>`: the value for `GHE_HOST`. */
  get host(): string {
    if (this.port === undefined) throw new Error('FakeGitHub is not started');
    return `127.0.0.1:${this.port}`;
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return `http://${this.host}`;
  }

  /** The API base URL for Octokit's `baseUrl`. */
  get apiUrl(): string {
    return `${this.url}${this.apiPrefix}`;
  }

  /**
   * Throws, listing them, if any request was unexpected. Call it at the end of each test (e.g. in
   * `afterEach`). The list is emptied either way, so one test's stray request does not fail the next.
   */
  assertNoUnexpected(): void {
    if (this.unexpected.length === 0) return;
    const lines = this.unexpected.splice(0).map((r) => `  ${r.method} ${r.url} → ${r.status} (${r.reason})`);
    throw new Error(`FakeGitHub received unexpected requests:\n${lines.join('\n')}`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (this.git && GitHttpServer.isGitPath(url.pathname)) {
      await this.git.handle(req, res, url.pathname);
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const record: RecordedApiRequest = { method, url: url.pathname + url.search, status: 0 };
    this.requests.push(record);
    const reject = (status: number, reason: string) => {
      record.status = status;
      this.unexpected.push({ ...record, reason });
      send(res, status, { message: `FakeGitHub: ${reason}` });
    };

    const body = await readBody(req);
    if (this.apiPrefix && url.pathname !== this.apiPrefix && !url.pathname.startsWith(`${this.apiPrefix}/`)) {
      return reject(599, `not under the API prefix ${this.apiPrefix}`);
    }
    if (this.token !== undefined) {
      const match = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      if (match?.[1] !== this.token) return reject(401, 'missing or wrong API token');
    }
    const apiPath = url.pathname.slice(this.apiPrefix.length) || '/';
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const match = route.regex.exec(apiPath);
      if (!match) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, index) => (params[name] = decodeURIComponent(match[index + 1])));
      const request: FakeRequest = { method, path: apiPath, params, query: url.searchParams, headers: req.headers, body };
      route.calls.push(request);
      record.route = `${route.method} ${route.pattern}`;
      let response: FakeResponse;
      try {
        response = await route.handler(request);
      } catch (error) {
        return reject(500, `handler of ${record.route} threw: ${(error as Error).message}`);
      }
      if (response.hang) return; // answered by stop() closing the connection
      record.status = response.status ?? 200;
      send(res, record.status, response.body, response.headers);
      return;
    }
    reject(599, 'no route registered for this request');
  }
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}
