import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, tempStore, warden } from './cliHelpers.js';
import { spawnHost } from './hostProcess.js';

// Bad files and bad flags: exit code 2, and a message on stderr that names the file or the flag and the fix.

let t: ReturnType<typeof tempStore>;
beforeAll(async () => {
  t = tempStore();
  const h = spawnHost(fixturePath('cliHost.mjs'), [t.path, 'grid']); // a real store with 3 letters
  expect((await h.exited).code, h.stderr()).toBe(0);
});
afterAll(() => t.cleanup());

const readers: string[][] = [['status'], ['runs'], ['dlq', 'list'], ['dlq', 'show', '1'], ['dlq', 'purge', '--all'], ['dlq', 'replay', '--jobs', fixturePath('cliJobs.mjs'), '--job', 'grid']];

describe('a store file that is missing, not SQLite, not a Warden store, or newer', () => {
  it.each(readers)('%s … on a missing file: exit 2, the file named, --db suggested; no file created', async (...cmd) => {
    const missing = join(t.dir, 'nope.db');
    const r = await warden(...cmd, '--db', missing);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`warden: no store file at ${missing}: pass --db <file>`);
    expect(r.stdout).toBe('');
    expect((await warden('status', '--db', missing)).code).toBe(2); // still missing: nothing created it
  });

  it('a file that is not SQLite: exit 2', async () => {
    const junk = join(t.dir, 'junk.db');
    writeFileSync(junk, 'not a database, just text that is long enough to have a header '.repeat(4));
    const r = await warden('status', '--db', junk);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${junk} is not a SQLite database: pass --db <file>`);
  });

  it('a SQLite file of another application: exit 2, and purge leaves it untouched', async () => {
    const foreign = join(t.dir, 'foreign.db');
    const d = new Database(foreign);
    d.exec('CREATE TABLE dead_letters (id INTEGER PRIMARY KEY)');
    d.exec('INSERT INTO dead_letters VALUES (1)');
    d.close();
    for (const cmd of [['status'], ['dlq', 'purge', '--all']]) {
      const r = await warden(...cmd, '--db', foreign);
      expect(r.code, `${cmd.join(' ')}: ${r.stderr}${r.stdout}`).toBe(2);
      expect(r.stderr).toContain(`${foreign} is not a Warden store`);
    }
    const check = new Database(foreign, { readonly: true });
    expect(check.prepare('SELECT count(*) AS n FROM dead_letters').get()).toEqual({ n: 1 });
    check.close();
  });

  it('a store with a newer schema: exit 2, "upgrade Warden"', async () => {
    const newer = join(t.dir, 'newer.db');
    copyFileSync(t.path, newer);
    const d = new Database(newer);
    d.pragma('user_version = 999');
    d.close();
    const r = await warden('dlq', 'list', '--db', newer);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has store schema version 999, but this Warden knows versions up to \d+: upgrade Warden/);
  });

  it('a directory: exit 2', async () => {
    const r = await warden('runs', '--db', t.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${t.dir} is not a file`);
  });

  it('no --db and WARDEN_STORE=memory (as under this test runner): exit 2, --db suggested', async () => {
    const r = await warden('status');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/WARDEN_STORE is "memory", which is no file another process can read: pass --db <file>/);
  });
});

describe('bad flags: exit 2, the flag named with the fix', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['--limit 0', ['dlq', 'list', '--limit', '0'], /option '--limit <n>' argument '0' is invalid\. Pass an integer from 1 to 1000/],
    ['--limit abc on runs', ['runs', '--limit', 'abc'], /option '--limit <n>' argument 'abc' is invalid/],
    ['--reason nope', ['dlq', 'list', '--reason', 'nope'], /option '--reason <reason>' argument 'nope' is invalid\. Pass one of: timeout, error, crash/],
    ['--cursor junk', ['dlq', 'list', '--cursor', 'junk'], /--cursor "junk" is not a cursor from `warden dlq list`/],
    ['show without an id', ['dlq', 'show'], /missing required argument 'id'/],
    ['show x', ['dlq', 'show', 'x'], /value 'x' is invalid for argument 'id'\. Pass a dead-letter id, a positive integer/],
    ['purge without a filter', ['dlq', 'purge'], /dlq purge needs a filter: pass at least one of --job, --run, --reason, --ids/],
    ['purge --all with a filter', ['dlq', 'purge', '--all', '--job', 'grid'], /--all deletes every letter: pass it alone/],
    ['purge --ids 1,x', ['dlq', 'purge', '--ids', '1,x'], /option '--ids <ids>' argument '1,x' is invalid\. Pass dead-letter ids as positive integers/],
    ['purge --before yesterday', ['dlq', 'purge', '--before', 'yesterday'], /option '--before <time>' argument 'yesterday' is invalid\. Pass an ISO date/],
    ['purge --replayed --not-replayed', ['dlq', 'purge', '--replayed', '--not-replayed'], /option '--replayed' cannot be used with option '--not-replayed'/],
    ['replay without --jobs', ['dlq', 'replay', '--job', 'grid'], /required option '--jobs <module>' not specified/],
    ['replay without --job or --ids', ['dlq', 'replay', '--jobs', fixturePath('cliJobs.mjs')], /dlq replay needs --job <id> \(its letters not replayed yet\) or --ids <ids>/],
    ['replay --job and --ids', ['dlq', 'replay', '--jobs', fixturePath('cliJobs.mjs'), '--job', 'grid', '--ids', '1'], /option '--job <id>' cannot be used with option '--ids <ids>'/],
    ['replay --jobs of a missing module', ['dlq', 'replay', '--jobs', 'nowhere.mjs', '--job', 'grid'], /--jobs nowhere\.mjs: no such file .*: pass the module that defines your jobs \(export default an array of job specs/],
    ['replay --jobs of a module without jobs', ['dlq', 'replay', '--jobs', fixturePath('noDefault.mjs'), '--job', 'grid'], /exports no jobs: export default an array of job specs/],
    ['replay --job of a job the module does not define', ['dlq', 'replay', '--jobs', fixturePath('cliJobs.mjs'), '--job', 'nightly'], /--job nightly: selection\.jobId names no defined job .*\(.*cliJobs\.mjs defines: grid, held\)/],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const r = await warden(...args, '--db', t.path);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('none of them changed the store: its 3 letters are still there, none replayed', async () => {
    const r = await warden('dlq', 'list', '--db', t.path, '--json');
    const page = JSON.parse(r.stdout) as { items: Array<{ replayedAt?: string }> };
    expect(page.items).toHaveLength(3);
    expect(page.items.every((l) => l.replayedAt === undefined)).toBe(true);
  });
});

describe('not found: exit 1', () => {
  it('dlq show of an id with no letter, runs of an unknown run id, replay --ids of a missing letter', async () => {
    const show = await warden('dlq', 'show', '999', '--db', t.path);
    expect(show.code).toBe(1);
    expect(show.stderr).toContain(`no dead letter 999 in ${t.path}`);
    const run = await warden('runs', 'grid#none.1', '--db', t.path, '--json');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({ error: `no run grid#none.1 in ${t.path}: see \`warden runs\` for the run ids` });
    const replay = await warden('dlq', 'replay', '--jobs', fixturePath('cliJobs.mjs'), '--ids', '1,999', '--db', t.path);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toContain('--ids: no dead letter 999');
  });
});
