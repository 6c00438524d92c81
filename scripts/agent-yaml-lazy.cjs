// Used only in the agent bundle, in place of `yaml`: the YAML library is
// evaluated on first use, not at every boot (most contexts hold no YAML, and
// loading it costs about 10 ms of the agent's start).
let yaml;
const real = () => (yaml ??= require('yaml'));
exports.parseDocument = (...args) => real().parseDocument(...args);
exports.stringify = (...args) => real().stringify(...args);
