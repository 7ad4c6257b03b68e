import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { viaSsh } from "../../canary/measure";

// npm run canary --via: the query runs as curl in root's remote shell. The shell must read the
// URL as one word whatever it holds (security review N12): here a stand-in ssh runs the remote
// command with sh, and a stand-in curl prints the URL it was given.
const dir = mkdtempSync(join(tmpdir(), "canary-via-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("the remote shell gets the Prometheus URL as one word, quotes and all", async () => {
  writeFileSync(join(dir, "curl"), '#!/bin/sh\nfor a; do last=$a; done\nprintf "%s\\n200" "$last"\n');
  writeFileSync(join(dir, "ssh"), `#!/bin/sh\nfor a; do last=$a; done\nPATH=${dir}:$PATH exec sh -c "$last"\n`);
  for (const f of ["curl", "ssh"]) chmodSync(join(dir, f), 0o755);
  const url = new URL("http://127.0.0.1:9090/it's;touch${IFS}pwned/api/v1/query?query=up");
  const answer = await viaSsh("root@monitoring", [join(dir, "ssh")])(url);
  expect(answer).toEqual({ status: 200, body: url.href });
});
