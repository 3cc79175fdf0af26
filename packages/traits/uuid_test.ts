import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatUuid, parseUuid } from "./uuid.ts";

describe("UUID text form", () => {
  it("round-trips UUIDs", () => {
    fc.assert(fc.property(fc.uuid(), (id) => assert.equal(formatUuid(parseUuid(id)), id)));
    assert.throws(() => parseUuid("123e4567-e89b-12d3-a456-42661417400"), { code: "EINVAL" });
    assert.throws(() => formatUuid(new Uint8Array(15)), { code: "EINVAL" });
  });
});
