// Prints jest's JSON results of each tier as plain lines, the last one "N passed, N failed".
// A tier that did not run, or a suite that crashed before its tests ran, counts as one failure.
// Each failure is repeated here with the head of its message, so the tail of a CI log says why.
const fs = require("node:fs");

const MESSAGE_LINES = 12;
const head = (text) =>
  text
    .replace(/\u001b\[[0-9;]*m/g, "")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .slice(0, MESSAGE_LINES)
    .map((line) => `    ${line}`)
    .join("\n");

let passed = 0;
let failed = 0;
const why = [];
for (const file of process.argv.slice(2)) {
  if (!fs.existsSync(file)) {
    console.log(`${file}: jest did not run (the type check failed or jest crashed)`);
    failed += 1;
    continue;
  }
  const results = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const suite of results.testResults) {
    const ok = suite.assertionResults.filter((a) => a.status === "passed").length;
    const bad = suite.assertionResults.filter((a) => a.status === "failed");
    const name = suite.name.replace(`${process.cwd()}/`, "");
    console.log(`${suite.status === "passed" ? "PASS" : "FAIL"} ${name}: ${ok} passed, ${bad.length} failed`);
    for (const a of bad) why.push(`${name} › ${a.fullName}\n${head(a.failureMessages.join("\n"))}`);
    if (suite.status !== "passed" && bad.length === 0 && suite.message) why.push(`${name}\n${head(suite.message)}`);
  }
  passed += results.numPassedTests;
  failed += results.numFailedTests + (results.numRuntimeErrorTestSuites ?? 0);
}
if (why.length > 0) console.log(`\nwhy:\n${why.join("\n")}\n`);
console.log(`${passed} passed, ${failed} failed`);
