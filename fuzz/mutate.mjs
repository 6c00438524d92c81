/**
 * Input generation: a seedable random source, and the mutations applied to
 * seeds (fixtures and our own encoders' output). Everything here works on
 * bytes; targets add what knows their structure (tokens of their syntax,
 * generators of deep nesting, wrappers of an inner format).
 */

/** sfc32: small, fast, and the same sequence for the same `--seed`. */
export function random(seed) {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  const rng = {
    /** An integer in [0, n). */
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
    /** A size: mostly small, sometimes up to `max` (log-uniform). */
    size: (max) => Math.min(max, Math.floor(Math.exp(next() * Math.log(max + 1))) - 1 + rng.int(2)),
  };
  return rng;
}

const encoder = new TextEncoder();
export const bytes = (s) => (typeof s === 'string' ? encoder.encode(s) : s);

const concat = (parts) => Buffer.concat(parts);

/** Bytes that mean something to most of our formats. */
const INTERESTING = [0, 0x0a, 0x0d, 0x20, 0x09, 0x22, 0x27, 0x5c, 0x3d, 0x23, 0x24, 0x2f, 0x7b, 0x5b, 0x3a, 0x2d, 0x7f, 0x80, 0xc3, 0xff];
/** Characters repeated into long runs: the inputs of quadratic scans. */
const RUN_CHARS = [' ', '\t', '\n', '\r\n', '/', '=', '[', '{', '"', "'", '\\', '-', '#', ':', '0', 'A', '$', '${', '=\n', '%4', '\0'];

function insert(input, at, piece) {
  return concat([input.subarray(0, at), piece, input.subarray(at)]);
}

/** `piece` repeated to `n` bytes. */
export function repeatTo(piece, n) {
  const p = bytes(piece);
  if (p.length === 0) return new Uint8Array();
  const out = new Uint8Array(n);
  out.set(p.subarray(0, Math.min(p.length, n)));
  for (let have = p.length; have < n; have *= 2) out.copyWithin(have, 0, Math.min(have, n - have));
  return out;
}

/** One edit of `input`; `others` are inputs to splice from, `tokens` pieces of the target's syntax. */
function edit(rng, input, others, tokens, maxBytes) {
  const at = rng.int(input.length + 1);
  switch (rng.int(9)) {
    case 0: {
      if (input.length === 0) return input;
      const copy = input.slice();
      copy[rng.int(copy.length)] ^= 1 << rng.int(8);
      return copy;
    }
    case 1: {
      if (input.length === 0) return input;
      const copy = input.slice();
      copy[rng.int(copy.length)] = rng.pick(INTERESTING);
      return copy;
    }
    case 2:
      return insert(input, at, bytes(rng.pick(tokens)));
    case 3:
      return concat([input.subarray(0, at), input.subarray(Math.min(input.length, at + rng.size(64)))]);
    case 4: {
      const n = rng.size(256);
      return insert(input, at, input.slice(at, at + n));
    }
    case 5: {
      const other = rng.pick(others);
      return concat([input.subarray(0, at), other.subarray(rng.int(other.length + 1))]);
    }
    case 6: {
      // A slice of the input repeated to a large size.
      const piece = input.slice(at, at + 1 + rng.size(32));
      return insert(input, at, repeatTo(piece, rng.size(maxBytes)));
    }
    case 7:
      return insert(input, at, repeatTo(rng.pick(RUN_CHARS), rng.size(maxBytes)));
    default: {
      const copy = input.slice();
      for (let k = rng.int(8); k > 0 && copy.length > 0; k--) copy[rng.int(copy.length)] = rng.int(256);
      return copy;
    }
  }
}

export function mutate(rng, seed, others, tokens, maxBytes) {
  let out = seed;
  for (let n = 1 + rng.size(7); n > 0; n--) {
    out = edit(rng, out, others, tokens, maxBytes);
    if (out.length > maxBytes) out = out.subarray(0, maxBytes);
  }
  return out;
}

export function randomBytes(rng, maxBytes) {
  const out = new Uint8Array(rng.size(Math.min(maxBytes, 64 * 1024)));
  for (let i = 0; i < out.length; i++) out[i] = rng.int(256);
  return out;
}

export function tokenSoup(rng, tokens, maxBytes) {
  const parts = [];
  let n = 0;
  for (let k = 1 + rng.size(200); k > 0 && n < maxBytes; k--) {
    const t = bytes(rng.pick(tokens));
    parts.push(t);
    n += t.length;
  }
  return concat(parts).subarray(0, maxBytes);
}

/** `open` n times, `middle`, `close` n times: the shape of deep nesting. */
export function nested(open, middle, close, n) {
  return concat([repeatTo(open, bytes(open).length * n), bytes(middle), repeatTo(close, bytes(close).length * n)]);
}

/**
 * One input for a target (`seeds`, `tokens`, `generators`, `wrap` already
 * made): a mix of seed mutations, random bytes, token soups, the target's
 * generators and wrapped inner inputs.
 */
export function nextInput(rng, target) {
  const { seeds, tokens, generators, wrap, maxBytes } = target;
  const r = rng.int(100);
  let input;
  if (r < 55) input = mutate(rng, rng.pick(seeds), seeds, tokens, maxBytes);
  else if (r < 65) input = randomBytes(rng, maxBytes);
  else if (r < 78) input = tokenSoup(rng, tokens, maxBytes);
  else if (r < 93 && generators.length > 0) {
    const made = rng.pick(generators)(rng, maxBytes);
    input = rng.chance(0.5) ? made : mutate(rng, made, seeds, tokens, maxBytes);
  }
  else if (r < 93 || wrap === undefined) input = mutate(rng, rng.pick(seeds), seeds, tokens, maxBytes);
  else input = wrap(rng);
  return input.length > maxBytes ? input.subarray(0, maxBytes) : input;
}
