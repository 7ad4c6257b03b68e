import { nameInZone } from "../../components/hosts/dns";
import { fqdnOf, mailDnsRecords, parseMailDns } from "../../components/hosts/mailDns";
import { problemsOf, rawConfig } from "../helpers";

const KEY = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCx3v9f0p1dSUpp5g8LhYd2cB2B2p2r0Q9vH1Yw0kq0fG2D7q+E8n4Yt1yT0eXwIDAQAB";
const GOOD = { dkimSelector: "20240101123456pm", dkimValue: `k=rsa;p=${KEY}`, dmarcReports: "dmarc-rua@shithub.sh" };

describe("shithubd:mailDns: Postmark's records for the forge's mail", () => {
  it("gives the DKIM key, the Return-Path, SPF and DMARC, named under the domain", () => {
    const { config } = parseMailDns(GOOD);
    expect(mailDnsRecords(config!)).toEqual([
      { type: "TXT", name: "20240101123456pm._domainkey", value: `k=rsa;p=${KEY}` },
      { type: "CNAME", name: "pm-bounces", value: "pm.mtasv.net." },
      { type: "TXT", name: "@", value: "v=spf1 include:spf.mtasv.net ~all" },
      { type: "TXT", name: "_dmarc", value: "v=DMARC1; p=none; rua=mailto:dmarc-rua@shithub.sh; pct=100" },
    ]);
    const { config: bare } = parseMailDns({ dkimSelector: "s1", dkimValue: `k=rsa; p=${KEY}` });
    expect(mailDnsRecords(bare!)[3]!.value).toBe("v=DMARC1; p=none; pct=100");
  });

  it("names each record inside the zone: the apex as @, a subdomain's records under it", () => {
    const [dkim, , spf] = mailDnsRecords(parseMailDns(GOOD).config!);
    const inZone = (r: typeof dkim, domain: string, zone: string) => nameInZone(fqdnOf(r!, domain), zone);
    expect([inZone(dkim, "shithub.sh", "shithub.sh"), inZone(spf, "shithub.sh", "shithub.sh")]).toEqual(["20240101123456pm._domainkey", "@"]);
    expect([inZone(dkim, "git.example.org", "example.org"), inZone(spf, "git.example.org", "example.org")]).toEqual(["20240101123456pm._domainkey.git", "git"]);
    expect(fqdnOf(spf!, "git.example.org")).toBe("git.example.org");
  });

  it.each([
    [[], /must be a JSON object/],
    [{ ...GOOD, dkimSelecter: "x" }, /has "dkimSelecter", not a field of it/],
    [{ ...GOOD, dkimSelector: "20240101._domainkey" }, /dkimSelector must be the DKIM selector Postmark shows \(one DNS label/],
    [{ ...GOOD, dkimValue: `k=rsa;p=${KEY}"; other` }, /dkimValue must be the DKIM TXT value Postmark shows/],
    [{ ...GOOD, dkimValue: `k=rsa;p=${KEY}\nv=spf1` }, /dkimValue must be/],
    [{ ...GOOD, dmarcReports: "a@b.org; ruf=mailto:x@y.org" }, /dmarcReports must be one mail address/],
  ])("refuses %j", (value, message) => {
    expect(parseMailDns(value).problem).toMatch(message);
  });

  it("a wrong value is a problem of the key, with the command that sets it", () => {
    const problems = problemsOf(rawConfig({ set: { "shithubd:mailDns": JSON.stringify({ ...GOOD, dkimSelector: "Bad Selector" }) } }));
    expect(problems.map((p) => [p.key, p.message.split(" (")[0]])).toEqual([["shithubd:mailDns", "dkimSelector must be the DKIM selector Postmark shows"]]);
    expect(problems[0]!.fix).toContain("pulumi config set shithubd:mailDns");
  });
});
