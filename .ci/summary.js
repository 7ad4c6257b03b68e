// Prints jest's JSON results as plain lines, the last one "N passed, N failed".
// A suite that crashed before its tests ran counts as one failure.
const fs = require("node:fs");

const file = process.argv[2];
if (!fs.existsSync(file)) {
  console.log("jest did not run (the type check failed or jest crashed)");
  console.log("0 passed, 1 failed");
  process.exit(0);
}
const results = JSON.parse(fs.readFileSync(file, "utf8"));
for (const suite of results.testResults) {
  const failed = suite.assertionResults.filter((a) => a.status === "failed").length;
  const passed = suite.assertionResults.filter((a) => a.status === "passed").length;
  const name = suite.name.replace(`${process.cwd()}/`, "");
  console.log(`${suite.status === "passed" ? "PASS" : "FAIL"} ${name}: ${passed} passed, ${failed} failed`);
}
const crashed = results.numRuntimeErrorTestSuites ?? 0;
console.log(`${results.numPassedTests} passed, ${results.numFailedTests + crashed} failed`);
