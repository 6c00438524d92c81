// Shared by the benchmarks: alternate rounds, medians, one ratio line each.
import { existsSync } from 'node:fs';

/** Seconds per measurement; BENCH_SECONDS overrides. */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

/** Debian's interpreter when present (the peer tools' own), else python3. */
export function peerPython() {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/** Runs each measurement `n` times, alternating, and returns the medians. */
export function rounds(n, measures) {
  const samples = Object.fromEntries(Object.keys(measures).map((k) => [k, []]));
  for (let i = 0; i < n; i++) for (const [k, fn] of Object.entries(measures)) samples[k].push(fn());
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.sort((a, b) => a - b)[Math.floor(v.length / 2)]]));
}

/** Prints the figures and the ratio ours/peer (higher is better), against the target when there is one. */
export function report(title, results, ours, peer, target) {
  console.log(`\n${title}`);
  for (const [k, v] of Object.entries(results)) console.log(`  ${k.padEnd(48)} ${v.toFixed(1)}`);
  const ratio = results[ours] / results[peer];
  const verdict = target === undefined ? '(no target)' : `(target: at least ${target}x) ${ratio >= target ? 'MET' : 'NOT MET'}`;
  console.log(`  ratio: ${ratio.toFixed(2)}x ${verdict}`);
  return ratio;
}
