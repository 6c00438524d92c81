export { nodeChildProcess, nodeCrypto, nodeZlib } from './builtins.js';
export { ContextError, corruptData, invalidInput, isContextError, overLimit, type ContextErrorInput, type ContextErrorKind } from './errors.js';
export { emptyContext, hasUserData, type Context, type ContextFile, type UserDataPart } from './model.js';
export { CLOUD_INIT_PART_SUBTYPES, isKnownPartType, normalizePartType, type PartTypeOptions } from './content-types.js';
export { isValidHostname } from './hostname.js';
export { expandPath, splitPairs, type ExpandEnv, type Pair, type SplitPairsOptions } from './pairs.js';
export { contextFromPairs, type BuiltContext, type PairInput } from './context-from-pairs.js';
export {
  PUBLIC_KEY_TYPES,
  dedupeKeys,
  formatAuthorizedKeys,
  formatPublicKey,
  parsePublicKeyFile,
  parsePublicKeyLine,
  type PublicKey,
} from './ssh-keys.js';
export {
  MAX_MULTIPART_DEPTH,
  MAX_MULTIPART_PARTS,
  buildMultipart,
  isMimeUserData,
  parseMultipart,
  type BuildMultipartOptions,
} from './multipart.js';
export {
  DEFAULT_MAX_USER_DATA_BYTES,
  buildUserData,
  compressUserData,
  decompressUserData,
  parseUserData,
  type CompressOptions,
  type DecompressOptions,
  type ParsedUserData,
} from './user-data.js';
export { DEFAULT_MAX_DECODED_BYTES, decodeBase64, encodeBase64, gunzipCapped, gzipDeterministic, isGzip } from './encoding.js';
export { formatKeyValue, parseKeyValues, type KeyValueEntry } from './key-values.js';
export {
  AUTHORIZED_KEYS,
  CONTEXT_METHOD,
  USER_DATA,
  decodeCloudInitKeyValues,
  encodeCloudInitKeyValues,
  type DecodeCloudInitOptions,
  type EncodeCloudInitOptions,
} from './cloud-init-kv.js';
export { DEFAULT_YAML_LIMITS, loadYaml, type LoadYamlOptions, type YamlLimits } from './yaml-safe.js';
export { MAX_SHELL_FILE_BYTES, encodeShellVariables, parseShellVariables, shellQuote, type ShellVariable } from './shell-vars.js';
export {
  CLOUD_INIT_TXT,
  CLOUD_INIT_VOLUME_ID,
  CONFIG_DRIVE_VOLUME_ID,
  CONTEXT_SH,
  EPILOG,
  FORMATS,
  FORMAT_NAMES,
  HEPIX_FIELD_VARIABLES,
  HEPIX_STUB,
  HEPIX_VOLUME_ID,
  META_DATA_FILE,
  META_DATA_JSON,
  NOCLOUD_VOLUME_ID,
  OPENNEBULA_FIELD_VARIABLES,
  OPENNEBULA_VOLUME_ID,
  PROLOG,
  ROOT_PUBKEY_FILE,
  USER_DATA_FILE,
  USER_DATA_PATH,
  decodeCloudInitDisk,
  decodeConfigDrive,
  decodeHepix,
  decodeNoCloud,
  decodeOpenNebula,
  derivedInstanceId,
  detectFormat,
  encodeCloudInitDisk,
  encodeConfigDrive,
  encodeHepix,
  encodeNoCloud,
  encodeOpenNebula,
  formatByName,
  formatOfVolumeId,
  openNebulaVariables,
  unrepresented,
  type ContextFiles,
  type ContextFormat,
  type DecodeOptions,
  type EncodeOptions,
  type FormatName,
} from './formats/index.js';
export {
  BLOCK_SIZE,
  DEFAULT_READ_LIMITS,
  DEFAULT_TIMESTAMP,
  IsoImage,
  bufferSource,
  encodeIso,
  isoDirectory,
  isoFile,
  isoTreeFromPaths,
  openIso,
  planIso,
  writeIso,
  writeIsoToBuffer,
  type IsoContent,
  type IsoContentSource,
  type IsoDirectoryEntry,
  type IsoEntry,
  type IsoEntryInput,
  type IsoFileEntry,
  type IsoPlan,
  type IsoRandomAccess,
  type IsoReadLimits,
  type IsoReadOptions,
  type IsoSymlinkEntry,
  type IsoWriteOptions,
} from './iso9660/index.js';
