// Keys, values and control cells shared by shared_table_workers_test.ts and its Workers, so both
// sides derive the same bytes from a key's id.

/** Bytes of a key: the id, then a mix of it, so keys differ in both words. */
export const KEY_SIZE = 8;
/** Bytes of a value. */
export const VALUE_SIZE = 64;

/** Writes the key of `id` into `out` (8 bytes). */
export function keyInto(id: number, out: Uint8Array): Uint8Array {
  const mix = Math.imul(id, 0x9e3779b1) >>> 0;
  out[0] = id;
  out[1] = id >>> 8;
  out[2] = id >>> 16;
  out[3] = id >>> 24;
  out[4] = mix;
  out[5] = mix >>> 8;
  out[6] = mix >>> 16;
  out[7] = mix >>> 24;
  return out;
}

/** A fresh key for `id`. */
export function keyOf(id: number): Uint8Array {
  return keyInto(id, new Uint8Array(KEY_SIZE));
}

/** The id a key was made from, or -1 when the key is not one of ours. */
export function idOf(key: Uint8Array): number {
  const id = (key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24) >>> 0;
  const mix = (key[4]! | key[5]! << 8 | key[6]! << 16 | key[7]! << 24) >>> 0;
  return mix === Math.imul(id, 0x9e3779b1) >>> 0 ? id : -1;
}

/** Writes the value of `id` (generation `gen`) into `out`: 64 bytes no two ids share. */
export function valueInto(id: number, out: Uint8Array, gen = 0): Uint8Array {
  for (let j = 0; j < VALUE_SIZE; j++) out[j] = (id * 7 + j * 13 + (id >>> 8) + gen * 101) & 0xff;
  return out;
}

/** Whether `v` is the value of `id` of some generation (0..255). */
export function isValueOf(id: number, v: Uint8Array): number | undefined {
  // The first byte fixes the generation; every other byte must follow from it.
  const gen0 = (v[0]! - (id * 7 + (id >>> 8))) & 0xff;
  for (let gen = 0; gen < 256; gen++) {
    if (((gen * 101) & 0xff) !== gen0) continue;
    let ok = true;
    for (let j = 1; j < VALUE_SIZE && ok; j++) {
      ok = v[j] === ((id * 7 + j * 13 + (id >>> 8) + gen * 101) & 0xff);
    }
    return ok ? gen : undefined;
  }
  return undefined;
}

/** Whether all bytes of `v` are equal: a fill write read whole. */
export function isWhole(v: Uint8Array): boolean {
  const first = v[0];
  for (let j = 1; j < v.length; j++) if (v[j] !== first) return false;
  return true;
}

// Cells of the control Int32Array (a SharedArrayBuffer) the test and its Workers share.
/** Workers that finished their part (inserters add 1 when done). */
export const CTL_DONE = 0;
/** Set to 1 to stop the loops that run "until stopped". */
export const CTL_STOP = 1;
/** Set by a Worker when it reached the hook step it blocks at. */
export const CTL_BLOCKED = 2;
/** Progress of a Worker's write loop (operations done). */
export const CTL_PROGRESS = 3;
/** Set to 1 to have a write loop park at its next hook step or operation (see CTL_PARKED). */
export const CTL_KILL = 4;
/** Set by a write loop when it parked for good (it writes nothing more). */
export const CTL_PARKED = 5;
/** Cells in a control array. */
export const CTL_CELLS = 8;

/** A fresh control array. */
export function control(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(CTL_CELLS * 4));
}
