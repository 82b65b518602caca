/**
 * The `warden` command's exit codes (documented in docs/cli.md):
 * - 0 `ok`: the command did what it was asked (a replay: every letter succeeded);
 * - 1 `failed`: it ran but failed (a letter or run not found, a replay with letters failing again or skipped);
 * - 2 `usage`: bad usage (an unknown command or flag, a bad flag value), or a store file that is missing or not a Warden store.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
