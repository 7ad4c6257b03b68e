#!/usr/bin/python3
"""A stand-in for shithubd in the real-host tier. The test writes one copy per release, filling in
the VERSION and FLAGS placeholders below (textually; they must stay the first occurrences).

It keeps the contracts of the real binary, read from its source (repository tenseleyFlow/shithub,
cited as path@commit). Everything that loads configuration goes through load_config(), which
mirrors config.Load: defaults, /etc/shithub/config.toml (or $SHITHUB_CONFIG), SHITHUB_* variables,
the aliases, then Validate. Errors end like cobra's Execute: "shithubd: <error>" on stderr, exit 1.

  config validate  config.Load(nil) and nothing else: cmd/shithubd/config.go@40877b41. The rules,
                   from internal/infra/config/config.go@1dfa86fb: env dev|staging|prod, log level
                   and format, web.addr non-empty, web.pprof_addr empty or a loopback IP literal
                   with a port, tracing, storage.repos_root non-empty, S3 all-or-nothing, email
                   backend stdout|smtp|postmark|resend (postmark needs AUTH__POSTMARK__SERVER_TOKEN,
                   resend AUTH__RESEND__API_KEY, smtp AUTH__SMTP__ADDR), base_url/site_name/
                   email_from non-empty, rate limits >= 0, billing. Every SHITHUB_<PATH> variable
                   is parsed by its field's Go kind: bools by strconv.ParseBool, ints by ParseInt
                   (so ANON_REFILL_PER_SEC=0.5 fails), durations by time.ParseDuration, and the
                   uint32/uint8 AUTH__ARGON2__* and the WEB__CORS_ALLOWED_ORIGINS slice fail with
                   "unsupported field kind". db.url is NOT required (the real Validate never
                   checks it). SHITHUB_DATABASE_URL, SHITHUB_SESSION_KEY and SHITHUB_TOTP_KEY are
                   aliases for db.url, session.key_b64 and auth.totp_key_b64.
  migrate up       reads ONLY SHITHUB_DATABASE_URL (cmd/shithubd/migrate.go@6e7ec09b,
                   internal/infra/db/db.go@791b3970 Resolve/ErrNoURL), not the config loader.
                   Applies this release's schema versions in goose_db_version (goose v3,
                   internal/infra/db/migrate.go@c5696d0f) and records each run that applied
                   something in migration_runs (a test-only table). It also creates, idempotently,
                   simplified versions of the tables the ssh, git-http and admin paths read, with
                   the real names: users (migrations/0003_users.sql@562bd247), user_ssh_keys
                   (0012_user_ssh_keys.sql@c260e48a + kind from 0062@82fbbcf0), repos
                   (0017_repos.sql@16871101), jobs (0018_jobs_and_push_events.sql@e659af39;
                   migrations live in internal/migrationsfs/migrations/).
  web [--addr A]   cmd/shithubd/web.go@730b0d29: the --addr/-a flag defaults to ":8080" and
                   overrides web.addr, so SHITHUB_WEB__ADDR is ignored unless --addr is given as
                   "". internal/web/server.go@05bcb8a6 Run: config.Load; session key from
                   SHITHUB_SESSION_KEY (or session.key_b64) must be base64 of exactly 32 bytes, an
                   absent one is a warning and an ephemeral key; the database is optional: no URL,
                   or a URL that fails its startup ping, means no pool (a warning) and then /readyz
                   answers 200 "ready" (no check without a pool) and the git routes are not
                   mounted. SIGINT/SIGTERM drain in-flight requests within web.shutdown_timeout.
                   Routes (internal/web/handlers/handlers.go@05bcb8a6, health.go@78139803):
                   GET /healthz "ok\n"; any-method /readyz pings the pool within 2 s, 200 "ready\n"
                   or 503 "not ready: <reason>\n"; /metrics when metrics.enabled (default true);
                   GET / (the real one renders a landing page; here the body is exactly
                   "shithubd <VERSION>\n", which the release test reads); GET /internal/panic
                   answers 500 and counts a panic; anything else 404; a known path with another
                   method 405 (chi). Every response carries the SecureHeaders set and X-Request-Id
                   (internal/web/middleware/secure.go@a742a5d2, requestid.go@eff77991).
  /metrics         internal/infra/metrics/metrics.go@105eb128, middleware/metrics.go@1ad3ee94,
                   backupobserver.go@20ec4b59, dbobserver.go@bb6cfc15: Prometheus text format,
                   shithub_http_requests_total{route,method,status},
                   shithub_http_request_duration_seconds{route,method} (ExponentialBuckets(0.001,
                   2.5, 12)), shithub_http_in_flight,
                   shithub_panics_total, shithub_db_pool_{acquired,idle,total} (refreshed every
                   10 s), shithub_db_pool_acquire_wait_seconds_total, the actions registration
                   counter and trigger histogram, shithub_backup_last_success_seconds{job} from
                   /var/lib/shithub/{backup-last-success,spaces-sync-last-success}, process_*.
                   route is the chi pattern, "unmatched" when nothing matched. Basic auth when
                   metrics.basic_auth_user or _pass is set (401, WWW-Authenticate realm="metrics").
  git smart HTTP   internal/web/handlers/githttp/handler.go@0eaf8843 (mounted only with a pool):
                   GET /{owner}/{repo}.git/info/refs?service=git-upload-pack and POST
                   /{owner}/{repo}.git/git-upload-pack run git-upload-pack --stateless-rpc
                   [--advertise-refs] on the bare repo at RepoFS.RepoPath, i.e.
                   <repos_root>/<first two letters of owner>/<owner>/<repo>.git
                   (internal/infra/storage/reposfs.go@345fa952, shardOf). Unknown owner/repo 404
                   "not found"; private repos and receive-pack need credentials: 401 with
                   WWW-Authenticate: Basic realm="shithub" (the fake verifies no credentials, so
                   any Authorization header is also 401). chi ends {repo} at its first ".", so a
                   repo name containing a dot is 404 here as (by chi's routing) in the real one.
  worker           cmd/shithubd/worker.go@0674b2bb: config.Load, db.url required ("worker:
                   SHITHUB_DATABASE_URL unset"), repos_root must be an existing directory, opens
                   and pings the database (exit 1 if unreachable), then idles until SIGTERM.
  admin run-job K [payload-json]
                   the admin source (index id 62323264437): payload is a JSON object (default {}),
                   config.Load, db.url required, INSERT INTO jobs (kind, payload), prints
                   "run-job: enqueued #<id> (kind=<K>)".
  ssh-authkeys FP  cmd/shithubd/ssh.go (S13 version, index id 62147723419): FP must be
                   "SHA256:" + 30..80 of [A-Za-z0-9+/=]; looks up user_ssh_keys by
                   fingerprint_sha256 = FP (stored with the "SHA256:" prefix, as
                   internal/users/sqlc/user_ssh_keys_test.go@450d3934 does) and kind =
                   'authentication' (internal/users/queries/user_ssh_keys.sql@450d3934), prints
                       command="shithubd ssh-shell <user_id>",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty <public_key>
                   (the command word is the basename of argv[0]) and touches last_used_at/_ip.
                   An unknown key, a malformed FP, a config error or ANY database error prints
                   nothing and exits 0: the real one fails closed through an empty stdout.
  ssh-shell UID    ssh.go (same) + internal/git/protocol/ssh_command.go@7d778dc1 and
                   ssh_dispatch.go@bc657a50: UID must be an integer ("shithub: invalid user");
                   config with db.url and repos_root ("shithub: server misconfigured"); database
                   reachable ("shithub: temporary failure (try again)"); SSH_ORIGINAL_COMMAND must
                   be exactly git-upload-pack|git-receive-pack <path> with the path in matching
                   single quotes or unquoted ("shithub does not allow shell access" otherwise,
                   including an interactive session); the path is owner/repo[.git], lowercased,
                   no leading "/", no "..", names by the storage whitelist ("shithub: repository
                   not found" otherwise); the user must exist ("shithub: internal error") and not
                   be suspended; private repos only for their owner (not found otherwise); pushes
                   only for the owner ("shithub: permission denied") and never to an archived
                   repo (collaborators and orgs are not modelled). Then it execs
                   git-upload-pack|git-receive-pack <RepoPath> with the SHITHUB_* hook variables
                   and safe.directory=* in the environment. Refusals exit 1.
  version          cmd/shithubd/version.go@40877b41: "shithubd <VERSION>" then detail lines.
  unknown command  cmd/shithubd/root.go@fbef6551 (cobra, SilenceErrors): "shithubd: unknown
                   command ..." exit 1; a group command alone (config, migrate, admin) prints help
                   and exits 0. Real subcommands the fake does not model exit 2 saying so.

FLAGS (test knobs, comma separated): bad-migration (migrate up fails and rolls back), unhealthy
(every web route answers 500), needs-new-var (the config loader requires SHITHUB_NEW_THING, so
config validate, web, worker... refuse), migrations=N (this release's schema version),
migration-seconds=S (each new migration holds its transaction S seconds, like a long ALTER),
worker-crash (the worker exits 1 at start, as it does when its database refuses it).
"""
import base64
import decimal
import gzip
import http.server
import ipaddress
import json
import math
import os
import re
import secrets
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import tomllib
import urllib.parse

