/**
 * The in-guest agent: finds the context (a disk read directly, a seed
 * directory), decodes it into the one Context model, and applies it.
 */
export { applyContext, DEFAULT_SCRIPT_TIMEOUT_MS, LOG_DIR, type ApplyOptions, type ApplyReport, type ScriptReport } from './apply.js';
export { EXIT_APPLIED, EXIT_NOT_APPLIED, EXIT_SCRIPTS_FAILED, EXIT_USAGE, runAgent } from './cli.js';
export { APPLIED_KEYS, addCloudConfig, emptyCloudConfig, type CloudConfig, type WriteFile } from './cloud-config.js';
export { GuestRoot } from './guest-root.js';
export { installAgent } from './install.js';
export { planContext, safeName, type Frequency, type Plan, type ScriptPlan } from './plan.js';
export { renderApplyReport } from './render.js';
export { CONFIG_FILE, defaultConfig, loadConfig, MAX_DEVICE_WAIT_S, parseConfig, type AgentConfig } from './config.js';
export {
  candidateDevices,
  chooseDevices,
  DEVICE_POLL_MS,
  findContext,
  isReadOnlyDevice,
  LABEL_ORDER,
  labelledDevices,
  readVolumeId,
  SEED_DIRS,
  sniffLabel,
  type FindOptions,
  type FoundContext,
  type LabelledDevice,
} from './sources.js';
export { emptyState, loadState, STATE_DIR, STATE_FILE, type AgentState } from './state.js';
export {
  AGENT_FILE,
  INIT_SCRIPT_PATH,
  INSTALL_DIR,
  SCRIPTS_UNIT_NAME,
  SCRIPTS_UNIT_PATH,
  SCRIPTS_UNIT_WANTS,
  UNIT_NAME,
  UNIT_PATH,
  UNIT_WANTS,
  WRAPPER_PATH,
  agentBundlePath,
  installShellScript,
  systemdScriptsUnit,
  systemdUnit,
  sysvInitScript,
  wrapperScript,
} from './units.js';
export { VERSION } from './version.js';
