#!/usr/bin/env node
/**
 * The `tokenpoll` command (the package's bin).
 * @internal
 * @module
 */
import { main } from './run.js';

process.exitCode = await main(process.argv.slice(2));