VERSION = "@VERSION@"
FLAGS = "@FLAGS@".split(",")


def flag_value(name, default):
    for f in FLAGS:
        if f.startswith(name + "="):
            return f.split("=", 1)[1]
    return default


def go_quote(s):
    """strconv.Quote (Go's %q): backslash escapes, \\xNN for other control bytes, \\uNNNN for
    non-printable runes; printable non-ASCII (the em dash) stays as it is."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}[ch])
        elif o < 0x20 or o == 0x7f:
            out.append(f"\\x{o:02x}")
        elif o >= 0x80 and not ch.isprintable():
            out.append(f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class GoDuration(float):
    """A time.Duration attr (seconds): text renders Duration.String(), JSON integer nanoseconds."""


def go_duration_str(seconds):
    """time.Duration.String for a duration in seconds."""
    ns = int(round(seconds * 1e9))
    if ns == 0:
        return "0s"
    sign, ns = ("-" if ns < 0 else ""), abs(ns)
    if ns < 1000000000:
        for unit, size in (("ms", 1000000), ("µs", 1000), ("ns", 1)):
            if ns >= size:
                v = f"{ns / size:.9f}".rstrip("0").rstrip(".")
                return f"{sign}{v}{unit}"
    h, rest = divmod(ns, 3600 * 10 ** 9)
    m, rest = divmod(rest, 60 * 10 ** 9)
    sec = f"{rest / 1e9:.9f}".rstrip("0").rstrip(".")
    if h:
        return f"{sign}{h}h{m}m{sec}s"
    if m:
        return f"{sign}{m}m{sec}s"
    return f"{sign}{sec}s"


# The slog handler of this process. The web sets it from log.format (internal/infra/log/log.go@c569abe7:
# "json" is slog.NewJSONHandler, anything else the text handler); the worker, hooks and ssh-shell
# keep text (worker.go@bf76678a, hook.go@20ffd308), except the worker with FLAG worker-json-log.
LOG_FORMAT = "text"
LOG_MIN = 0  # the web's log.level; others log at info
LEVELS = {"DEBUG": -4, "INFO": 0, "WARN": 4, "ERROR": 8}


def log(level, msg, **fields):
    """One slog record on stderr (the real loggers write to stderr), text or JSON."""
    if LEVELS.get(level, 0) < LOG_MIN:
        return
    if LOG_FORMAT == "json":
        t = time.time_ns()
        frac = f"{t % 10 ** 9:09d}".rstrip("0")
        now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t // 10 ** 9)) + ("." + frac if frac else "") + "Z"
        rec = {"time": now, "level": level, "msg": msg}
        for k, v in fields.items():
            if isinstance(v, GoDuration):
                v = int(round(v * 1e9))
            elif isinstance(v, (list, tuple)):
                v = [str(x) for x in v]
            elif not isinstance(v, (bool, int, float)) and v is not None:
                v = str(v)
            rec[k] = v
        print(json.dumps(rec, ensure_ascii=False, separators=(",", ":")), file=sys.stderr, flush=True)
        return

    def fmt(v):
        if isinstance(v, GoDuration):
            v = go_duration_str(v)
        elif isinstance(v, (list, tuple)):
            v = "[" + " ".join(str(x) for x in v) + "]"
        v = str(v).lower() if isinstance(v, bool) else str(v)
        return go_quote(v) if (v == "" or re.search(r'[\s"=]', v) or not v.isprintable()) else v
    now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z"
    parts = [f"time={now}", f"level={level}", f"msg={go_quote(msg)}"]
    parts += [f"{k}={fmt(v)}" for k, v in fields.items()]
    print(" ".join(parts), file=sys.stderr, flush=True)


def fail(err):
    """cmd/shithubd/root.go Execute: print the returned error and exit 1."""
    print(f"shithubd: {err}", file=sys.stderr, flush=True)
    return 1


# ---------------------------------------------------------------------------------------------
# config.Load (internal/infra/config/config.go@1dfa86fb)

STR, BOOL, INT, FLOAT, DUR, U32, U8, SLICE = "string", "bool", "int", "float64", "duration", "uint32", "uint8", "slice"
HOUR = 3600.0
ENFORCE = ["user_advanced_branch_protection", "user_required_reviewers", "user_profile_pins_beyond_free",
           "user_profile_vanity", "user_username_reservations", "user_private_repo_templates",
           "user_saved_replies_unlimited", "user_scheduled_issues", "user_advanced_code_search",
           "user_contribution_privacy", "user_secret_scan_history", "user_secret_scan_alerts",
           "user_fine_grained_pats", "user_actions_secrets", "user_actions_variables", "animated_avatars",
           "user_webhook_relay", "user_cron_workflow_dispatch", "user_personal_status_page",
           "user_repo_time_machine", "user_inbox_rules", "user_inbox_digests"]
# Every tagged field, in struct order (the first bad variable in this order is the one reported),
# with its Go kind and its Defaults() value. Durations are seconds.
CONFIG_FIELDS = [
    ("env", STR, "dev"),
    ("web.addr", STR, ":8080"), ("web.read_timeout", DUR, 30.0), ("web.write_timeout", DUR, 30.0),
    ("web.shutdown_timeout", DUR, 10.0), ("web.cors_allowed_origins", SLICE, []),
    ("web.trusted_proxies", SLICE, ["127.0.0.0/8", "::1/128"]), ("web.pprof_addr", STR, ""),
    ("db.url", STR, ""), ("db.max_conns", INT, 10), ("db.min_conns", INT, 0), ("db.connect_timeout", DUR, 5.0),
    ("log.level", STR, "info"), ("log.format", STR, "text"),
    ("metrics.enabled", BOOL, True), ("metrics.basic_auth_user", STR, ""), ("metrics.basic_auth_pass", STR, ""),
    ("tracing.enabled", BOOL, False), ("tracing.endpoint", STR, ""), ("tracing.sample_rate", FLOAT, 0.05),
    ("tracing.service_name", STR, "shithubd"),
    ("error_reporting.dsn", STR, ""), ("error_reporting.environment", STR, ""), ("error_reporting.release", STR, ""),
    ("session.key_b64", STR, ""), ("session.max_age", DUR, 30 * 24 * HOUR), ("session.secure", BOOL, False),
    ("storage.repos_root", STR, "/data/repos"),
    ("storage.s3.endpoint", STR, ""), ("storage.s3.region", STR, "us-east-1"), ("storage.s3.access_key_id", STR, ""),
    ("storage.s3.secret_access_key", STR, ""), ("storage.s3.bucket", STR, ""), ("storage.s3.use_ssl", BOOL, False),
    ("storage.s3.force_path_style", BOOL, True),
    ("auth.require_email_verification", BOOL, True), ("auth.base_url", STR, "http://127.0.0.1:8080"),
    ("auth.site_name", STR, "shithub"), ("auth.email_from", STR, "shithub <noreply@shithub.local>"),
    ("auth.email_backend", STR, "stdout"),
    ("auth.smtp.addr", STR, "127.0.0.1:1025"), ("auth.smtp.username", STR, ""), ("auth.smtp.password", STR, ""),
    ("auth.postmark.server_token", STR, ""), ("auth.resend.api_key", STR, ""),
    ("auth.argon2.memory_kib", U32, 64 * 1024), ("auth.argon2.time", U32, 3), ("auth.argon2.threads", U8, 2),
    ("auth.totp_key_b64", STR, ""), ("auth.ssh.enabled", BOOL, False), ("auth.ssh.host", STR, ""),
    ("notif.unsubscribe_key_b64", STR, ""),
    ("ratelimit.api.authed_per_hour", INT, 5000), ("ratelimit.api.anon_per_hour", INT, 60),
    ("ratelimit.html.anon_burst", INT, 60), ("ratelimit.html.anon_refill_per_sec", INT, 1),
    ("ratelimit.html.authed_burst", INT, 600), ("ratelimit.html.authed_refill_per_sec", INT, 10),
    ("billing.enabled", BOOL, False), ("billing.grace_period", DUR, 14 * 24 * HOUR),
    ("billing.stripe.secret_key", STR, ""), ("billing.stripe.webhook_secret", STR, ""),
    ("billing.stripe.team_price_id", STR, ""), ("billing.stripe.pro_price_id", STR, ""),
    ("billing.stripe.success_url", STR, ""), ("billing.stripe.cancel_url", STR, ""),
    ("billing.stripe.portal_return_url", STR, ""), ("billing.stripe.automatic_tax", BOOL, False),
    *[("billing.enforce." + name, BOOL, True) for name in ENFORCE],
    ("actions.secrets.box_private_key_b64", STR, ""),
    ("webhook.aead_key", STR, ""),
]


class ConfigError(Exception):
    pass


def go_parse_bool(raw):
    if raw in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if raw in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise ValueError(f"strconv.ParseBool: parsing {go_quote(raw)}: invalid syntax")


def go_parse_int(raw):
    if not re.fullmatch(r"[+-]?[0-9]+", raw):
        raise ValueError(f"strconv.ParseInt: parsing {go_quote(raw)}: invalid syntax")
    n = int(raw)
    if not -(2 ** 63) <= n < 2 ** 63:
        raise ValueError(f"strconv.ParseInt: parsing {go_quote(raw)}: value out of range")
    return n


def go_parse_float(raw):
    if re.fullmatch(r"[+-]?(inf|infinity|nan)", raw, re.I) or \
            re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", raw):
        return float(raw)
    raise ValueError(f"strconv.ParseFloat: parsing {go_quote(raw)}: invalid syntax")


DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_parse_duration(raw):
    """time.ParseDuration, in seconds."""
    invalid = ValueError(f"time: invalid duration {go_quote(raw)}")
    s, sign = raw, 1.0
    if s[:1] in ("-", "+"):
        sign, s = (-1.0 if s[0] == "-" else 1.0), s[1:]
    if s == "0":
        return 0.0
    if s == "":
        raise invalid
    total, pos = 0.0, 0
    while pos < len(s):
        m = re.compile(r"([0-9]*(?:\.[0-9]*)?)([^0-9.]*)").match(s, pos)
        number, unit = m.group(1), m.group(2)
        if number in ("", "."):
            raise invalid
        if unit == "":
            raise ValueError(f"time: missing unit in duration {go_quote(raw)}")
        if unit not in DURATION_UNITS:
            raise ValueError(f"time: unknown unit {go_quote(unit)} in duration {go_quote(raw)}")
        total += float(number) * DURATION_UNITS[unit]
        pos = m.end()
    return sign * total


# config.go setField: how one SHITHUB_* value becomes a field value, by field kind.
PARSERS = {
    BOOL: ("bool", go_parse_bool),
    INT: ("int", go_parse_int),
    DUR: ("duration", go_parse_duration),
    FLOAT: ("float", go_parse_float),
}


def set_field(kind, raw):
    """config.go setField: strings as they are, slices comma-separated (items trimmed, empty ones
    dropped, so "" is an empty list: config_test.go TestMergeEnv_TrustedProxies*), the other kinds
    parsed, anything else (the uint32/uint8 argon2 fields) refused."""
    if kind == STR:
        return raw
    if kind == SLICE:
        return [item.strip() for item in raw.split(",") if item.strip()]
    if kind not in PARSERS:
        raise ValueError(f"unsupported field kind {kind}")
    name, parse = PARSERS[kind]
    try:
        return parse(raw)
    except ValueError as e:
        raise ValueError(f"invalid {name}: {e}")


def merge_file(cfg):
    """mergeFile: an absent file is fine, an unreadable or unparsable one is an error."""
    path = os.environ.get("SHITHUB_CONFIG") or "/etc/shithub/config.toml"
    try:
        with open(path, "rb") as f:
            body = f.read()
    except FileNotFoundError:
        return
    except OSError as e:
        raise ConfigError(f"config: read {path}: {e.strerror.lower() if e.strerror else e}")
    try:
        doc = tomllib.loads(body.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"config: parse {path}: toml: {e}")
    for key, kind, _ in CONFIG_FIELDS:
        node = doc
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                break
        if node is None:
            continue
        ok = {STR: isinstance(node, str), BOOL: isinstance(node, bool),
              INT: isinstance(node, int) and not isinstance(node, bool),
              FLOAT: isinstance(node, (int, float)) and not isinstance(node, bool),
              DUR: isinstance(node, (int, str)) and not isinstance(node, bool),
              U32: isinstance(node, int) and not isinstance(node, bool) and 0 <= node < 2 ** 32,
              U8: isinstance(node, int) and not isinstance(node, bool) and 0 <= node < 2 ** 8,
              SLICE: isinstance(node, list) and all(isinstance(x, str) for x in node)}[kind]
        if not ok:
            raise ConfigError(f"config: parse {path}: toml: incompatible types: TOML value for {key!r} "
                              f"has type {type(node).__name__}; destination has type {kind}")
        if kind == DUR:
            try:
                node = go_parse_duration(node) if isinstance(node, str) else node / 1e9
            except ValueError as e:
                raise ConfigError(f"config: parse {path}: toml: {e}")
        cfg[key] = node


def validate_loopback_addr(key, addr):
    """ValidateLoopbackAddr: empty, or host:port with a loopback IP literal host."""
    if addr == "":
        return
    try:
        host, port = split_host_port(addr)
    except ValueError:
        raise ConfigError(f"config: {key}: must be host:port, got {go_quote(addr)}")
    if port == "":
        raise ConfigError(f"config: {key}: port is required, got {go_quote(addr)}")
    if host == "":
        raise ConfigError(f"config: {key}: {go_quote(addr)} binds every interface; use 127.0.0.1:{port}")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ConfigError(f"config: {key}: host must be an IP literal (127.0.0.1 or ::1), got {go_quote(host)}")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if not ip.is_loopback:
        raise ConfigError(f"config: {key}: host must be loopback (127.0.0.0/8 or ::1), got {go_quote(host)}")


def split_host_port(addr):
    """net.SplitHostPort."""
    if addr.startswith("["):
        end = addr.find("]")
        if end < 0:
            raise ValueError("missing ']' in address")
        host, rest = addr[1:end], addr[end + 1:]
        if not rest.startswith(":"):
            raise ValueError("missing port in address")
        port = rest[1:]
    else:
        i = addr.rfind(":")
        if i < 0:
            raise ValueError("missing port in address")
        host, port = addr[:i], addr[i + 1:]
        if ":" in host:
            raise ValueError("too many colons in address")
    if any(c in host + port for c in "[]") or ":" in port:
        raise ValueError("unexpected character in address")
    return host, port


def validate_optional_http_url(key, raw):
    if raw == "":
        return
    u = urllib.parse.urlsplit(raw)
    if u.scheme not in ("http", "https") or not u.netloc:
        raise ConfigError(f"config: {key}: must be an absolute http(s) URL")


def parse_trusted_proxy(entry):
    """WebConfig.TrustedProxyNets: a CIDR (net.ParseCIDR) or a bare IP (/32, /128)."""
    try:
        if "/" in entry:
            addr, bits = entry.split("/", 1)
            if not re.fullmatch(r"[0-9]{1,3}", bits):
                raise ValueError
            ip = ipaddress.ip_address(addr)
            return ipaddress.ip_network(f"{ip}/{bits}", strict=False)
        return ipaddress.ip_network(ipaddress.ip_address(entry))
    except ValueError:
        raise ConfigError(f"config: web.trusted_proxies: invalid entry {go_quote(entry)}")


def validate(c):
    """config.go Validate, in its order."""
    if c["env"].lower() not in ("dev", "staging", "prod"):
        raise ConfigError(f"config: env: must be dev|staging|prod, got {go_quote(c['env'])}")
    c["env"] = c["env"].lower()
    if c["log.level"].lower() not in ("debug", "info", "warn", "error"):
        raise ConfigError(f"config: log.level: must be debug|info|warn|error, got {go_quote(c['log.level'])}")
    if c["log.format"].lower() not in ("text", "json"):
        raise ConfigError(f"config: log.format: must be text|json, got {go_quote(c['log.format'])}")
    if c["web.addr"] == "":
        raise ConfigError("config: web.addr is required")
    validate_loopback_addr("web.pprof_addr", c["web.pprof_addr"])
    c["web.trusted_proxy_nets"] = [parse_trusted_proxy(x) for x in c["web.trusted_proxies"]]
    if c["tracing.enabled"] and c["tracing.endpoint"] == "":
        raise ConfigError("config: tracing.endpoint is required when tracing.enabled=true")
    if not 0 <= c["tracing.sample_rate"] <= 1:
        raise ConfigError(f"config: tracing.sample_rate: must be in [0, 1], got {c['tracing.sample_rate']}")
    if c["storage.repos_root"] == "":
        raise ConfigError("config: storage.repos_root is required")
    s3 = {k: c["storage.s3." + k] for k in ("endpoint", "bucket", "access_key_id", "secret_access_key")}
    if any(s3.values()):
        missing = [k for k, v in s3.items() if not v]
        if missing:
            raise ConfigError("config: storage.s3: incomplete configuration, missing: " + ", ".join(missing))
    backend = c["auth.email_backend"]
    if backend not in ("stdout", "smtp", "postmark", "resend"):
        raise ConfigError(f"config: auth.email_backend: must be stdout|smtp|postmark|resend, got {go_quote(backend)}")
    if backend == "smtp" and c["auth.smtp.addr"] == "":
        raise ConfigError("config: auth.smtp.addr is required when email_backend=smtp")
    if backend == "postmark" and c["auth.postmark.server_token"] == "":
        raise ConfigError("config: auth.postmark.server_token is required when email_backend=postmark")
    if backend == "resend" and c["auth.resend.api_key"] == "":
        raise ConfigError("config: auth.resend.api_key is required when email_backend=resend")
    if c["auth.base_url"] == "":
        raise ConfigError("config: auth.base_url is required (used in email links)")
    if c["auth.site_name"] == "":
        raise ConfigError("config: auth.site_name is required")
    if c["auth.email_from"] == "":
        raise ConfigError("config: auth.email_from is required")
    for key in ("ratelimit.api.authed_per_hour", "ratelimit.api.anon_per_hour", "ratelimit.html.anon_burst",
                "ratelimit.html.anon_refill_per_sec", "ratelimit.html.authed_burst", "ratelimit.html.authed_refill_per_sec"):
        if c[key] < 0:
            raise ConfigError(f"config: {key}: must be >= 0, got {c[key]}")
    if c["billing.grace_period"] < 0:
        raise ConfigError(f"config: billing.grace_period: must be >= 0, got {c['billing.grace_period']}s")
    for key in ("billing.stripe.success_url", "billing.stripe.cancel_url", "billing.stripe.portal_return_url"):
        validate_optional_http_url(key, c[key])
    if c["billing.enabled"]:
        for key in ("secret_key", "webhook_secret", "team_price_id"):
            if c["billing.stripe." + key] == "":
                raise ConfigError(f"config: billing.stripe.{key} is required when billing.enabled=true")
        validate_optional_http_url("auth.base_url", c["auth.base_url"])


def load_config():
    """config.Load(nil): defaults, file, environment, aliases, Validate. Raises ConfigError."""
    cfg = {key: default for key, _, default in CONFIG_FIELDS}
    merge_file(cfg)
    for key, kind, _ in CONFIG_FIELDS:  # mergeEnv: a variable that is set, even to "", is applied
        raw = os.environ.get("SHITHUB_" + key.upper().replace(".", "__"))
        if raw is None:
            continue
        try:
            cfg[key] = set_field(kind, raw)
        except ValueError as e:
            raise ConfigError(f"config: {key}: {e}")
    for key, alias in (("db.url", "SHITHUB_DATABASE_URL"), ("session.key_b64", "SHITHUB_SESSION_KEY"),
                       ("auth.totp_key_b64", "SHITHUB_TOTP_KEY")):
        if cfg[key] == "" and os.environ.get(alias):
            cfg[key] = os.environ[alias]
    validate(cfg)
    if "needs-new-var" in FLAGS and not os.environ.get("SHITHUB_NEW_THING"):
        raise ConfigError("config: SHITHUB_NEW_THING is required by this release (fake flag needs-new-var)")
    return cfg


# ---------------------------------------------------------------------------------------------
# The database, through psql (the real binary uses a pgx pool; db.Open pings before returning)

class DBError(Exception):
    pass


def psql(url, sql, variables=None, connect_timeout=5.0, timeout=None):
    """Runs sql (from stdin, so :'var' quoting works) and returns rows of text fields."""
    env = dict(os.environ, PGCONNECT_TIMEOUT=str(max(2, math.ceil(connect_timeout))))
    args = ["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1", "-d", url]
    for name, value in (variables or {}).items():
        args += ["-v", f"{name}={value}"]
    try:
        r = subprocess.run(args, input=sql, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise DBError("context deadline exceeded")
    except OSError as e:
        raise DBError(str(e))
    if r.returncode != 0:
        lines = [l.strip() for l in r.stderr.splitlines() if l.strip()]
        errors = [l for l in lines if re.match(r"(psql:\S* )?(ERROR|FATAL|error):", l)]
        raise DBError((errors or lines or [f"psql exited {r.returncode}"])[0])
    return [line.split("\x1f") for line in r.stdout.splitlines() if line != ""]


def db_open(url, connect_timeout=5.0, timeout=None):
    """db.Open's ping: raises DBError when the database cannot be reached."""
    psql(url, "SELECT 1;", connect_timeout=connect_timeout, timeout=timeout or connect_timeout + 1)


