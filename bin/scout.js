#!/usr/bin/env node
// The CLI, from a bundle of the TypeScript sources built on first use (see load-cli.js), so a
// fresh clone needs no build step.
import process from 'node:process';
import { loadCli } from './load-cli.js';

const { main } = await loadCli();
await main(process.argv);
