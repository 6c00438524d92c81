// npm run bench: every benchmark, each printing ratios against a peer tool
// measured in the same run.
const benches = ['./cloud-init-context.mjs', './iso.mjs', './agent.mjs'];
for (const b of benches) await import(b);
