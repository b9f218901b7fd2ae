import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formFields } from "../../src/oauth/form.js";

const fields = (text: string, latin1 = false) => ({ ...formFields(text, latin1) });
const status = (text: string) => {
  try {
    formFields(text, false);
  } catch (error) {
    return (error as { status?: number }).status;
  }
  return undefined;
};

describe("formFields (application/x-www-form-urlencoded as Go's url.ParseQuery reads it)", () => {
  it("reads name=value pairs, + as a space and %-escapes as UTF-8", () => {
    assert.deepEqual(fields("grant_type=client_credentials&scope=openid+profile&client_secret=a%2Bb%3D%C3%A9"), {
      grant_type: "client_credentials",
      scope: "openid profile",
      client_secret: "a+b=é",
    });
  });

  it("keeps a name given twice as an array, for param() to refuse", () => {
    assert.deepEqual(fields("a=1&a=2&a=3"), { a: ["1", "2", "3"] });
  });

  it("reads a name without = as empty, skips empty names and pairs, and drops a byte order mark", () => {
    assert.deepEqual(fields("\uFEFFflag&=x&&b=2"), { flag: "", b: "2" });
    assert.deepEqual(fields(""), {});
  });

  it("makes an object that inherits nothing, so that no name means more than the client sent", () => {
    const form = formFields("__proto__=x&constructor=y", false);
    assert.equal(Object.getPrototypeOf(Object.getPrototypeOf(form)), null);
    assert.deepEqual(Object.entries(form), [["__proto__", "x"], ["constructor", "y"]]);
    assert.equal(formFields("a=1", false)["toString"], undefined);
  });

  it("decodes %-escapes as Latin-1 in a form sent in ISO-8859-1", () => {
    assert.deepEqual(fields("name=Jos%E9+M", true), { name: "José M" });
  });

  it("refuses a broken %-escape (400) and more than 32 parameters (413)", () => {
    assert.equal(status("client_secret=%zz"), 400);
    assert.equal(status("client_secret=%C3"), 400);
    assert.equal(status(Array.from({ length: 32 }, (_, i) => `p${i}=1`).join("&")), undefined);
    assert.equal(status(Array.from({ length: 33 }, (_, i) => `p${i}=1`).join("&")), 413);
  });
});
