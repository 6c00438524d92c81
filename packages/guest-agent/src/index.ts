/**
 * The in-guest agent: finds the context (a disk read directly, a directory),
 * decodes it into the one Context model, and applies it. This release holds
 * the decoding entry point; sources and actions follow.
 */
export { decodeCloudInitKeyValues as decodeKeyValueContext } from '@stratus-context/core';
