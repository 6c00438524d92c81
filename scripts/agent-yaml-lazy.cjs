// Used only in the agent bundle, in place of `yaml`: the YAML library is
// evaluated on first use, not at every boot (most contexts hold no YAML, and
// loading it costs about 10 ms of the agent's start). Each name the project
// imports from `yaml` is a getter here (classes too: `new Lexer()` needs the
// real class); a name missing from this list is undefined in the bundle.
let yaml;
const real = () => (yaml ??= require('yaml'));
for (const name of ['CST', 'Composer', 'Lexer', 'Parser', 'isAlias', 'isCollection', 'parseDocument', 'stringify', 'visit']) {
  Object.defineProperty(exports, name, { enumerable: true, get: () => real()[name] });
}
