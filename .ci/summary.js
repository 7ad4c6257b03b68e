// Prints jest's JSON results of each tier as plain lines, the last one "N passed, N failed".
// A tier that did not run, or a suite that crashed before its tests ran, counts as one failure.
const fs = require("node:fs");

let passed = 0;
let failed = 0;
for (const file of process.argv.slice(2)) {
  if (!fs.existsSync(file)) {
    console.log(`${file}: jest did not run (the type check failed or jest crashed)`);
    failed += 1;
    continue;
  }
  const results = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const suite of results.testResults) {
    const ok = suite.assertionResults.filter((a) => a.status === "passed").length;
    const bad = suite.assertionResults.filter((a) => a.status === "failed").length;
    const name = suite.name.replace(`${process.cwd()}/`, "");
    console.log(`${suite.status === "passed" ? "PASS" : "FAIL"} ${name}: ${ok} passed, ${bad} failed`);
  }
  passed += results.numPassedTests;
  failed += results.numFailedTests + (results.numRuntimeErrorTestSuites ?? 0);
}
console.log(`${passed} passed, ${failed} failed`);
