import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { finished, PassThrough, Writable, type Readable } from 'node:stream';
import { log } from '../log.ts';

/**
 * Starts the short-lived programs we run (git). Node starts a child with `fork()` + `exec()`, and a
 * fork costs in proportion to the parent's memory: the page tables are copied (~25 ms per spawn from
 * a 1 GB process here), and every page of the parent becomes copy-on-write, so each one the parent
 * writes afterwards faults once more (~11 µs a page on this VM; 200 MB written after one spawn: 51,000
 * faults, 0.75 s). The app's index worker is such a process after its first full index, and an update
 * spawns git five times. So once this process is large, programs are started by a small helper
 * process instead (started once, when first needed, and kept): its forks are cheap, and this process
 * is never forked again. The helper relays the program's output; callers see the same streams and
 * events as from `child_process.spawn`.
 */

export interface LaunchOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** `pipe`: the caller writes the program's input (and ends it); `ignore`: the program reads nothing. */
  stdin: 'pipe' | 'ignore';
}

/** What callers use of a started program: the parts of `ChildProcess` we need, from either launcher. */
export interface Launched {
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Present when launched with `stdin: 'pipe'`. */
  readonly stdin: Writable | null;
  /** Null until the program has ended. */
  readonly exitCode: number | null;
  kill(signal?: NodeJS.Signals): boolean;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'close', listener: (code: number | null) => void): this;
}

/** Above this resident size programs are started through the helper (see above). */
const HELPER_ABOVE_BYTES = 256 * 1024 * 1024;
let helperAboveBytes = HELPER_ABOVE_BYTES;

/** Sets the resident size above which the helper starts programs (tests: 0, always). Returns the previous one. */
export function setHelperThreshold(bytes: number): number {
  const previous = helperAboveBytes;
  helperAboveBytes = bytes;
  return previous;
}

let helper: SpawnHelper | undefined;

/** Starts `command` with `args`, directly while this process is small, through the helper once it is large. */
export function launch(command: string, args: string[], options: LaunchOptions & { stdin: 'pipe' }): Launched & { readonly stdin: Writable };
export function launch(command: string, args: string[], options: LaunchOptions): Launched;
export function launch(command: string, args: string[], options: LaunchOptions): Launched {
  if (process.memoryUsage.rss() <= helperAboveBytes) {
    return spawn(command, args, { cwd: options.cwd, env: options.env, stdio: [options.stdin, 'pipe', 'pipe'] }) as ChildProcess & Launched;
  }
  startHelper();
  return helper!.launch(command, args, options);
}

/**
 * Starts the helper now, while this process is still small (its own start is then a cheap fork):
 * for a process that will grow large and run programs all its life, as the app's workers do.
 */
export function startHelper(): void {
  if (!helper || helper.dead) helper = new SpawnHelper();
}

/** The helper's process id, when one runs. */
export function helperPid(): number | undefined {
  return helper && !helper.dead ? helper.pid : undefined;
}

/** Stops the helper, if one runs (it also stops by itself when this process exits). */
export function stopHelper(): void {
  helper?.stop();
  helper = undefined;
}

/** The helper's frames to us: u32 id, u8 kind, u32 length (little-endian), then the payload. */
const FRAME_HEADER = 9;
const enum FrameKind {
  Stdout = 1,
  Stderr = 2,
  /** JSON `{ code, signal }`. */
  Close = 3,
  /** The start failed: the error's message. */
  Error = 4,
}

/**
 * The helper: plain JavaScript run with `node -e`, so it starts in a few tens of milliseconds. It
 * reads JSON lines (`spawn`, `write`, `end`, `kill`) and answers with frames. When we go away (its
 * stdin ends) it stops its programs and exits.
 */
const HELPER_SOURCE = String.raw`
const { spawn } = require('node:child_process');
const procs = new Map();
function frame(id, kind, payload) {
  const header = Buffer.alloc(9);
  header.writeUInt32LE(id, 0);
  header.writeUInt8(kind, 4);
  header.writeUInt32LE(payload.length, 5);
  process.stdout.write(Buffer.concat([header, payload]));
}
function handle(message) {
  const proc = procs.get(message.id);
  if (message.op === 'spawn') {
    let child;
    try {
      child = spawn(message.command, message.args, { cwd: message.cwd, env: message.env, stdio: [message.stdin, 'pipe', 'pipe'] });
    } catch (error) {
      frame(message.id, 4, Buffer.from(String(error && error.message)));
      frame(message.id, 3, Buffer.from(JSON.stringify({ code: null, signal: null })));
      return;
    }
    procs.set(message.id, child);
    if (child.stdin) child.stdin.on('error', () => undefined);
    child.stdout.on('data', (chunk) => frame(message.id, 1, chunk));
    child.stderr.on('data', (chunk) => frame(message.id, 2, chunk));
    child.on('error', (error) => frame(message.id, 4, Buffer.from(String(error && error.message))));
    child.on('close', (code, signal) => {
      procs.delete(message.id);
      frame(message.id, 3, Buffer.from(JSON.stringify({ code, signal })));
    });
  } else if (!proc) {
    return;
  } else if (message.op === 'write') {
    if (proc.stdin) proc.stdin.write(message.data);
  } else if (message.op === 'end') {
    if (proc.stdin) proc.stdin.end();
  } else if (message.op === 'kill') {
    proc.kill(message.signal);
  }
}
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => {
  pending += text;
  let newline;
  while ((newline = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, newline);
    pending = pending.slice(newline + 1);
    if (line) handle(JSON.parse(line));
  }
});
process.stdin.on('end', () => {
  for (const child of procs.values()) child.kill();
  process.exit(0);
});
`;

