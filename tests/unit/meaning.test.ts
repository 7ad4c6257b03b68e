import { renderUserData } from "../../components/hosts/bootstrap";
import { platformOf } from "../../components/hosts/platform";
import { parse } from "yaml";
import { ageKeyPair, BACKUP_KEY, configOf, problemsOf, rawConfig, SINGLE_HOST } from "../helpers";

// Validation by meaning: each value is read as the program that gets it reads it (a URL as a
// URL, a name as DNS and YAML read it, a number as Go parses it), and what that program would
// refuse at start is refused at preview, with the exact message.

function onlyProblem(raw: ReturnType<typeof rawConfig>) {
  const problems = problemsOf(raw);
  expect(problems).toHaveLength(1);
  return problems[0]!;
}

describe("shithubd:artifactUrl is read as a URL curl will fetch", () => {
  it.each([
    ["http://releases.example.org/{version}/shithubd", "must be an https URL (not http): hosts download only over https, redirects included"],
    ["ftp://releases.example.org/{version}/shithubd", "must be an https URL (not ftp): hosts download only over https, redirects included"],
    ["https://releases.example.org/shithubd", "must contain {version}, which stands for shithubd:version"],
    ["https://deploy:hunter2@releases.example.org/{version}/shithubd", "must not carry credentials: they would be visible in the host's process list"],
    ["https://releases.example.org/{version}/shithubd-[1-9]", "must not contain [ ] { } besides {version}: curl would read them as a pattern of several URLs"],
    ["https://releases.example.org/{version}/{amd64,arm64}", "must not contain [ ] { } besides {version}: curl would read them as a pattern of several URLs"],
    ["https://releases.example.org/{version}/shithubd #x", "must be one URL without spaces"],
    ["releases.example.org/{version}/shithubd", "must be an absolute https URL containing {version}"],
  ])("%s is refused", (url, message) => {
    const p = onlyProblem(rawConfig({ set: { "shithubd:artifactUrl": url } }));
    expect(p).toMatchObject({ stack: "staging", key: "shithubd:artifactUrl", message });
    expect(p.fix).toBe("pulumi config set shithubd:artifactUrl https://releases.example.org/shithubd/{version}/shithubd-linux-amd64 -s staging");
  });

  it("an https URL with a port and a query is a URL", () => {
    expect(configOf(rawConfig({ set: { "shithubd:artifactUrl": "https://releases.example.org:8443/dl?v={version}&arch=amd64" } })).release.artifact)
      .toMatchObject({ kind: "url", url: "https://releases.example.org:8443/dl?v=v1.8.0&arch=amd64" });
  });
});

describe("shithubd:healthPath is paths on shithubd's own address", () => {
  it.each([
    ["readyz", "must be one or more URL paths starting with /, separated by single spaces"],
    ["//evil.example.org/readyz", "\"//evil.example.org/readyz\" would leave shithubd's address (a path starting with // names a host)"],
    ["/a/../readyz", "\"/a/../readyz\" is not a normalised URL path (no . or .. segments, no #fragment, no characters a URL must escape)"],
    ["/readyz#x", "\"/readyz#x\" is not a normalised URL path (no . or .. segments, no #fragment, no characters a URL must escape)"],
    ["/readyz /health[1-3]", "\"/health[1-3]\" must not contain [ ] { }: curl would read them as a pattern of several URLs"],
    ["/readyz  /healthz", "must be one or more URL paths starting with /, separated by single spaces"],
  ])("%j is refused", (path, message) => {
    expect(onlyProblem(rawConfig({ set: { "shithubd:healthPath": path } }))).toMatchObject({ key: "shithubd:healthPath", message });
  });

  it("several paths and a query are fine", () => {
    expect(configOf(rawConfig({ set: { "shithubd:healthPath": "/readyz /healthz?full=1" } })).release.healthPath).toBe("/readyz /healthz?full=1");
  });
});

describe("shithubd:migrationTimeout is a systemd start timeout", () => {
  it.each([
    ["0s", "must be more than 0: systemd reads 0 as no timeout, and a hung migration would hold the release forever"],
    ["0min", "must be more than 0: systemd reads 0 as no timeout, and a hung migration would hold the release forever"],
    ["25h", "must be at most 24h: a migration that long is an outage, not a release"],
    ["15 min", "must be a systemd time span such as 900s, 15min or 1h"],
  ])("%s is refused", (value, message) => {
    expect(onlyProblem(rawConfig({ set: { "shithubd:migrationTimeout": value } }))).toMatchObject({ key: "shithubd:migrationTimeout", message });
  });
});

