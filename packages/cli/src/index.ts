export { prepareContextProgram } from './prepare-context.js';
export { stratusContextProgram } from './stratus-context.js';
export { describeContext, renderReport, type ContextReport, type PartReport, type PayloadReport } from './report.js';
export { EXIT_INTERNAL, EXIT_OK, EXIT_REFUSED, EXIT_USAGE, runProgram } from './run.js';
