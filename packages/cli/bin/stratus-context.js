#!/usr/bin/env node
import { stratusContextProgram, runProgram } from '../dist/index.js';

process.exitCode = await runProgram(stratusContextProgram(), process.argv.slice(2));