# ---------------------------------------------------------------------------------------------
# migrate up

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS users (
    id            bigserial   PRIMARY KEY,
    username      text        NOT NULL,
    display_name  text        NOT NULL DEFAULT '',
    password_hash text        NOT NULL DEFAULT '',
    email         text        NOT NULL DEFAULT '',
    email_verified_at timestamptz,
    suspended_at  timestamptz,
    suspended_reason text,
    deleted_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS users_username_key ON users (lower(username));
CREATE UNIQUE INDEX IF NOT EXISTS users_email_key ON users (lower(email)) WHERE email <> '';
CREATE TABLE IF NOT EXISTS email_verifications (
    token      text        PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS sessions (
    token      text        PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS user_ssh_keys (
    id                 bigserial   PRIMARY KEY,
    user_id            bigint      NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title              text        NOT NULL DEFAULT 'key',
    fingerprint_sha256 text        NOT NULL UNIQUE,
    key_type           text        NOT NULL DEFAULT 'ssh-ed25519',
    key_bits           integer     NOT NULL DEFAULT 0,
    public_key         text        NOT NULL,
    last_used_at       timestamptz,
    last_used_ip       inet,
    created_at         timestamptz NOT NULL DEFAULT now(),
    kind               text        NOT NULL DEFAULT 'authentication' CHECK (kind IN ('authentication', 'signing'))
);
CREATE TABLE IF NOT EXISTS repos (
    id             bigserial   PRIMARY KEY,
    owner_user_id  bigint      REFERENCES users(id) ON DELETE CASCADE,
    owner_org_id   bigint,
    name           text        NOT NULL,
    description    text        NOT NULL DEFAULT '',
    visibility     text        NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private')),
    default_branch text        NOT NULL DEFAULT 'trunk',
    is_archived    boolean     NOT NULL DEFAULT false,
    archived_at    timestamptz,
    deleted_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS repos_owner_user_name_idx ON repos (owner_user_id, lower(name)) WHERE deleted_at IS NULL;
CREATE TABLE IF NOT EXISTS jobs (
    id           bigserial   PRIMARY KEY,
    kind         text        NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 100),
    payload      jsonb       NOT NULL DEFAULT '{}',
    run_at       timestamptz NOT NULL DEFAULT now(),
    attempts     int         NOT NULL DEFAULT 0,
    max_attempts int         NOT NULL DEFAULT 5,
    last_error   text,
    locked_by    text,
    locked_at    timestamptz,
    completed_at timestamptz,
    failed_at    timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS push_events (
    id             bigserial   PRIMARY KEY,
    repo_id        bigint      NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    pusher_user_id bigint      REFERENCES users(id) ON DELETE SET NULL,
    before_sha     text        NOT NULL,
    after_sha      text        NOT NULL,
    ref            text        NOT NULL CHECK (char_length(ref) BETWEEN 1 AND 255),
    protocol       text        NOT NULL CHECK (protocol IN ('http', 'ssh', 'web')),
    request_id     text        NOT NULL DEFAULT '',
    processed_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
"""


def migration_files(target):
    """The embedded migrations of this release: (version, file name, SQL). File 1 is the base
    schema; file k>1 creates schema_v<k>; with bad-migration the last one fails."""
    seconds = float(flag_value("migration-seconds", "0"))
    files = []
    for v in range(1, target + 1):
        name = f"{v:04d}_base.sql" if v == 1 else f"{v:04d}_schema_v{v}.sql"
        sql = SCHEMA_SQL if v == 1 else f"CREATE TABLE schema_v{v} (id int);"
        if v == target and "bad-migration" in FLAGS:
            sql = "CREATE TABLE broken_migration (id int); SELECT no_such_function();"
        if seconds:
            sql += f"SELECT pg_sleep({seconds});"
        files.append((v, name, sql))
    return files


def migrate(argv):
    if argv[:1] != ["up"]:
        if argv[:1] in (["down"], ["status"], ["version"], ["redo"], ["reset"]):
            return not_modelled("migrate " + argv[0])
        return group_help("migrate", "Run database migrations against SHITHUB_DATABASE_URL using goose.",
                          ["up", "down", "status", "version", "redo", "reset"])
    url = os.environ.get("SHITHUB_DATABASE_URL", "")
    if not url:
        return fail("db: no DATABASE_URL configured (set SHITHUB_DATABASE_URL)")
    target = int(flag_value("migrations", "1"))
    version_sql = "SELECT coalesce(max(version_id), 0) FROM goose_db_version;"
    try:
        rows = psql(url,
                    "CREATE TABLE IF NOT EXISTS goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL,"
                    " is_applied boolean NOT NULL DEFAULT true, tstamp timestamptz DEFAULT now());"
                    "CREATE TABLE IF NOT EXISTS migration_runs (id serial PRIMARY KEY, release text, at timestamptz DEFAULT now());"
                    + version_sql)
    except DBError as e:
        return fail(f"migrate: {e}")
    current = int(rows[-1][0])
    pending = [f for f in migration_files(target) if f[0] > current]
    if not pending:
        print(f"goose: no migrations to run. current version: {current}", file=sys.stderr)
        return 0
    # goose: every file in its own transaction, its version row inserted inside it; ON_ERROR_STOP
    # ends the script at the first failure, so earlier files stay committed and the failing one
    # rolls back with the connection.
    script = ""
    for v, name, sql in pending:
        script += f"BEGIN;\n{sql}\nINSERT INTO goose_db_version (version_id, is_applied) VALUES ({v}, true);\nCOMMIT;\n"
    error = None
    try:
        psql(url, script)
    except DBError as e:
        error = e
    try:
        reached = int(psql(url, version_sql)[-1][0])
        if reached > current:
            psql(url, "INSERT INTO migration_runs (release) VALUES (:'release');", {"release": VERSION})
    except DBError as e:
        return fail(f"migrate: {e}")
    if error is not None:
        failed = next((name for v, name, _ in pending if v > reached), pending[-1][1])
        return fail(f"migrate: ERROR {failed}: failed to run SQL migration: {error}")
    print(f"goose: successfully migrated database to version: {target}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------------------
# config validate

def config_cmd(argv):
    if argv[:1] == ["validate"]:
        try:
            load_config()
        except ConfigError as e:
            return fail(e)
        return 0
    if argv[:1] == ["print"]:
        return not_modelled("config print")
    return group_help("config", "Inspect the resolved shithub configuration", ["print", "validate"])


# ---------------------------------------------------------------------------------------------
# worker

def worker(argv):
    i, flag_workers = 0, None
    while i < len(argv):  # --workers N | --workers=N (the count only sizes the real pool)
        a = argv[i]
        if a == "--workers" and i + 1 < len(argv):
            flag_workers, i = argv[i + 1], i + 2
            continue
        if not a.startswith("--workers="):
            return fail(f"unknown flag: {a}" if a.startswith("-") else f"unknown command {go_quote(a)} for \"shithubd worker\"")
        flag_workers = a.split("=", 1)[1]
        i += 1
    try:
        cfg = load_config()
    except ConfigError as e:
        return fail(f"config: {e}")
    if cfg["db.url"] == "":
        return fail("worker: SHITHUB_DATABASE_URL unset")
    root = os.path.abspath(cfg["storage.repos_root"])
    if not os.path.isdir(root):
        return fail(f"repo fs: storage: repofs: stat root: stat {root}: no such file or directory"
                    if not os.path.exists(root) else f"repo fs: storage: repofs: root {go_quote(root)} is not a directory")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        db_open(cfg["db.url"], connect_timeout=5.0)
        if "worker-crash" in FLAGS:
            raise DBError("FATAL: password authentication failed for user \"shithub\" (fake flag worker-crash)")
    except DBError as e:
        return fail(f"db: db: ping: {e}")
    # internal/worker/pool.go@1dfa86fb Run: logged once the pool is open and every handler registered.
    # worker.go@bf76678a logs text whatever log.format says; FLAG worker-json-log models a future
    # worker that adopts the configured format.
    global LOG_FORMAT
    if "worker-json-log" in FLAGS:
        LOG_FORMAT = cfg["log.format"].lower()
    try:
        workers = go_parse_int(flag_workers or os.environ.get("SHITHUB_WORKERS") or "4")
    except ValueError:
        workers = 4
    log("INFO", "worker: starting", workers=workers, instance_id=f"{socket.gethostname()}:{os.getpid()}",
        kinds=["push:process", "repo:size_recalc", "jobs:purge"])
    while not stop.wait(1):
        pass
    log("INFO", "worker: stopped")
    return 0


# ---------------------------------------------------------------------------------------------
# admin run-job

def admin(argv):
    if argv[:1] != ["run-job"]:
        if argv[:1] in (["reset-password"], ["clear-2fa"], ["bootstrap-admin"], ["recompute"], ["runner"],
                        ["re-encrypt-webhooks"]):
            return not_modelled("admin " + argv[0])
        return group_help("admin", "Site-admin tooling (operator escape hatches)",
                          ["bootstrap-admin", "clear-2fa", "recompute", "reset-password", "run-job"])
    args = argv[1:]
    if not 1 <= len(args) <= 2:
        return fail(f"accepts between 1 and 2 arg(s), received {len(args)}")
    kind = args[0]
    try:
        payload = json.loads(args[1] if len(args) == 2 else "{}")
        if payload is not None and not isinstance(payload, dict):
            kind_name = {list: "array", str: "string", bool: "bool", int: "number", float: "number"}[type(payload)]
            raise ValueError(f"json: cannot unmarshal {kind_name} into Go value of type map[string]interface {{}}")
    except ValueError as e:
        return fail(f"payload not valid JSON: {e}")
    try:
        cfg = load_config()
    except ConfigError as e:
        return fail(e)
    if cfg["db.url"] == "":
        return fail("admin run-job: DB not configured")
    timeout = cfg["db.connect_timeout"]
    try:
        db_open(cfg["db.url"], connect_timeout=timeout)
    except DBError as e:
        return fail(f"db open: db: ping: {e}")
    try:
        rows = psql(cfg["db.url"], "INSERT INTO jobs (kind, payload) VALUES (:'kind', :'payload'::jsonb) RETURNING id;",
                    {"kind": kind, "payload": json.dumps(payload, separators=(",", ":"), sort_keys=True)},
                    connect_timeout=timeout, timeout=30)
    except DBError as e:
        return fail(f"enqueue: worker: enqueue {kind}: {e}")
    print(f"run-job: enqueued #{rows[0][0]} (kind={kind})")
    return 0


# ---------------------------------------------------------------------------------------------
# ssh-authkeys

FINGERPRINT_RE = re.compile(r"SHA256:[A-Za-z0-9+/=]{30,80}")


def remote_ip_from_env():
    fields = os.environ.get("SSH_CONNECTION", "").split()
    return fields[0] if fields else ""


def ssh_authkeys(argv):
    """Fail closed: nothing on stdout and exit 0 for an unknown key and for every error."""
    if len(argv) != 1:
        return fail(f"accepts 1 arg(s), received {len(argv)}")
    fp = argv[0].strip()
    if not FINGERPRINT_RE.fullmatch(fp):
        return 0
    try:
        cfg = load_config()
    except ConfigError:
        return 0
    if cfg["db.url"] == "":
        return 0
    try:
        rows = psql(cfg["db.url"],
                    "SELECT id, user_id, public_key FROM user_ssh_keys"
                    " WHERE fingerprint_sha256 = :'fp' AND kind = 'authentication';",
                    {"fp": fp}, connect_timeout=0.75, timeout=1.5)
    except DBError:
        return 0
    if len(rows) != 1:
        return 0
    key_id, user_id, public_key = rows[0]
    command = f"{os.path.basename(sys.argv[0])} ssh-shell {int(user_id)}"
    options = ",".join([f'command="{command}"', "no-port-forwarding", "no-X11-forwarding", "no-agent-forwarding", "no-pty"])
    print(options + " " + public_key, flush=True)
    ip = remote_ip_from_env()
    try:
        ip = str(ipaddress.ip_address(ip))
    except ValueError:
        ip = ""
    try:  # best-effort last-used update, 500 ms cap
        psql(cfg["db.url"], "UPDATE user_ssh_keys SET last_used_at = now(), last_used_ip = NULLIF(:'ip', '')::inet"
             " WHERE id = :'id';", {"ip": ip, "id": key_id}, connect_timeout=0.5, timeout=0.5)
    except DBError:
        pass
    return 0


# ---------------------------------------------------------------------------------------------
# ssh-shell

SSH_CMD_RE = re.compile(r"(git-upload-pack|git-receive-pack)[\t\n\f\r ]+(?:'([^']+)'|([^'\t\n\f\r ]+))\Z")
OWNER_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,37}[a-z0-9])?")
REPO_RE = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,98}[a-z0-9_])?")


class Refusal(Exception):
    """A typed dispatch error: the friendly line the user sees, and the error cobra prints."""

    def __init__(self, friendly, err):
        super().__init__(err)
        self.friendly = friendly


NOT_FOUND = "shithub: repository not found"


def parse_ssh_command(cmd):
    """protocol.ParseSSHCommand: (service, owner, repo) or Refusal."""
    unknown = Refusal("shithub does not allow shell access", "ssh: unsupported command")
    if cmd != cmd.strip():
        raise unknown
    m = SSH_CMD_RE.match(cmd)
    if not m:
        raise unknown
    service, path = m.group(1), m.group(2) or m.group(3)
    if path.endswith(".git"):
        path = path[:-4]
    if "/" not in path:
        raise Refusal(NOT_FOUND, "ssh: invalid repo path: missing owner/repo split")
    owner, repo = path.split("/", 1)
    if "/" in repo:
        raise Refusal(NOT_FOUND, "ssh: invalid repo path: extra path segments")
    owner, repo = owner.lower(), repo.lower()
    if not OWNER_RE.fullmatch(owner):
        raise Refusal(NOT_FOUND, "ssh: invalid repo path: owner shape")
    if ".." in owner:
        raise Refusal(NOT_FOUND, "ssh: invalid repo path: dot-dot")
    if not REPO_RE.fullmatch(repo):
        raise Refusal(NOT_FOUND, "ssh: invalid repo path: repo shape")
    if ".." in repo:
        raise Refusal(NOT_FOUND, "ssh: invalid repo path: dot-dot")
    if repo.startswith("."):
        raise Refusal(NOT_FOUND, "ssh: invalid repo path: starts with dot")
    return service, owner, repo


def repo_path(root, owner, name):
    """storage.RepoFS.RepoPath: <root>/<shard>/<owner>/<name>.git, shard = first two letters."""
    owner, name = owner.lower(), name.lower()
    shard = owner[:2] if len(owner) >= 2 else (owner + "_" if owner else "__")
    return os.path.join(root, shard, owner, name + ".git")


REPO_LOOKUP_SQL = """
SELECT u.id, u.username, u.suspended_at IS NOT NULL, o.id, r.id, r.name, r.visibility, r.is_archived
FROM (SELECT 1) AS one
LEFT JOIN users u ON u.id = :'uid'::bigint AND u.deleted_at IS NULL
LEFT JOIN users o ON lower(o.username) = lower(:'owner') AND o.deleted_at IS NULL
LEFT JOIN repos r ON r.owner_user_id = o.id AND lower(r.name) = lower(:'repo') AND r.deleted_at IS NULL;
"""


def ssh_shell(argv):
    if len(argv) != 1:
        return fail(f"accepts 1 arg(s), received {len(argv)}")
    try:
        user_id = go_parse_int(argv[0])
    except ValueError as e:
        print("shithub: invalid user", file=sys.stderr)
        return fail(f"ssh-shell: bad user_id {go_quote(argv[0])}: {e}")
    original = os.environ.get("SSH_ORIGINAL_COMMAND", "")
    remote_ip = remote_ip_from_env()
    try:
        cfg = load_config()
        cfg_err = None if cfg["db.url"] and cfg["storage.repos_root"] else "%!w(<nil>)"
    except ConfigError as e:
        cfg, cfg_err = None, str(e)
    if cfg_err is not None:
        print("shithub: server misconfigured", file=sys.stderr)
        return fail(f"ssh-shell: cfg: {cfg_err}")
    root = os.path.abspath(cfg["storage.repos_root"])
    if not os.path.isdir(root):
        print("shithub: server misconfigured", file=sys.stderr)
        return fail(f"ssh-shell: NewRepoFS: storage: repofs: stat root: stat {root}: no such file or directory")
    url = cfg["db.url"]
    try:
        db_open(url, connect_timeout=1.5, timeout=5)
    except DBError as e:
        print("shithub: temporary failure (try again)", file=sys.stderr)
        return fail(f"ssh-shell: db open: db: ping: {e}")
    try:
        service, owner, repo = parse_ssh_command(original)
        try:
            rows = psql(url, REPO_LOOKUP_SQL, {"uid": user_id, "owner": owner, "repo": repo},
                        connect_timeout=1.5, timeout=5)
        except DBError as e:
            raise Refusal("shithub: internal error", f"ssh dispatch: internal error: {e}")
        uid, username, suspended, owner_id, repo_id, repo_name, visibility, archived = rows[0]
        if uid == "":
            raise Refusal("shithub: internal error", "ssh dispatch: internal error: no rows in result set")
        if suspended == "t":
            raise Refusal("shithub: your account is suspended", "ssh dispatch: suspended")
        if owner_id == "" or repo_id == "":
            raise Refusal(NOT_FOUND, "ssh dispatch: repo not found")
        is_owner = owner_id == uid
        if visibility == "private" and not is_owner:
            raise Refusal(NOT_FOUND, "ssh dispatch: repo not found")
        if service == "git-receive-pack":
            if archived == "t":
                raise Refusal("shithub: this repository is archived; pushes are disabled", "ssh dispatch: archived")
            if not is_owner:
                raise Refusal("shithub: permission denied", "ssh dispatch: permission denied")
    except Refusal as r:
        print(r.friendly, file=sys.stderr)
        log("WARN", "ssh-shell: denied", user_id=user_id, original=original, remote_ip=remote_ip, error=str(r))
        return fail(r)
    log("INFO", "ssh-shell: dispatch", user_id=user_id, op=service, owner=owner, repo=repo, remote_ip=remote_ip)
    env = dict(os.environ)
    env.update({
        "SHITHUB_USER_ID": uid, "SHITHUB_USERNAME": username, "SHITHUB_REPO_ID": repo_id,
        "SHITHUB_REPO_FULL_NAME": f"{owner}/{repo_name}", "SHITHUB_PROTOCOL": "ssh",
        "SHITHUB_REMOTE_IP": remote_ip, "SHITHUB_REQUEST_ID": secrets.token_hex(16),
        "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "safe.directory", "GIT_CONFIG_VALUE_0": "*",
    })
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(service, [service, repo_path(root, owner, repo_name)], env)
    except OSError as e:
        print("shithub: server misconfigured", file=sys.stderr)
        return fail(f"ssh-shell: lookup {service}: {e}")


# ---------------------------------------------------------------------------------------------
# web: metrics

def exponential_buckets(start, factor, count):
    """prometheus.ExponentialBuckets: start, start*factor, ... (multiplied step by step, like Go)."""
    out = []
    for _ in range(count):
        out.append(start)
        start *= factor
    return out


HTTP_BUCKETS = exponential_buckets(0.001, 2.5, 12)
TRIGGER_BUCKETS = exponential_buckets(0.005, 2.0, 12)


def go_float(f):
    """expfmt's writeFloat: strconv.FormatFloat(f, 'g', -1, 64), with 1/0/-1/NaN/Inf shortcuts."""
    if f in (1, 0, -1):
        return str(int(f))
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    _, digits, exp = decimal.Decimal(repr(abs(float(f)))).as_tuple()  # shortest round-trip digits
    digits = list(digits)
    while len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exp += 1
    d = "".join(map(str, digits))
    point = len(d) + exp  # value = 0.d x 10^point
    sign = "-" if f < 0 else ""
    x = point - 1
    if x < -4 or x >= 6:  # %e when the exponent is < -4 or >= 6 (shortest precision)
        return f"{sign}{d[0]}{'.' + d[1:] if len(d) > 1 else ''}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{d}"
    if point >= len(d):
        return f"{sign}{d}{'0' * (point - len(d))}"
    return f"{sign}{d[:point]}.{d[point:]}"


def label_str(labels):
    def esc(v):
        return str(v).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
    return "{" + ",".join(f'{k}="{esc(v)}"' for k, v in labels) + "}" if labels else ""


class Metrics:
    """The shared registry's families the web process exposes, fed by the metrics middleware."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = {}  # (route, method, status) -> count
        self.durations = {}  # (route, method) -> [bucket counts..., sum, count]
        self.in_flight = 0
        self.panics = 0
        self.pool_stat = (0, 0, 0)  # acquired, idle, total: the observer refreshes every 10 s

    def begin(self):
        with self.lock:
            self.in_flight += 1

    def end(self, route, method, status, seconds):
        with self.lock:
            self.in_flight -= 1
            key = (route, method, str(status))
            self.requests[key] = self.requests.get(key, 0) + 1
            h = self.durations.setdefault((route, method), [0] * len(HTTP_BUCKETS) + [0.0, 0])
            for i, le in enumerate(HTTP_BUCKETS):
                if seconds <= le:
                    h[i] += 1
            h[-2] += seconds
            h[-1] += 1

    @staticmethod
    def family(out, name, kind, help_text, samples):
        out.append(f"# HELP {name} {help_text.replace(chr(92), chr(92) * 2).replace(chr(10), chr(92) + 'n')}")
        out.append(f"# TYPE {name} {kind}")
        for suffix, labels, value in samples:
            out.append(f"{name}{suffix}{label_str(labels)} {value if isinstance(value, str) else go_float(value)}")

    @staticmethod
    def histogram(buckets, labels, counts, total, count):
        samples = [("_bucket", labels + [("le", go_float(le))], str(counts[i])) for i, le in enumerate(buckets)]
        samples += [("_bucket", labels + [("le", "+Inf")], str(count)), ("_sum", labels, total), ("_count", labels, str(count))]
        return samples

    def render(self):
        out = []
        with self.lock:
            requests = sorted(self.requests.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2]))
            durations = sorted(((k, list(v)) for k, v in self.durations.items()), key=lambda kv: (kv[0][1], kv[0][0]))
            in_flight, panics, (acquired, idle, total) = self.in_flight, self.panics, self.pool_stat
        for name, kind, help_text, value in process_metrics():
            self.family(out, name, kind, help_text, [("", [], value)])
        self.family(out, "shithub_actions_runner_registrations_total", "counter",
                    "Total Actions runners registered through operator tooling.", [("", [], 0)])
        self.family(out, "shithub_actions_trigger_match_duration_seconds", "histogram",
                    "Wall-clock time spent in the trigger handler discovering + parsing + matching workflows for one triggering event.",
                    self.histogram(TRIGGER_BUCKETS, [], [0] * 12, 0, 0))
        beats = backup_heartbeats()
        if beats:
            self.family(out, "shithub_backup_last_success_seconds", "gauge",
                        "Unix timestamp of the last fully successful run of each backup job, from its heartbeat file. "
                        "The series is absent when the job has never succeeded on this host, so alert on absent() as well as on age.",
                        [("", [("job", job)], ts) for job, ts in sorted(beats.items())])
        self.family(out, "shithub_db_pool_acquire_wait_seconds_total", "counter",
                    "Cumulative time clients spent waiting to acquire a Postgres connection.", [("", [], 0)])
        self.family(out, "shithub_db_pool_acquired", "gauge", "Postgres connections currently checked out of the pool.", [("", [], acquired)])
        self.family(out, "shithub_db_pool_idle", "gauge", "Postgres connections currently idle in the pool.", [("", [], idle)])
        self.family(out, "shithub_db_pool_total", "gauge", "Postgres connections currently held by the pool.", [("", [], total)])
        self.family(out, "shithub_http_in_flight", "gauge", "Number of HTTP requests currently in flight.", [("", [], in_flight)])
        if durations:
            samples = []
            for (route, method), h in durations:
                samples += self.histogram(HTTP_BUCKETS, [("method", method), ("route", route)], h[:-2], h[-2], h[-1])
            self.family(out, "shithub_http_request_duration_seconds", "histogram",
                        "HTTP request duration distribution by route and method.", samples)
        if requests:
            self.family(out, "shithub_http_requests_total", "counter", "Total HTTP requests by route, method, and status.",
                        [("", [("method", m), ("route", r), ("status", s)], n) for (r, m, s), n in requests])
        self.family(out, "shithub_panics_total", "counter", "Total panics caught by the recover middleware.", [("", [], panics)])
        return "\n".join(out) + "\n"


def process_metrics():
    """Some of the ProcessCollector's series, from /proc (each skipped when unreadable)."""
    out = []

    def add(name, kind, help_text, compute):
        try:
            out.append((name, kind, help_text, compute()))
        except (OSError, ValueError, IndexError, StopIteration):
            pass
    stat = lambda: open("/proc/self/stat").read().rsplit(")", 1)[1].split()  # noqa: E731
    ticks = os.sysconf("SC_CLK_TCK")
    add("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
        lambda: (int(stat()[11]) + int(stat()[12])) / ticks)
    add("process_max_fds", "gauge", "Maximum number of open file descriptors.",
        lambda: float(next(l.split()[3] for l in open("/proc/self/limits") if l.startswith("Max open files"))))
    add("process_open_fds", "gauge", "Number of open file descriptors.", lambda: len(os.listdir("/proc/self/fd")))
    add("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
        lambda: int(stat()[21]) * os.sysconf("SC_PAGE_SIZE"))
    add("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
        lambda: next(float(l.split()[1]) for l in open("/proc/stat") if l.startswith("btime")) + int(stat()[19]) / ticks)
    add("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", lambda: int(stat()[20]))
    return out


def backup_heartbeats():
    """BackupHeartbeatCollector: epoch seconds from the heartbeat files; absent when unreadable."""
    out = {}
    for job, name in (("daily", "backup-last-success"), ("spaces-sync", "spaces-sync-last-success")):
        try:
            n = go_parse_int(open(os.path.join("/var/lib/shithub", name)).read().strip())
        except (OSError, ValueError):
            continue
        if n > 0:
            out[job] = float(n)
    return out


# ---------------------------------------------------------------------------------------------
# web: the HTTP server

SECURE_HEADERS = [
    ("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
     "script-src 'self' 'unsafe-inline'; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
     "form-action 'self' https://checkout.stripe.com https://billing.stripe.com; base-uri 'self'; object-src 'none'"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
]
REQUEST_ID_RE = re.compile(r"[0-9A-Za-z_/:.-]{1,128}")
GIT_ROUTE_RE = re.compile(r"/([^/]+)/([^/.]+)\.git/(info/refs|git-upload-pack|git-receive-pack)")
TEXT = "text/plain; charset=utf-8"
MAX_PUSH_BYTES = 2 * 1024 * 1024 * 1024


class WebState:
    def __init__(self, cfg, pool):
        self.cfg = cfg
        self.pool = pool  # True when the startup ping succeeded (the real pool), else None
        self.metrics = Metrics()
        self.repos_root = os.path.abspath(cfg["storage.repos_root"])
        self.idle = threading.Condition()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # IdleTimeout
    state: WebState = None

    # -- plumbing ------------------------------------------------------------------------------

    def log_message(self, *args):
        pass

    def send_response(self, code, message=None):  # no "Server:" header, like net/http
        self.status = code
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def start(self, status, ctype=None, headers=(), length=None, chunked=False):
        self.send_response(status)
        for k, v in SECURE_HEADERS:
            self.send_header(k, v)
        if self.headers.get("X-Forwarded-Proto") == "https":
            self.send_header("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        self.send_header("X-Request-Id", self.request_id)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.chunked = chunked and self.request_version == "HTTP/1.1"
        if self.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif length is None:
            self.close_connection = True
        self.end_headers()

    def reply(self, status, body, ctype=TEXT, headers=()):
        body = body.encode() if isinstance(body, str) else body
        self.drain_body()
        self.start(status, ctype, headers, length=len(body))
        if self.command != "HEAD":
            self.wfile.write(body)

    def write(self, data):
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data)

    def finish_stream(self):
        if self.chunked:
            self.wfile.write(b"0\r\n\r\n")

    def read_body(self, limit=MAX_PUSH_BYTES):
        if self.body_read:
            return b""
        self.body_read = True
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts, total = [], 0
            while True:
                size = int(self.rfile.readline(65537).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > limit:
                    raise ValueError("request body too large")
                parts.append(self.rfile.read(size))
                self.rfile.readline(65537)
            body = b"".join(parts)
        else:
            n = int(self.headers.get("Content-Length") or 0)
            if n > limit:
                raise ValueError("request body too large")
            body = self.rfile.read(n) if n > 0 else b""
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        return body

    def drain_body(self):
        if not self.body_read:
            try:
                self.read_body(limit=256 * 1024)
            except ValueError:
                self.close_connection = True

    # -- one request: the metrics middleware around the router ---------------------------------

    def handle_any(self):
        incoming = self.headers.get("X-Request-Id", "")
        self.request_id = incoming if REQUEST_ID_RE.fullmatch(incoming) else secrets.token_hex(16)
        self.status, self.chunked, self.body_read = 200, False, False
        st = self.state
        st.metrics.begin()
        started = time.monotonic()
        route = "unmatched"
        try:
            route = self.route()
        finally:
            st.metrics.end(route, self.command, self.status, time.monotonic() - started)
            with st.idle:
                st.idle.notify_all()

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = handle_any

    def route(self):
        """The chi router: returns the matched route pattern (the metrics label)."""
        st = self.state
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        if "unhealthy" in FLAGS:
            self.reply(500, f"shithubd {VERSION}: unhealthy (fake flag)\n")
            return path if path in ("/", "/healthz", "/readyz", "/metrics") else "unmatched"
        get_only = {"/": self.landing, "/healthz": self.healthz, "/internal/panic": self.panic}
        if path in get_only:
            if self.command != "GET":
                self.reply(405, b"", ctype=None)
            else:
                get_only[path]()
            return path
        if path == "/readyz":
            self.readyz()
            return path
        if path == "/metrics" and st.cfg["metrics.enabled"]:
            self.metrics_handler()
            return path
        m = GIT_ROUTE_RE.fullmatch(path) if st.pool else None
        if m:
            owner, repo, tail = m.groups()
            method = "GET" if tail == "info/refs" else "POST"
            pattern = "/{owner}/{repo}.git/" + tail
            if self.command != method:
                self.reply(405, b"", ctype=None)
            elif tail == "info/refs":
                self.info_refs(owner, repo, urllib.parse.parse_qs(url.query).get("service", [""])[0])
            else:
                self.run_pack(owner, repo, tail)
            return pattern
        self.reply(404, f"<!doctype html><title>404 · shithub</title><p>Not found: {path}</p>\n", ctype="text/html; charset=utf-8")
        return "unmatched"

    # -- routes --------------------------------------------------------------------------------

    def landing(self):
        self.reply(200, f"shithubd {VERSION}\n", ctype="text/html; charset=utf-8")

    def healthz(self):
        self.reply(200, "ok\n", headers=[("Cache-Control", "no-store")])

    def panic(self):
        with self.state.metrics.lock:
            self.state.metrics.panics += 1
        log("ERROR", "panic recovered", panic="S02 panic trigger: this is intentional", path=self.path)
        self.reply(500, "<!doctype html><title>500 · shithub</title><p>Internal server error</p>\n", ctype="text/html; charset=utf-8")

    def readyz(self):
        no_store = [("Cache-Control", "no-store")]
        if self.state.pool is None:
            self.reply(200, "ready\n", headers=no_store)
            return
        try:
            db_open(self.state.cfg["db.url"], connect_timeout=2, timeout=2)
        except DBError as e:
            log("WARN", "readyz: dependency unhealthy", error=str(e))
            self.reply(503, f"not ready: {e}\n", headers=no_store)
            return
        self.reply(200, "ready\n", headers=no_store)

    def metrics_handler(self):
        cfg = self.state.cfg
        user, password = cfg["metrics.basic_auth_user"], cfg["metrics.basic_auth_pass"]
        if user or password:
            got = self.headers.get("Authorization", "")
            ok = False
            if got[:6].lower() == "basic ":
                try:
                    u, _, p = base64.b64decode(got[6:].strip(), validate=True).decode().partition(":")
                    ok = secrets.compare_digest(u, user) and secrets.compare_digest(p, password)
                except (ValueError, UnicodeDecodeError):
                    ok = False
            if not ok:
                self.reply(401, "unauthorized\n", headers=[("WWW-Authenticate", 'Basic realm="metrics"')])
                return
        self.reply(200, self.state.metrics.render(), ctype="text/plain; version=0.0.4; charset=utf-8")

    # -- git smart HTTP (githttp/handler.go) ---------------------------------------------------

    def authorize(self, owner, repo, service):
        """authorizeForService: the repo's on-disk path, or None after writing the refusal."""
        cfg = self.state.cfg
        try:
            rows = psql(cfg["db.url"],
                        "SELECT r.name, r.visibility FROM repos r JOIN users o ON o.id = r.owner_user_id"
                        " WHERE lower(o.username) = lower(:'owner') AND o.deleted_at IS NULL"
                        " AND lower(r.name) = lower(:'repo') AND r.deleted_at IS NULL;",
                        {"owner": owner, "repo": repo}, connect_timeout=cfg["db.connect_timeout"], timeout=10)
        except DBError as e:
            log("ERROR", "githttp: lookup", error=str(e))
            rows = []
        if not rows:
            self.reply(404, "not found\n")
            return None
        name, visibility = rows[0]
        needs_auth = service == "git-receive-pack" or visibility == "private"
        if needs_auth or self.headers.get("Authorization"):
            self.reply(401, "authentication required\n", headers=[("WWW-Authenticate", 'Basic realm="shithub"')])
            return None
        if not (OWNER_RE.fullmatch(owner.lower()) and REPO_RE.fullmatch(name.lower())):
            self.reply(404, "not found\n")
            return None
        return repo_path(self.state.repos_root, owner, name)

    def info_refs(self, owner, repo, service):
        if service not in ("git-upload-pack", "git-receive-pack"):
            self.reply(400, "service query parameter required\n")
            return
        git_dir = self.authorize(owner, repo, service)
        if git_dir is None:
            return
        header = f"# service={service}\n".encode()
        self.stream_git(service, git_dir, b"", f"application/x-{service}-advertisement",
                        prefix=b"%04x%s0000" % (len(header) + 4, header), advertise=True)

    def run_pack(self, owner, repo, service):
        git_dir = self.authorize(owner, repo, service)
        if git_dir is None:
            return
        try:
            body = self.read_body()
        except (ValueError, OSError, EOFError) as e:
            self.close_connection = True
            self.reply(413 if "too large" in str(e) else 400, f"{e}\n")
            return
        self.stream_git(service, git_dir, body, f"application/x-{service}-result")

    def stream_git(self, service, git_dir, body, ctype, prefix=b"", advertise=False):
        args = [service, "--stateless-rpc"] + (["--advertise-refs"] if advertise else []) + [git_dir]
        no_cache = [("Expires", "Fri, 01 Jan 1980 00:00:00 GMT"), ("Pragma", "no-cache"),
                    ("Cache-Control", "no-cache, max-age=0, must-revalidate")]
        self.drain_body()
        self.start(200, ctype, no_cache, chunked=True)
        self.write(prefix)
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        err = []

        def feed():
            try:
                proc.stdin.write(body)
            except OSError:
                pass
            finally:
                proc.stdin.close()
        threads = [threading.Thread(target=feed), threading.Thread(target=lambda: err.append(proc.stderr.read(16384)))]
        for t in threads:
            t.start()
        while True:
            data = proc.stdout.read1(65536)
            if not data:
                break
            self.write(data)
        rc = proc.wait()
        for t in threads:
            t.join()
        self.finish_stream()
        if rc != 0:
            log("ERROR", "githttp: pack" if not advertise else "githttp: info/refs", error=f"exit status {rc}",
                service=service, stderr=b"".join(err).decode(errors="replace").strip())


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # Go listens with the system's somaxconn

    def server_bind(self):  # no getfqdn (a DNS lookup); dual-stack when listening on every interface
        if self.address_family == socket.AF_INET6 and self.server_address[0] == "::":
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[0], self.server_address[1]


def listen(addr, handler):
    """net.Listen("tcp", addr): ":8080" is every interface (IPv6 dual-stack, else IPv4)."""
    host, port = split_host_port(addr)
    port = int(port) if port.isdigit() else socket.getservbyname(port, "tcp")
    if host == "":
        candidates = [(socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0")]
    else:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        infos.sort(key=lambda i: i[0] != socket.AF_INET)
        candidates = [(i[0], i[4][0]) for i in infos]
    last = None
    for family, h in candidates:
        cls = type("Server", (Server,), {"address_family": family})
        try:
            return cls((h, port), handler)
        except OSError as e:
            last = e
            if host != "" or e.errno == 98:  # EADDRINUSE is final
                break
    raise last


def web(argv):
    addr = ":8080"  # cmd/shithubd/web.go: --addr/-a, default ":8080"
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--addr", "-a"):
            if i + 1 >= len(argv):
                return fail(f"flag needs an argument: {a}")
            addr, i = argv[i + 1], i + 2
            continue
        if a.startswith("--addr="):
            addr = a.split("=", 1)[1]
        elif a.startswith("-a") and a != "-a":
            addr = a[2:].lstrip("=")
        else:
            return fail(f"unknown flag: {a}" if a.startswith("-") else f"unknown command {go_quote(a)} for \"shithubd web\"")
        i += 1
    try:
        cfg = load_config()
    except ConfigError as e:
        return fail(e)
    if addr != "":
        cfg["web.addr"] = addr
    key_b64 = os.environ.get("SHITHUB_SESSION_KEY") or cfg["session.key_b64"]
    if key_b64:
        try:
            key = base64.b64decode(key_b64, validate=True)
        except ValueError as e:
            return fail(f"session key: invalid base64: {e}")
        if len(key) != 32:
            return fail(f"session key: must be 32 bytes, got {len(key)}")
    else:
        log("WARN", "session: no key configured; generated an ephemeral key (sessions will not survive restart)",
            hint="set SHITHUB_SESSION_KEY=<base64 32-byte> or session.key_b64 in production")
    pool = None
    if cfg["db.url"]:
        try:
            db_open(cfg["db.url"], connect_timeout=cfg["db.connect_timeout"])
            pool = True
        except DBError as e:
            log("WARN", "db: open failed; /readyz will report unhealthy", error=f"db: ping: {e}")
    if pool is None:
        log("WARN", "auth: no DB pool — signup/login routes not mounted")
    state = WebState(cfg, pool)
    handler = type("BoundHandler", (Handler,), {"state": state})
    try:
        server = listen(cfg["web.addr"], handler)
    except (OSError, ValueError) as e:
        reason = f"bind: {e.strerror.lower()}" if isinstance(e, OSError) and e.strerror else str(e)
        return fail(f"listen tcp {cfg['web.addr']}: {reason}")

    def observe_pool():  # metrics.ObserveDBPool: gauges refreshed every 10 s
        while pool:
            time.sleep(10)
            with state.metrics.lock:
                state.metrics.pool_stat = (0, 1, 1)
    threading.Thread(target=observe_pool, daemon=True).start()

    stopping = threading.Event()

    def on_signal(signum, _frame):
        if not stopping.is_set():
            stopping.set()
            log("INFO", "shutdown signal received", signal=signal.Signals(signum).name)
            threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log("INFO", "shithub web server starting", addr=cfg["web.addr"], env=cfg["env"], db=pool is not None,
        metrics=cfg["metrics.enabled"], tracing=cfg["tracing.enabled"], errrep=cfg["error_reporting.dsn"] != "")
    server.serve_forever(poll_interval=0.1)
    # srv.Shutdown: stop accepting (done), then wait for in-flight requests within shutdown_timeout.
    deadline = time.monotonic() + cfg["web.shutdown_timeout"]
    with state.idle:
        while state.metrics.in_flight > 0 and time.monotonic() < deadline:
            state.idle.wait(timeout=0.1)
    busy = state.metrics.in_flight > 0
    server.server_close()
    if busy:
        return fail("shutdown: context deadline exceeded")
    return 0


# ---------------------------------------------------------------------------------------------
# version, help, dispatch

def version(argv):
    print(f"shithubd {VERSION}")
    print("  commit: fake")
    print("  built:  fake")
    print(f"  go:     none (python {sys.version.split()[0]})")
    print(f"  os:     {os.uname().sysname.lower()}/{os.uname().machine}")
    try:
        cfg = load_config()
    except ConfigError as e:
        print(f"  config: <invalid: {e}>")
        return 0
    print(f"  env:     {cfg['env']}")
    print(f"  log:     {cfg['log.format']}/{cfg['log.level']}")
    print(f"  metrics: {'enabled' if cfg['metrics.enabled'] else 'disabled'}")
    print(f"  tracing: {'disabled' if not cfg['tracing.enabled'] else 'enabled (endpoint=%s, sample=%.2f)' % (cfg['tracing.endpoint'], cfg['tracing.sample_rate'])}")
    print(f"  errrep:  {'disabled' if not cfg['error_reporting.dsn'] else 'enabled (dsn=*** env=' + cfg['error_reporting.environment'] + ')'}")
    return 0


COMMANDS = {
    "web": web, "worker": worker, "migrate": migrate, "config": config_cmd, "admin": admin,
    "ssh-authkeys": ssh_authkeys, "ssh-shell": ssh_shell, "version": version,
}
REAL_ONLY = ["seed", "storage", "hook", "hooks", "gpg-backfill-all", "repo-insights-backfill-all",
             "repo-dependency-scan-backfill-all", "completion"]


def group_help(name, short, subcommands):
    """cobra: a command without Run prints its help on stdout and exits 0."""
    print(f"{short}\n\nUsage:\n  shithubd {name} [command]\n\nAvailable Commands:")
    for s in subcommands:
        print(f"  {s}")
    return 0


def not_modelled(what):
    print(f"shithubd (fake): `{what}` exists in the real shithubd but this test double does not model it",
          file=sys.stderr)
    return 2


def main(argv):
    args = argv[1:]
    if not args or args[0] in ("help", "-h", "--help"):
        return group_help("", "shithubd is the entrypoint binary for shithub.", sorted(list(COMMANDS) + REAL_ONLY))
    if args[0] in REAL_ONLY:
        return not_modelled(args[0])
    if args[0] not in COMMANDS:
        return fail(f"unknown command {go_quote(args[0])} for \"shithubd\"")
    return COMMANDS[args[0]](args[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