describe("env values shithubd (Go), systemd or Linux would refuse at start", () => {
  it.each([
    ["SHITHUB_DB__MAX_CONNS", "9223372036854775808", "must be an integer >= 1 that fits Go's int (at most 9223372036854775807)"],
    ["SHITHUB_DB__MAX_CONNS", "-9223372036854775809", "must be an integer >= 1 that fits Go's int (at most 9223372036854775807)"],
    ["SHITHUB_WEB__READ_TIMEOUT", "-30s", "must not be negative: shithubd's timeouts, intervals and lifetimes are spans of time"],
    ["SHITHUB_WEB__READ_TIMEOUT", "2562048h", "must be at most 2562047h (Go's time.ParseDuration refuses a longer one)"],
    ["SHITHUB_AUTH__SITE_NAME", "x".repeat(131_072), "is longer than Linux passes to a process in one environment string (131072 bytes with its name): shithubd would not start"],
  ])("%s=%.30s is refused", (name, value, message) => {
    expect(onlyProblem(rawConfig({ set: { [`shithubd:${name}`]: value } }))).toMatchObject({ key: `shithubd:${name}`, message });
  });

  it("the longest environment string Linux passes is accepted", () => {
    const name = "SHITHUB_AUTH__SITE_NAME";
    const longest = "x".repeat(131_072 - name.length - 2);
    expect(configOf(rawConfig({ set: { [`shithubd:${name}`]: longest } })).env.get(name)?.value).toBe(longest);
  });

  it("a duration of 0 and the largest Go int are values", () => {
    expect(() => configOf(rawConfig({ set: { "shithubd:SHITHUB_WEB__READ_TIMEOUT": "0", "shithubd:SHITHUB_RATELIMIT__API__AUTHED_PER_HOUR": "9223372036854775807" } }))).not.toThrow();
  });
});

describe("a key under a namespace nothing reads", () => {
  it("one of ours under a misspelt namespace is an error with the rename", () => {
    const p = onlyProblem(rawConfig({ secret: { "shithub:SHITHUB_WEBHOOK__AEAD_KEY": "k".repeat(44) } }));
    expect(p).toMatchObject({
      key: "shithub:SHITHUB_WEBHOOK__AEAD_KEY",
      message: "is in namespace \"shithub\", which nothing reads (it would be silently ignored); this program reads shithubd:SHITHUB_WEBHOOK__AEAD_KEY",
    });
    expect(p.fix).toBe("pulumi config get shithub:SHITHUB_WEBHOOK__AEAD_KEY -s staging | pulumi config set --secret shithubd:SHITHUB_WEBHOOK__AEAD_KEY -s staging && pulumi config rm shithub:SHITHUB_WEBHOOK__AEAD_KEY -s staging");
  });

  it("a project key under another namespace too", () => {
    expect(onlyProblem(rawConfig({ set: { "shithub-infra:keepReleases": "3" } }))).toMatchObject({ key: "shithub-infra:keepReleases" });
  });

  it("any secret there is an error; a plain value of someone else's namespace is left alone", () => {
    expect(onlyProblem(rawConfig({ secret: { "digitalocan:token": "dop_v1_x" } }))).toMatchObject({
      key: "digitalocan:token",
      message: "is a secret in namespace \"digitalocan\", which nothing in this program reads (it would be silently ignored); namespaces read: shithubd, digitalocean, aws, tls, random, command, pulumi",
      fix: "pulumi config rm digitalocan:token -s staging",
    });
    expect(() => configOf(rawConfig({ set: { "team:owner": "ops" } }))).not.toThrow();
  });
});

