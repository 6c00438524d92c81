#!/usr/bin/env node
import { prepareContextProgram, runProgram } from '../dist/index.js';

process.exitCode = await runProgram(prepareContextProgram(), process.argv.slice(2));
