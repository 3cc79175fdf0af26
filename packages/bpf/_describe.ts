/**
 * The `describe()` drawing of a {@linkcode BpfMap}: what the kernel says about the map.
 *
 * @module
 */

import type { BpfMap } from "./bpf_map.ts";

// `enum bpf_map_type` names of the types a BpfMap opens.
const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: "BPF_MAP_TYPE_HASH",
  2: "BPF_MAP_TYPE_ARRAY",
  9: "BPF_MAP_TYPE_LRU_HASH",
  11: "BPF_MAP_TYPE_LPM_TRIE",
};
// `map_flags` bits worth naming.
const FLAG_NAMES: readonly [number, string][] = [
  [1, "BPF_F_NO_PREALLOC"],
  [1 << 6, "BPF_F_ZERO_SEED"],
  [1 << 10, "BPF_F_MMAPABLE"],
];

/**
 * Draws the map as BPF_OBJ_GET_INFO_BY_FD and fdinfo show it.
 *
 * @param map The map.
 * @returns Annotated text.
 */
export function describe(map: BpfMap): string {
  const info = map.info();
  const fdinfo = map.fdinfo();
  const flags = FLAG_NAMES.filter(([bit]) => (info.mapFlags & bit) !== 0).map(([, n]) => n);
  const lines = [
    `bpf map '${info.name}' id ${info.id} (fd ${map.fd}): ${
      TYPE_NAMES[info.type] ?? `type ${info.type}`
    }`,
    `  key_size ${info.keySize}  value_size ${info.valueSize}  max_entries ${info.maxEntries}`,
    `  map_flags 0x${info.mapFlags.toString(16)}${
      flags.length > 0 ? ` (${flags.join(" | ")})` : ""
    }`,
  ];
  if (map.bucketCount !== undefined) {
    lines.push(`  n_buckets ${map.bucketCount} (the batch cursor: a u32 bucket index)`);
  }
  if (info.btfId !== 0) lines.push(`  btf_id ${info.btfId}`);
  const memlock = fdinfo.get("memlock");
  if (memlock !== undefined) lines.push(`  memlock ${memlock} bytes (the kernel's accounting)`);
  lines.push(`  entries ${map.size}`);
  return lines.join("\n");
}
