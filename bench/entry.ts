import { fileURLToPath } from "node:url";

/**
 * How to run a program that lives beside `base` (an `import.meta.url`), `name` without extension:
 * from the compiled tree (dist/, where `npm run bench` runs, as `npm start` runs the service), its
 * compiled .js; from the sources, the .ts through tsx's loader. The two differ in what is measured:
 * tsx transforms on load and wraps every named function expression in a `__name` call, which the
 * compiled code that production runs does not pay.
 */
export function entryBeside(base: string, name: string): string[] {
  const compiled = base.endsWith(".js");
  const file = fileURLToPath(new URL(`${name}.${compiled ? "js" : "ts"}`, base));
  return compiled ? [file] : ["--import", "tsx", file];
}