describe("host names as Linux, DNS and YAML read them", () => {
  const hosts = (name: string) => JSON.stringify([{ ...SINGLE_HOST[0], name }]);
  it.each([
    ["123", "must not end in an all-digit label: resolvers read such a name as an address, e.g. shithub-app"],
    ["app.10", "must not end in an all-digit label: resolvers read such a name as an address, e.g. shithub-app"],
    ["10.0.0.1", "must be a name, not an IP address, e.g. shithub-app"],
    ["-app", "must be DNS labels of letters, digits and inner hyphens, joined by dots, e.g. shithub-app"],
    ["app..db", "must be DNS labels of letters, digits and inner hyphens, joined by dots, e.g. shithub-app"],
    ["a".repeat(65), "must be 1 to 64 characters (Linux's longest host name), e.g. shithub-app"],
  ])("%j is refused", (name, message) => {
    const p = onlyProblem(rawConfig({ set: { "shithubd:hosts": hosts(name) } }));
    expect(p).toMatchObject({ key: "shithubd:hosts[0].name", message, fix: "pulumi config set --path 'shithubd:hosts[0].name' shithub-app -s staging" });
  });

  it.each(["0x1f", "yes", "null", "1e3x", "true"])("%s, a name YAML would read as something else unquoted, reaches cloud-init as that name", (name) => {
    const config = configOf(rawConfig({ set: { "shithubd:hosts": hosts(name) } }));
    const userData = renderUserData(config.hosts.hosts[0]!, 0, platformOf("debian-12-x64")!, { gitSsh: false });
    expect((parse(userData) as { hostname: unknown }).hostname).toBe(name);
  });
});

describe("shithubd:vpcIpRange is a set of private addresses", () => {
  it.each([
    ["10.300.0.0/24", "must be an IPv4 or IPv6 CIDR such as 203.0.113.10/32; a VPC takes a private IPv4 range such as 10.10.0.0/24"],
    ["10.20.0.5/24", "has host bits set: the network it names is 10.20.0.0/24; a VPC takes a private IPv4 range such as 10.10.0.0/24"],
    ["172.32.0.0/16", "must lie inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)"],
    ["192.168.0.0/15", "must lie inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)"],
    ["10.0.0.0/8", "must be from /16 to /28, DigitalOcean's VPC sizes"],
    ["fd00::/64", "must be an IPv4 range: DigitalOcean VPCs are IPv4"],
  ])("%s is refused", (range, message) => {
    expect(onlyProblem(rawConfig({ set: { "shithubd:vpcIpRange": range } }))).toMatchObject({ key: "shithubd:vpcIpRange", message });
  });

  it("172.31.255.240/28, the last /28 of 172.16.0.0/12, is private", () => {
    expect(() => configOf(rawConfig({ set: { "shithubd:vpcIpRange": "172.31.255.240/28" } }))).not.toThrow();
  });
});

