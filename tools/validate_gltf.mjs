#!/usr/bin/env node
// The Khronos glTF validator on one file: `node tools/validate_gltf.mjs file.glb` prints its JSON report.
// Exit status: 0 when the report has no errors, 1 when it has some, 2 when the file or validator is missing.
// The validator comes from npm (tools/package.json, installed by `make validators`).
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const file = process.argv[2];
if (!file) {
  console.error("usage: node tools/validate_gltf.mjs FILE.glb");
  process.exit(2);
}
let validator;
try {
  validator = require("gltf-validator");
} catch {
  console.error("gltf-validator is not installed: run `make validators`");
  process.exit(2);
}
let data;
try {
  data = new Uint8Array(await readFile(file));
} catch (error) {
  console.error(`cannot read ${file}: ${error.message}`);
  process.exit(2);
}
const report = await validator.validateBytes(data, {
  uri: path.basename(file),
  maxIssues: 200,
  // a GLB must carry everything itself: any external resource is refused rather than read
  externalResourceFunction: (uri) => Promise.reject(new Error(`external resource ${uri} refused`)),
});
console.log(JSON.stringify(report, null, 2));
process.exit(report.issues.numErrors > 0 ? 1 : 0);
