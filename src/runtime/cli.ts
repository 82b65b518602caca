#!/usr/bin/env node
// The `warden` binary (package.json "bin"). The commands live in src/cli; see docs/cli.md.
import { runCli } from '../cli/runCli.js';

process.exitCode = await runCli(process.argv.slice(2));
