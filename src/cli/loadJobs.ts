import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isOptionError } from '../errors/OptionError.js';
import type { Warden } from '../runtime/createWarden.js';
import type { JobSpec } from '../runtime/jobSpec.js';
import { CliError } from './CliError.js';

/** What a `--jobs` module exports (default export, or `jobs`): the job specs, or a function that defines them on a warden. */
export type JobsModuleExport = JobSpec<never>[] | JobSpec<never> | ((warden: Warden) => void | Promise<void>);

const SHAPE = 'export default an array of job specs (the objects you pass to warden.defineJob), or a function (warden) => { warden.defineJob(...) }';

/** Imports the `--jobs` module and defines its jobs on `warden`. Returns the ids defined. Bad modules are CliErrors (exit 2) naming the flag. */
export async function loadJobs(target: Warden, file: string): Promise<string[]> {
  const ids: string[] = [];
  const warden: Warden = {
    ...target,
    defineJob(spec) {
      target.defineJob(spec);
      ids.push(spec.id);
    },
  };
  const path = resolve(file);
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) {
    throw new CliError(`--jobs ${file}: no such file (${path}): pass the module that defines your jobs (${SHAPE})`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`--jobs ${file} failed to load: ${err instanceof Error ? err.message : String(err)}`);
  }
  const exported = (mod['default'] ?? mod['jobs']) as unknown;
  try {
    if (typeof exported === 'function') await (exported as (w: Warden) => unknown)(warden);
    else if (Array.isArray(exported)) for (const spec of exported) warden.defineJob(spec as JobSpec<unknown>);
    else if (exported !== null && typeof exported === 'object') warden.defineJob(exported as JobSpec<unknown>);
    else throw new CliError(`--jobs ${file} exports no jobs: ${SHAPE}`);
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (isOptionError(err)) throw new CliError(`--jobs ${file}: ${err.message}`);
    throw new CliError(`--jobs ${file} failed while defining its jobs: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (ids.length === 0) throw new CliError(`--jobs ${file} defined no job: ${SHAPE}`);
  return ids;
}
