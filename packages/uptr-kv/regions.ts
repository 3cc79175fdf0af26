/**
 * The shared regions of a store: what the owner hands to a program (for example with
 * `postMessage` to a Worker).
 *
 * @module
 */

/** A buffer the regions may live in: shared with Workers, or a plain one for a single thread. */
export type RegionBuffer = SharedArrayBuffer | ArrayBuffer;

/**
 * The three regions of one store. Every field is a buffer, so the object can be posted to a
 * Worker as is; `SharedArrayBuffer`s arrive shared, plain `ArrayBuffer`s arrive as copies.
 */
export interface UptrKvRegions {
  /** 1024 u32 metadata entries, indexed by key (4096 bytes). */
  readonly meta: RegionBuffer;
  /** The data pages, 4096 bytes each; growable, grown a page at a time by the owner. */
  readonly data: RegionBuffer;
  /** Header words and the per-key sequence counters (4128 bytes). */
  readonly control: RegionBuffer;
}
