import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A child process running one of this folder's scripts from source, as a deployment runs a server. */
export interface Child {
  process: ChildProcess;
  /** The first line printed that matched. */
  line: string;
  /** Everything it printed, for a failure's message. */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `script` (a file of this folder) with `env`, resolving once it prints a line matching `ready`.
 * The packages run from source, unless `built` (their `dist`, as a deployment runs them).
 */
export function start(
  script: string,
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 60_000,
  built = false,
): Promise<Child> {
  const file = fileURLToPath(new URL(script, import.meta.url));
  const conditions = built ? [] : ['--conditions=@license-contacts/source'];
  const child = spawn(process.execPath, [...conditions, '--import', 'tsx', file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const handle = {
    process: child,
    line: '',
    output: () => output,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not get ready:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = output.split('\n').find((line) => ready.test(line));
      if (match !== undefined) {
        clearTimeout(timer);
        handle.line = match;
        resolve(handle);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}