describe("the backups' age recipients", () => {
  it.each([
    ["a private key", () => ageKeyPair().identity, "is an age identity, a private key: give its public half (age-keygen -y FILE); the private half stays with the operators, on no host"],
    ["a recipient with a wrong checksum", () => `${BACKUP_KEY.recipient.slice(0, -1)}${BACKUP_KEY.recipient.endsWith("q") ? "p" : "q"}`,
      "must be an age X25519 recipient as age-keygen prints it (age1 and 58 more characters)"],
    ["an SSH key", () => "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk", "must be an age X25519 recipient as age-keygen prints it (age1 and 58 more characters)"],
    // The same key as the first in capitals: age refuses it, and it would count as a second recipient in production.
    ["a recipient in capitals", () => BACKUP_KEY.recipient.toUpperCase(), "must be lowercase, as age-keygen prints it: age refuses a recipient in capitals"],
  ])("refuses %s, never echoing it", (_what, value, message) => {
    const text = value();
    const p = onlyProblem(rawConfig({ set: { "shithubd:backupRecipients": JSON.stringify([BACKUP_KEY.recipient, text]) } }));
    expect(p).toMatchObject({ key: "shithubd:backupRecipients[1]", message, fix: "pulumi config set --path 'shithubd:backupRecipients[1]' \"$(age-keygen -y ~/shithub-backup.key)\" -s staging" });
    expect(JSON.stringify(p)).not.toContain(text.slice(20));
  });

  it.each([
    ["one recipient", () => [BACKUP_KEY.recipient], 1],
    ["the same recipient twice", () => [BACKUP_KEY.recipient, BACKUP_KEY.recipient], 2],
  ])("production refuses %s: one lost identity would make every backup unreadable", (_what, recipients, next) => {
    const found = problemsOf(rawConfig({ stack: "production", set: { "shithubd:backupRecipients": JSON.stringify(recipients()) } }));
    expect(found.filter((p) => p.key.startsWith("shithubd:backupRecipients"))).toEqual([expect.objectContaining({
      stack: "production", key: "shithubd:backupRecipients",
      message: expect.stringMatching(/^lists 1 distinct recipient\(s\); production needs at least two, kept apart \(an operator's identity and an offline escrow one/),
      fix: `age-keygen -o escrow.key && pulumi config set --path 'shithubd:backupRecipients[${next}]' "$(age-keygen -y escrow.key)" -s production  # then put escrow.key offline`,
    })]);
    // Staging may run with the operators' one.
    expect(configOf(rawConfig({ set: { "shithubd:backupRecipients": JSON.stringify(recipients()) } })).hosts.backupRecipients).toEqual(recipients());
  });

  it("are required: without one no dump could be read back", () => {
    const raw = rawConfig();
    delete (raw.values as Record<string, string>)["shithubd:backupRecipients"];
    expect(onlyProblem(raw)).toMatchObject({ key: "shithubd:backupRecipients", message: "is required but is not set" });
  });
});

describe("root's keys", () => {
  it("shithubd:sshPrivateKey must be a key the engine can use", () => {
    const p = onlyProblem(rawConfig({ secret: { "shithubd:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n" } }));
    expect(p).toMatchObject({ key: "shithubd:sshPrivateKey", message: "must be an unencrypted ed25519 or RSA private key, as ssh-keygen writes it (OpenSSH or PEM)" });
    expect(JSON.stringify(p)).not.toContain("not a key");
  });

  it("each of shithubd:authorizedKeys is one public key without options", () => {
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKVfMVvXlW9FS268sS0q9vKN6JRWtQasucS1lO7XuGcr ops@laptop";
    const p = onlyProblem(rawConfig({ set: { "shithubd:authorizedKeys": JSON.stringify([key, `command="sh" ${key}`]) } }));
    expect(p).toMatchObject({
      key: "shithubd:authorizedKeys[1]",
      message: "must be one OpenSSH public key as ssh-keygen writes it (ssh-ed25519 AAAA... comment), without options",
      fix: "pulumi config set --path 'shithubd:authorizedKeys[1]' \"$(cat ~/.ssh/id_ed25519.pub)\" -s staging",
    });
    expect(configOf(rawConfig({ set: { "shithubd:authorizedKeys": JSON.stringify([key]) } })).hosts.authorizedKeys).toEqual([key]);
    expect(configOf(rawConfig()).hosts.authorizedKeys).toEqual([]);
  });
});

describe("shithubd:artifactSigningKey is a minisign public key", () => {
  // A key as minisign -G writes it: "Ed", an 8-byte key id, a 32-byte Ed25519 key.
  const key = Buffer.concat([Buffer.from("Ed"), Buffer.alloc(8, 7), Buffer.alloc(32, 9)]).toString("base64");

  it.each([
    ["the whole .pub file", `untrusted comment: minisign public key 0707070707070707\n${key}`],
    ["an SSH key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk"],
    ["a key of another algorithm", Buffer.concat([Buffer.from("XX"), Buffer.alloc(40)]).toString("base64")],
  ])("refuses %s", (_what, value) => {
    expect(onlyProblem(rawConfig({ set: { "shithubd:artifactSigningKey": value } }))).toMatchObject({
      key: "shithubd:artifactSigningKey", message: "must be a minisign public key: the second line of minisign.pub (RW and 54 more characters)",
    });
  });

  it("reaches the release step with the download; with a binary from this machine it is refused", () => {
    expect(configOf(rawConfig({ set: { "shithubd:artifactSigningKey": key } })).release.artifact).toMatchObject({ kind: "url", signingKey: key });
    const local = rawConfig({ set: { "shithubd:artifactSigningKey": key, "shithubd:artifactPath": __filename } });
    delete (local.values as Record<string, string>)["shithubd:artifactUrl"];
    delete (local.values as Record<string, string>)["shithubd:artifactSha256"];
    expect(onlyProblem(local)).toMatchObject({ key: "shithubd:artifactSigningKey", message: expect.stringContaining("is set with shithubd:artifactPath"), fix: "pulumi config rm shithubd:artifactSigningKey -s staging" });
  });
});

describe("shithubd:reposBackupPassword as systemd and bash both read restic.env", () => {
  it.each([["a dollar sign", "repos-backup-$HOME-password-0123456789"], ["a space", "repos backup test password 0123456789"], ["a quote", "repos-backup-'test'-password-0123456789"]])(
    "refuses %s (bash would expand or split it, systemd would not)", (_what, value) => {
      expect(onlyProblem(rawConfig({ secret: { "shithubd:reposBackupPassword": value } }))).toMatchObject({
        key: "shithubd:reposBackupPassword", message: expect.stringMatching(/^may hold only letters, digits and \+ \/ = \. _ ~ - \(systemd and bash both read restic\.env/),
      });
    });
  it("takes what openssl rand -base64 makes", () => {
    expect(configOf(rawConfig({ secret: { "shithubd:reposBackupPassword": "q9Zr1V+ZkX/3bS8pQ0nL4mT7yW2eR5uI6oA8sD1fG0h=" } })).backups.reposPassword.reveal()).toContain("q9Zr1V+");
  });
});

describe("values read as their consumers read them (security review, families 11 to 13)", () => {
  const keyed = (stack: string, set: Record<string, string>, key: string) =>
    problemsOf(rawConfig({ stack, set })).filter((p) => p.key.startsWith(key)).map((p) => p.message);

  it.each(["fe80::1%eth0/64", "fe80::%25eth0/64"])("an admin range with a zone index (%s) is refused, not a crash", (range) => {
    expect(keyed("staging", { "shithubd:adminCidrs": JSON.stringify([range]) }, "shithubd:adminCidrs")).toEqual([
      "must not carry a zone index (%...): a firewall rule or sshd matches addresses, not one machine's interfaces",
    ]);
  });

  it("an artifact URL is read as curl reads it: an IPv6 literal host is a URL; a backslash, an invisible character or a zone index is refused", () => {
    expect(configOf(rawConfig({ set: { "shithubd:artifactUrl": "https://[2001:db8::1]:8443/shithubd/{version}/shithubd" } })).release.artifact).toMatchObject({ url: "https://[2001:db8::1]:8443/shithubd/v1.0.0/shithubd".replace("v1.0.0", configOf(rawConfig()).version) });
    for (const [url, message] of [
      ["https://releases.example.org\\@evil.example/{version}/x", "must not contain a backslash: curl and this check would read the URL differently"],
      ["https://releases.example.org/\u200b{version}/x", "must be printable ASCII (percent-encode anything else): invisible and non-ASCII characters read differently in curl"],
      ["https://[fe80::1%25eth0]/{version}/x", "must not carry an IPv6 zone index: it names an interface of one machine"],
      ["https://releases.example.org/[1-9]/{version}/x", "must not contain [ ] { } besides {version}: curl would read them as a pattern of several URLs"],
    ]) expect([url, keyed("staging", { "shithubd:artifactUrl": url! }, "shithubd:artifactUrl")]).toEqual([url, [message]]);
  });

  it("production refuses a soak of 0 and a test CA's certificates", () => {
    expect(keyed("production", { "shithubd:soakMinutes": "0" }, "shithubd:soakMinutes")).toEqual([
      "is 0: production would take a version the moment staging runs it, before anyone or the canary saw it run",
    ]);
    expect(keyed("production", { "shithubd:acmeCaUrl": "https://acme-staging-v02.api.letsencrypt.org/directory" }, "shithubd:acmeCaUrl")).toEqual([
      "is a test CA (acme-staging-v02.api.letsencrypt.org): no browser trusts its certificates, so production takes Let's Encrypt's own",
    ]);
    expect(configOf(rawConfig({ set: { "shithubd:acmeCaUrl": "https://acme-staging-v02.api.letsencrypt.org/directory" } })).edge.acmeCaUrl).toContain("staging");
  });

  it("a stack named like production says whether it is; one that says is judged by what it says", () => {
    expect(keyed("prod-eu", {}, "shithubd:production")).toEqual(["is unset, and a stack named prod-eu reads as production: say which it is (true applies production's rules)"]);
    expect(configOf(rawConfig({ stack: "prod-eu", set: { "shithubd:production": "false" } })).production).toBe(false);
    expect(configOf(rawConfig({ stack: "product-demo" })).production).toBe(false);
  });

  it("an override's who and why take no control or bidirectional characters", () => {
    const override = (by: string, reason: string) => ({ "shithubd:promotionOverride": JSON.stringify({ version: configOf(rawConfig()).version, by, reason }) });
    const set = { "shithubd:promoteFrom": "organization/shithubd/staging" };
    expect(keyed("staging", { ...set, ...override("Alice\u202eecilA", "a reason long enough") }, "shithubd:promotionOverride")).toEqual([expect.stringMatching(/^must name who overrides the gate/)]);
    expect(keyed("staging", { ...set, ...override("Alice", "CVE fix\u2066hidden\u2069 now") }, "shithubd:promotionOverride")).toEqual([expect.stringMatching(/^must say why production cannot wait/)]);
  });
});
