import { runAgent } from './cli.js';
import { VERSION } from './version.js';

process.exitCode = await runAgent(process.argv.slice(2), VERSION);
