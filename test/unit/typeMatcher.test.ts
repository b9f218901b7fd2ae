import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StatusError } from "../../src/errors.js";
import { TYPE_PATTERN_LIMITS, typeMatcher } from "../../src/subscribers/wireEvent.js";

// What `*` meant before matching became linear: any run of characters. Fine as a reference on
// short inputs, where backtracking costs nothing.
const reference = (pattern: string, type: string) =>
  new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(type);

// A small deterministic generator (mulberry32), so a failure names inputs that can be replayed.
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("event type patterns", () => {
  it("match exact types, prefixes, suffixes and infixes; no patterns match everything", () => {
    const cases: [string, string, boolean][] = [
      ["user.human.added", "user.human.added", true],
      ["user.human.added", "user.human.added.x", false],
      ["user.*", "user.human.added", true],
      ["user.*", "org.added", false],
      ["*.added", "user.machine.added", true],
      ["*.added", "user.machine.added.not", false],
      ["user.*.added", "user.human.added", true],
      ["user.*.added", "user.added", false],
      ["*", "anything.at.all", true],
      ["a*a*a*a*b", "aaaab", true],
      ["a*a*a*a*b", "aaaaba", false],
      ["*ab*ab", "abab", true],
      ["*ab*ab", "aab", false],
    ];
    for (const [pattern, type, expected] of cases) assert.equal(typeMatcher([pattern])(type), expected, `${pattern} ~ ${type}`);
    assert.equal(typeMatcher([])("org.added"), true);
    assert.equal(typeMatcher(["", " "])("org.added"), true);
    assert.equal(typeMatcher([" org.added ", "user.*"])("org.added"), true);
  });

  it("agree with the regular-expression meaning of `*` on thousands of generated cases", () => {
    const next = random(9);
    const pick = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
    for (let i = 0; i < 5000; i++) {
      const pattern = pick("ab*", 1 + Math.floor(next() * 7));
      if ((pattern.match(/\*/g)?.length ?? 0) > TYPE_PATTERN_LIMITS.wildcards) continue;
      const type = pick("ab", Math.floor(next() * 9));
      assert.equal(typeMatcher([pattern])(type), reference(pattern, type), `${pattern} ~ ${type}`);
    }
  });

  it("match in linear time where a backtracking expression takes forever", { timeout: 5000 }, () => {
    // As a regular expression, ^.*a.*a.*a.*b$ tries every way of placing four `*`s: ~10^11 steps here.
    const type = "a".repeat(2000);
    assert.equal(typeMatcher(["*a*a*a*b"])(type), false);
    assert.equal(typeMatcher(["*a*a*a*a"])(type), true);
  });

  it("refuse patterns outside the grammar or the limits with InvalidArgument", () => {
    const refused = [
      "*********X",
      "user..added",
      ".user",
      "user.",
      "user added",
      "user/added",
      "(a+)+",
      "user.[a-z]",
      "ü.added",
      `a${".a".repeat(TYPE_PATTERN_LIMITS.length)}`,
    ];
    for (const pattern of refused) {
      assert.throws(() => typeMatcher([pattern]), (error: unknown) => error instanceof StatusError && error.category === "InvalidArgument", pattern);
    }
    const tooMany = Array.from({ length: TYPE_PATTERN_LIMITS.patterns + 1 }, (_, i) => `type${i}.added`);
    assert.throws(() => typeMatcher(tooMany), StatusError);
    assert.doesNotThrow(() => typeMatcher(tooMany.slice(1)));
    assert.doesNotThrow(() => typeMatcher(["user.human_2-x.*.added", "*.*.*.*"]));
  });
});
