import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI, run as a user runs it (npm test builds first). */
export const CLI = fileURLToPath(new URL('../dist/runtime/cli.js', import.meta.url));
export const fixturePath = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/runtime/cli.js ...args` and resolves when it exits. */
export function warden(...args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `warden ...args --json`, expecting exit 0: the parsed output. */
export async function wardenJson<T = unknown>(...args: string[]): Promise<T> {
  const r = await warden(...args, '--json');
  if (r.code !== 0) throw new Error(`warden ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as T;
}

/** A fresh temp dir with a store path in it; `cleanup()` removes it. */
export function tempStore(): { dir: string; path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'warden-cli-'));
  return { dir, path: join(dir, 'warden.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