/** One long-lived helper process and the programs it runs for us. */
class SpawnHelper {
  dead = false;
  private readonly child: ChildProcess;
  private readonly running = new Map<number, HelperProcess>();
  private nextId = 1;
  private buffered: Buffer = Buffer.alloc(0);
  /** Programs whose reader is behind: the helper's output is paused until they drain. */
  private readonly behind = new Set<HelperProcess>();

  constructor() {
    this.child = spawn(process.execPath, ['-e', HELPER_SOURCE], { stdio: ['pipe', 'pipe', 'pipe'] });
    const fail = (why: string) => {
      if (this.dead) return;
      this.dead = true;
      log.warn({ why }, 'the process helper stopped; the next program starts a new one');
      for (const proc of this.running.values()) proc.fail(new Error(`the process helper stopped (${why})`));
      this.running.clear();
    };
    this.child.on('error', (error) => fail(error.message));
    this.child.on('close', (code, signal) => fail(`exit ${code ?? signal}`));
    this.child.stdin!.on('error', (error) => fail(error.message));
    this.child.stderr!.on('data', (chunk: Buffer) => log.debug({ output: chunk.toString('utf8').trim() }, 'process helper said'));
    this.child.stdout!.on('data', (chunk: Buffer) => this.receive(chunk));
    this.idle();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  launch(command: string, args: string[], options: LaunchOptions): HelperProcess {
    const id = this.nextId++;
    const proc = new HelperProcess(this, id, options.stdin === 'pipe');
    this.running.set(id, proc);
    this.busy();
    this.send({ op: 'spawn', id, command, args, cwd: options.cwd, env: options.env, stdin: options.stdin });
    return proc;
  }

  send(message: Record<string, unknown>): void {
    if (this.dead) return;
    this.child.stdin!.write(`${JSON.stringify(message)}\n`);
  }

  stop(): void {
    this.dead = true;
    this.child.stdin!.end();
  }

  /** Called by a program whose reader fell behind, and when it caught up. */
  setBehind(proc: HelperProcess, behind: boolean): void {
    if (behind) this.behind.add(proc);
    else this.behind.delete(proc);
    if (this.behind.size > 0) this.child.stdout!.pause();
    else this.child.stdout!.resume();
  }

  private receive(chunk: Buffer): void {
    const data = this.buffered.length > 0 ? Buffer.concat([this.buffered, chunk]) : chunk;
    let at = 0;
    while (data.length - at >= FRAME_HEADER) {
      const length = data.readUInt32LE(at + 5);
      if (data.length - at - FRAME_HEADER < length) break;
      const id = data.readUInt32LE(at);
      const kind = data.readUInt8(at + 4) as FrameKind;
      const payload = data.subarray(at + FRAME_HEADER, at + FRAME_HEADER + length);
      at += FRAME_HEADER + length;
      const proc = this.running.get(id);
      if (!proc) continue;
      if (kind === FrameKind.Close) {
        this.running.delete(id);
        // Nothing more comes for it: the other programs' output must not wait on its reader.
        this.setBehind(proc, false);
        const { code } = JSON.parse(payload.toString('utf8')) as { code: number | null };
        proc.close(code);
        if (this.running.size === 0) this.idle();
      } else proc.deliver(kind, payload);
    }
    this.buffered = data.subarray(at);
  }

  /** Nothing running: the helper must not keep this process alive. */
  private idle(): void {
    this.child.unref();
    (this.child.stdout as unknown as { unref?: () => void }).unref?.();
    (this.child.stdin as unknown as { unref?: () => void }).unref?.();
    (this.child.stderr as unknown as { unref?: () => void }).unref?.();
  }

  private busy(): void {
    this.child.ref();
    (this.child.stdout as unknown as { ref?: () => void }).ref?.();
  }
}

/** A program the helper runs for us, with `ChildProcess`'s streams and events. */
class HelperProcess extends EventEmitter implements Launched {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin: Writable | null;
  exitCode: number | null = null;
  private closed = false;

  constructor(
    private readonly helper: SpawnHelper,
    private readonly id: number,
    withInput: boolean,
  ) {
    super();
    this.stdin = withInput
      ? new Writable({
          write: (chunk: Buffer | string, _encoding, done) => {
            helper.send({ op: 'write', id, data: chunk.toString() });
            done();
          },
          final: (done) => {
            helper.send({ op: 'end', id });
            done();
          },
        })
      : null;
    this.stdout.on('drain', () => helper.setBehind(this, false));
    // A reader that stopped early (it destroyed the stream) holds nothing up.
    this.stdout.on('close', () => helper.setBehind(this, false));
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.closed) return false;
    this.helper.send({ op: 'kill', id: this.id, signal });
    return true;
  }

  deliver(kind: FrameKind, payload: Buffer): void {
    if (kind === FrameKind.Stdout) {
      if (this.stdout.destroyed) return;
      if (!this.stdout.write(payload)) this.helper.setBehind(this, true);
    } else if (kind === FrameKind.Stderr) this.stderr.write(payload);
    else if (kind === FrameKind.Error) this.emit('error', new Error(payload.toString('utf8')));
  }

  close(code: number | null): void {
    if (this.closed) return;
    this.closed = true;
    this.exitCode = code;
    let open = 2;
    // 'close' once both streams are done (read to the end, or destroyed by a reader that stopped), as from a child process.
    const ended = () => {
      open -= 1;
      if (open === 0) this.emit('close', code);
    };
    for (const stream of [this.stdout, this.stderr]) {
      finished(stream, ended);
      if (!stream.destroyed) stream.end();
    }
    // A stderr nobody reads never ends (and 'close' would never come): let it flow.
    if (this.stderr.listenerCount('data') === 0) this.stderr.resume();
  }

  /** The helper stopped before the program ended. */
  fail(error: Error): void {
    this.emit('error', error);
    this.close(null);
  }
}
