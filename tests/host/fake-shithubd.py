#!/usr/bin/python3
"""A stand-in for shithubd in the real-host tier. The test writes one copy per release, filling in
the VERSION and FLAGS placeholders below (textually; they must stay the first occurrences).

It keeps the contracts of the real binary, read from its source (repository tenseleyFlow/shithub,
cited as path@commit; "id N" is a stored-index file whose commit was not reported). Everything that
loads configuration goes through load_config(), which mirrors config.Load: defaults,
/etc/shithub/config.toml (or $SHITHUB_CONFIG), SHITHUB_* variables, the aliases, then Validate.
Errors end like cobra's Execute: "shithubd: <error>" on stderr, exit 1 (cmd/shithubd/root.go@fbef6551).

  config validate  config.Load(nil) and nothing else: cmd/shithubd/config.go@40877b41. The rules,
                   from internal/infra/config/config.go@1dfa86fb (@f814f961): env dev|staging|prod,
                   log level and format, web.addr non-empty, web.pprof_addr empty or a loopback IP
                   literal with a port, every web.trusted_proxies entry a CIDR or a bare IP
                   ('config: web.trusted_proxies: invalid entry "<x>"'), tracing,
                   storage.repos_root non-empty, S3 all-or-nothing, email backend
                   stdout|smtp|postmark|resend (postmark needs AUTH__POSTMARK__SERVER_TOKEN, resend
                   AUTH__RESEND__API_KEY, smtp AUTH__SMTP__ADDR), base_url/site_name/email_from
                   non-empty, rate limits >= 0, billing. Every SHITHUB_<PATH> variable is parsed by
                   its field's Go kind: bools by strconv.ParseBool, ints by ParseInt (so
                   ANON_REFILL_PER_SEC=0.5 fails), durations by time.ParseDuration, slices
                   (WEB__CORS_ALLOWED_ORIGINS, WEB__TRUSTED_PROXIES) comma-separated with items
                   trimmed and empty ones dropped, so an empty value is an empty list
                   (config_test.go TestMergeEnv_TrustedProxies*, id 62198921570); only the
                   uint32/uint8 AUTH__ARGON2__* fields fail with "unsupported field kind".
                   web.trusted_proxies defaults to ["127.0.0.0/8","::1/128"]. db.url is NOT
                   required (the real Validate never checks it). SHITHUB_DATABASE_URL,
                   SHITHUB_SESSION_KEY and SHITHUB_TOTP_KEY are aliases for db.url,
                   session.key_b64 and auth.totp_key_b64.
  logging          internal/infra/log/log.go@c569abe7: the web logs slog JSON
                   ({"time":"<RFC3339Nano>Z","level":"INFO","msg":..., attrs with bools and ints as
                   JSON types}) when log.format=json, else slog text, filtered by log.level. The
                   worker always logs text (cmd/shithubd/worker.go@bf76678a), unless FLAG
                   worker-json-log; hooks and ssh-shell log text (hook.go@20ffd308, ssh.go id
                   62147723419). Per request the web logs info "request" (method, path, status,
                   bytes, duration, remote_ip = RealIP, request_id, user_agent;
                   middleware/logging.go@1d3e49af). The redactHandler is not modelled (nothing the
                   double logs carries a secret).
  migrate up       reads ONLY SHITHUB_DATABASE_URL (cmd/shithubd/migrate.go@6e7ec09b,
                   internal/infra/db/db.go@791b3970 Resolve/ErrNoURL), not the config loader.
                   goose v3 semantics (internal/infra/db/migrate.go@c5696d0f, go.mod@073eade8): the
                   release embeds files 0001..000N (FLAGS migrations=N; the real ones live in
                   internal/migrationsfs/migrations/, 4-digit prefixes); each pending file runs in
                   ITS OWN transaction with its goose_db_version row inserted inside it; when file
                   k fails, the earlier ones stay committed, k rolls back, and the command fails
                   with "shithubd: migrate: ERROR 000k_<name>.sql: failed to run SQL migration:
                   <error>". stderr keeps goose's "goose: no migrations to run. current version: N"
                   and "goose: successfully migrated database to version: N". File 0001 creates,
                   idempotently, simplified versions of the tables the double reads, with the real
                   names: users (migrations/0003_users.sql@562bd247, plus password_hash, email,
                   email_verified_at), email_verifications, sessions, user_ssh_keys
                   (0012_user_ssh_keys.sql@c260e48a + kind from 0062@82fbbcf0), repos
                   (0017_repos.sql@16871101), jobs and push_events
                   (0018_jobs_and_push_events.sql@e659af39, protocol widened to 'web' by
                   0052_push_events_web_protocol.sql@24ab2505); file k>1 creates schema_v<k>.
                   shithub_double.migration_runs (a test-only table, in a schema of its own so
                   nothing that copies shithub's public schema, a takeover's publication among
                   them, carries it) gets one row per run that applied at least one file. Not modelled: goose's version-0 row (tests count rows).
  web [--addr A]   cmd/shithubd/web.go@730b0d29: the --addr/-a flag defaults to ":8080" and
                   overrides web.addr, so SHITHUB_WEB__ADDR is ignored unless --addr is given as
                   "". internal/web/server.go@05bcb8a6 (+ id 61989859761) Run: config.Load;
                   session key from SHITHUB_SESSION_KEY (or session.key_b64) must be base64 of
                   exactly 32 bytes, an absent one is a warning and an ephemeral key; an empty
                   web.trusted_proxies warns "web: no trusted proxies configured;
                   X-Forwarded-For is ignored" (attr hint); the database is optional: no URL, or a
                   URL that fails its startup ping, means no pool (a warning, then "auth: no DB
                   pool — signup/login routes not mounted") and then /readyz answers 200 "ready"
                   (no check without a pool), the git, auth, settings and repo routes are not
                   mounted and the HTML limiter is a no-op (a nil limiter). SIGINT/SIGTERM run
                   net/http's Server.Shutdown within web.shutdown_timeout: listener closed, idle
                   connections closed, a request whose first byte arrived answered whole with
                   "Connection: close" (tests/tools/webShutdown.test.ts).
                   Routes (internal/web/handlers/handlers.go@05bcb8a6, health.go@78139803):
                   GET /healthz "ok\n"; any-method /readyz pings the pool within 2 s, 200 "ready\n"
                   or 503 "not ready: <reason>\n"; /metrics when metrics.enabled (default true);
                   GET / (the real one renders a landing page; here the body is exactly
                   "shithubd <VERSION>\n", which the release test reads); GET /internal/panic
                   answers 500 and counts a panic; anything else 404; a known path with another
                   method 405 (chi). Every response carries the SecureHeaders set and X-Request-Id
                   (internal/web/middleware/secure.go@a742a5d2, requestid.go@eff77991).
  RealIP           internal/web/middleware/realip.go@eff77991 resolveRealIP: only when the TCP
                   peer is inside web.trusted_proxies is X-Forwarded-For read, right to left,
                   skipping trusted hops; the first untrusted valid IP wins; a malformed entry, or
                   all entries trusted, gives the peer; X-Real-IP and Forwarded are ignored. Used
                   for the HTML limiter, the request log and SHITHUB_REMOTE_IP.
  HTML limiter     internal/web/middleware/htmlratelimit.go@3481e591 (+ htmlratelimit_test.go@9297f202):
                   a fixed window, Max=burst, Window=max(1 s, burst/refill s) from
                   ratelimit.html.{anon,authed}_{burst,refill_per_sec} (a 0 falls back to the
                   default: anon 60/1, authed 600/10), key "user:<id>" (scope html:authed) for a
                   signed-in user, else "anon:<RealIP masked to /24, IPv6 /48>" (html:anon). Over
                   the limit: 429, Retry-After <s, min 1>, Cache-Control: no-store, no
                   X-RateLimit headers; text/plain "Too Many Requests. Retry after <n> seconds.\n",
                   or, when Accept contains text/html, an HTML page titled "Too Many Requests ·
                   shithub"; info log ratelimit.html_throttled (scope, key, path, user_agent,
                   retry_after_seconds). STATED DIFFERENCES: the real counters live in Postgres
                   (BumpRateLimit upsert, internal/ratelimit/bucket.go@d1e05922, failing open on DB
                   errors); here they live in process memory (thread-safe): one web process per
                   host gives the same limits, but a restart resets them. Which routes the real
                   one wraps is unknown (the digest's Unknowns); the double's GUESS: the HTML
                   pages / /signup /login /logout /new /settings/keys /verify-email/*,
                   /{owner}, /{owner}/{repo} and the 404 page; NOT /healthz /readyz /metrics
                   /static/* /internal/* or the git smart-HTTP routes. Site-admin bypass is not
                   modelled (no admins).
  CSRF             nosurf (internal/web/middleware/csrf.go@7939721d): pages of the HTML group set a
                   csrf_token cookie (Path=/, HttpOnly, SameSite=Strict, Secure behind
                   X-Forwarded-Proto: https) and forms embed
                   <input type="hidden" name="csrf_token" value="...">; a POST must carry the form
                   field csrf_token or the X-CSRF-Token header equal to the cookie, else 403 with a
                   small HTML page (handlers.go@5381fe85 RegisterChi). STATED DIFFERENCE: nosurf
                   masks the token per render; here it is compared by plain equality.
  accounts         internal/web/handlers/auth/auth.go (id 61932904906) Mount, mounted only with a
                   pool. POST bodies of this group are capped at 4 KiB.
                   GET /signup: a form with username, email, password and the honeypot company.
                   POST /signup: username lowercased, must match the owner regex (and not be a
                   route name); email must contain "@"; password >= 10 characters and not in a
                   short common list; a duplicate username/email re-renders (200) "That username
                   is already taken." / "That email address is already registered."; a filled
                   honeypot is a silent 303. The user is stored with an unverified email and a
                   verification token valid 24 h, the mail is sent through auth.email_backend:
                   stdout prints "--- email (stdout backend) ---", From/To/Subject, and a body
                   with <auth.base_url>/verify-email/<token>, to stdout (the web unit's journal;
                   the real stdout backend's framing is not known); smtp via auth.smtp.addr
                   (STARTTLS when offered, verified against the system CAs; login when
                   auth.smtp.username is set); postmark POSTs JSON to
                   https://api.postmarkapp.com/email with X-Postmark-Server-Token; resend POSTs
                   to https://api.resend.com/emails with a Bearer key. ASSUMPTION (not in the
                   source read): a failed send is logged (error "auth: send verification email")
                   and the signup still completes. Then 303 /login?notice=signup-pending.
                   GET /verify-email/{token}: a valid, unexpired, unused token sets
                   email_verified_at and 303s to /login?notice=verified; otherwise 200 "This
                   verification link is invalid or has expired." (tokens are single-use here).
                   GET /login; POST /login (username, password, next): unknown user or wrong
                   password 200 "Incorrect username or password."; with
                   auth.require_email_verification (default true) and an unverified email 200
                   "Please verify your email before signing in. Check your inbox or request a new
                   link."; success: a random token in sessions, cookie shithub_session (Path=/,
                   Max-Age=session.max_age, HttpOnly, SameSite=Lax, Secure behind https or with
                   session.secure), 303 to next when it is a local path, else /. The signed-in user
                   is read back from that cookie (sessions younger than session.max_age). POST
                   /logout drops it. STATED DIFFERENCES: passwords are hashed with hashlib.scrypt
                   (the real one uses argon2id with auth.argon2.*; the stdlib has no argon2);
                   sessions are a DB token, not a gorilla securecookie; the login throttle (6 per
                   15 min per ip|username) is not modelled.
  SSH keys         GET/POST /settings/keys (title, key; a session is required): the key goes
                   through `ssh-keygen -lf -` for its SHA256: fingerprint and bits; a bad key 200
                   "That doesn't look like a valid SSH public key.", a known one "This key is
                   already in use."; else a user_ssh_keys row (fingerprint_sha256 with the
                   "SHA256:" prefix, kind authentication, public_key "<type> <base64>") and 303
                   /settings/keys. Pages needing a session 303 to /login?next=<path>.
  new repository   GET/POST /new (internal/web/handlers/repo/repo.go id 61924327193 MountNew,
                   internal/repos/create.go@09c93d29 repos.Create; a session is required): name
                   (lowercased, the storage repo regex, else "Name must be 1–100 chars: lowercase
                   letters, digits, dots, hyphens, underscores."), description, visibility
                   public|private (empty = public); 20 creations per hour per user ("You're
                   creating repositories too quickly. Try again in <Go duration>."; in memory);
                   a duplicate "You already own a repository with that name."; the repos row
                   (default_branch trunk), then RepoFS.InitBare (reposfs.go@345fa952: the path must
                   not be a non-empty directory, "storage: already exists: <path>"; parents and
                   the repo dir MkdirAll 02750; git init --bare --shared=group
                   --initial-branch=trunk), then hooks.Install with os.Executable (modelled as
                   realpath(argv[0]), as the kernel resolves /proc/self/exe; fallback the bare
                   "shithubd"); a failure after the insert removes the directory and deletes the
                   row and re-renders (200) a generic message. Success: 303 /<username>/<name>.
                   README/license/gitignore initial commits are not modelled. GET /{owner}/{repo}
                   shows the clone URLs (<auth.base_url>/<owner>/<name>.git, and
                   git@<auth.ssh.host>:<owner>/<name>.git when auth.ssh.enabled); GET /{owner}
                   lists the repos; private ones only for their owner (404 otherwise).
  git smart HTTP   internal/web/handlers/githttp/handler.go@0eaf8843, auth.go@35f1968e,
                   githttp.go@7ff2dc12 (mounted only with a pool):
                   GET /{owner}/{repo}.git/info/refs?service=git-upload-pack|git-receive-pack,
                   POST /{owner}/{repo}.git/git-upload-pack|git-receive-pack run git-<svc>
                   --stateless-rpc [--advertise-refs] on the bare repo at RepoFS.RepoPath
                   (<repos_root>/<shard>/<owner>/<repo>.git, internal/infra/storage/reposfs.go@345fa952);
                   a bad service 400 "service query parameter required". Unknown owner/repo 404
                   "not found", soft-deleted 410 "gone". Basic auth with the account password;
                   receive-pack always needs it, upload-pack only for private repos; missing or
                   invalid credentials 401 "authentication required\n" with WWW-Authenticate:
                   Basic realm="shithub"; a private repo for a non-owner 404; a push to an
                   archived repo 403 "repository is archived; pushes are disabled\n"; a push by a
                   signed-in non-owner (or a suspended owner) 403 "forbidden". git runs with the
                   hook environment SHITHUB_USER_ID, SHITHUB_USERNAME, SHITHUB_REPO_ID,
                   SHITHUB_REPO_FULL_NAME=<owner>/<name>, SHITHUB_PROTOCOL=http,
                   SHITHUB_REMOTE_IP=<RealIP>, SHITHUB_REQUEST_ID=<X-Request-Id>, PATH (hookEnv).
                   STATED DIFFERENCES: PATs are not modelled (a shithub_pat_ secret is refused as
                   bad credentials) and neither are runner JWTs; collaborators and orgs are not
                   modelled (only the owner may push). chi ends {repo} at its first ".", so a repo
                   name containing a dot is 404 here as (by chi's routing) in the real one.
  hook pre-receive|post-receive
                   cmd/shithubd/hook.go@20ffd308 (the version before storage quotas, secret
                   push-protection and 2FA, none of which is modelled). loadHookCtx: config.Load
                   ("config: ..."), a DB URL ("DB URL not set"), db.Open pinged with a 1.5 s
                   connect timeout ("db: db: ping: ..."); SHITHUB_USER_ID/REPO_ID parse errors are
                   0. pre-receive reads "<old> <new> <ref>" lines, then: uid or rid 0 → missing
                   context; the user must exist and not be suspended; the repo must exist, not be
                   deleted, not archived, and the pusher must own it. Refusals print the friendly
                   line (friendlyHookErr: "shithub: your account is suspended; pushes are
                   disabled.", "shithub: this repository is archived; pushes are disabled.",
                   "shithub: this repository has been deleted.", "shithub: you do not have write
                   access to this repository.", "shithub: server error: hook context missing.
                   Contact the operator.", else "shithub: server error: <err>") and then
                   "shithubd: shithub-hook: <kind>", exit 1. post-receive always exits 0: per ref
                   a push_events row (protocol SHITHUB_PROTOCOL or "ssh"; pusher NULL for uid 0;
                   request_id COALESCE '') and a push:process job {"push_event_id": id}, in one
                   transaction, then pg_notify('shithub_jobs','')
                   (internal/worker/enqueue.go@e95a7a71); failures print "shithub: warning:
                   post-receive enqueue: <err>" (or "... enqueue skipped: <err>" when the context
                   fails). An unknown hook name prints help and exits 0 (cobra, inferred).
  hooks reinstall  cmd/shithubd/hooks_reinstall.go@a6e775f5: --all or --repo owner/name (else
                   "hooks reinstall: pass --all or --repo owner/name"; --all wins); config
                   ("config: ..."); the repos root must exist ("repo fs: storage: repofs: stat
                   root: ..." / "... root \"<p>\" is not a directory"); --repo needs owner/name
                   ("hooks reinstall: --repo wants owner/name"), validates the path ("repo path:
                   storage: invalid path: ..."), installs without touching the DB (creating the
                   directories of a repo that does not exist) and prints "ok: <owner>/<name>" as
                   typed; --all lists repos through the DB (ListAllRepoFullNames: JOIN users on
                   owner_user_id, so org repos are skipped), prints "skip: <o>/<n>: <err>" or
                   "fail: <o>/<n>: <err>" per failure and "reinstalled hooks on %d repos (%d
                   failed)", and fails "shithubd: N failures". The binary path is os.Executable
                   (realpath(argv[0]) here).
  hooks.Install    internal/git/hooks/install.go@6943eaf0: MkdirAll(<gitDir>/hooks, 0755);
                   pre-receive and post-receive (no update hook) written atomically (temp file
                   .shithub-hook-* in the hooks dir, chmod 0755, rename), regular files:
                   "#!/bin/sh", the "Generated by shithubd hooks.Install. Do not edit by hand —
                   re-run" comment, "exec <Go %q path> hook <name> \"$@\"", trailing newline.
  storage check    cmd/shithubd/storage.go@3d20153a: config ("shithubd: config: ..."); repos_root
                   ("not configured", "stat: ...", "<root> is not a directory", "write probe: ...",
                   "cleanup probe: ...") → "repos_root: ok (<root>)"; S3 skipped without an
                   endpoint ("s3: skipped (storage.s3 not configured)"), else a real round trip
                   with a stdlib AWS SigV4 client (region storage.s3.region, path-style when
                   force_path_style else <bucket>.<endpoint host>, TLS verified against the system
                   CAs when use_ssl or an https:// endpoint; the endpoint may carry a scheme or
                   not; 30 s timeout): PUT _storage-check/<16 hex> "storage check at <RFC3339Nano
                   UTC>" text/plain, GET and compare ("round-trip body mismatch"), DELETE; errors
                   "put: ...", "get: ...", "client: ..."; "s3: ok (endpoint=<e> bucket=<b>)".
                   Failures: "shithubd: storage check failed:" then "  - repos_root: <err>" /
                   "  - s3: <err>", exit 1. repair-shared-perms is not modelled.
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
  worker           cmd/shithubd/worker.go@0674b2bb (@bf76678a): config.Load, db.url required
                   ("worker: SHITHUB_DATABASE_URL unset"), repos_root must be an existing
                   directory, opens and pings the database (exit 1 if unreachable), logs
                   "worker: starting" (workers from --workers, SHITHUB_WORKERS, else 4;
                   instance_id; kinds) in text, then idles until SIGTERM.
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
                   command ..." exit 1; a group command alone (config, migrate, admin, storage,
                   hook, hooks) prints help and exits 0. Real subcommands the fake does not model
                   exit 2 saying so.

FLAGS (test knobs, comma separated): migrations=N (this release embeds migration files 1..N),
bad-migration (the last file, N, fails: CREATE TABLE broken_migration + SELECT no_such_function()),
migration-seconds=S (each new migration holds its transaction S seconds, like a long ALTER),
unhealthy (every web route answers 500), needs-new-var (the config loader requires
SHITHUB_NEW_THING, so config validate, web, worker... refuse), worker-crash (the worker exits 1 at
start, as it does when its database refuses it), worker-json-log (a future worker that logs in the
configured log.format).
"""
import base64
import decimal
import email.message
import email.utils
import errno
import gzip
import hashlib
import hmac
import html
import http.client
import http.server
import ipaddress
import json
import math
import os
import re
import secrets
import shutil
import signal
import smtplib
import socket
import socketserver
import ssl
import stat
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request

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
    parts = [f"time={now}", f"level={level}", f"msg={fmt(msg)}"]  # slog quotes only when needed
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
#
# The real binary's deadlines (context.WithTimeout) bound its time with the database: the connect,
# the round trip, a lock wait. The fake holds the database to the same deadlines on the database's
# side (statement_timeout; libpq's connect_timeout, which counts whole seconds, at least 2), and
# does not count the start of its own psql process against them: the Go binary talks to PostgreSQL
# in-process, and starting Python and psql costs this machine about 0.5 s of CPU per call where the
# Go binary costs milliseconds. Counting it made 30 concurrent SSH logins on a loaded machine miss
# ssh-authkeys' 1.5 s deadline and be refused, a failure of the double, not of the forge.
PSQL_START_ALLOWANCE = 20.0


class DBError(Exception):
    pass


def psql(url, sql, variables=None, connect_timeout=5.0, timeout=None):
    """Runs sql (from stdin, so :'var' quoting works) and returns rows of text fields."""
    env = dict(os.environ, PGCONNECT_TIMEOUT=str(max(2, math.ceil(connect_timeout))))
    if timeout is not None:
        env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + f" -c statement_timeout={max(1, int(timeout * 1000))}").strip()
    args = ["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1", "-d", url]
    for name, value in (variables or {}).items():
        args += ["-v", f"{name}={value}"]
    try:
        r = subprocess.run(args, input=sql, capture_output=True, text=True, env=env, check=False,
                           timeout=None if timeout is None else timeout + max(2, math.ceil(connect_timeout)) + PSQL_START_ALLOWANCE)
    except subprocess.TimeoutExpired:
        raise DBError("context deadline exceeded")
    except OSError as e:
        raise DBError(str(e))
    if r.returncode != 0:
        if "canceling statement due to statement timeout" in r.stderr:
            raise DBError("context deadline exceeded")
        lines = [l.strip() for l in r.stderr.splitlines() if l.strip()]
        errors = [l for l in lines if re.match(r"(psql:\S* )?(ERROR|FATAL|error):", l)]
        first = (errors or lines or [f"psql exited {r.returncode}"])[0]
        first = re.sub(r"^(?:psql:\S+ )?(ERROR|FATAL):\s+", r"\1: ", first)
        raise DBError(first)
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
                    "CREATE SCHEMA IF NOT EXISTS shithub_double;"
                    "CREATE TABLE IF NOT EXISTS shithub_double.migration_runs (id serial PRIMARY KEY, release text, at timestamptz DEFAULT now());"
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
            psql(url, "INSERT INTO shithub_double.migration_runs (release) VALUES (:'release');", {"release": VERSION})
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
    try:
        new_repo_fs(root)
    except ValueError as e:
        return fail(f"repo fs: {e}")
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
    try:
        new_repo_fs(root)
    except ValueError as e:
        print("shithub: server misconfigured", file=sys.stderr)
        return fail(f"ssh-shell: NewRepoFS: {e}")
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
# Accounts, repositories on disk, hook shims, rate limits, RealIP, S3 (shared by web and the CLI)

class GoOSError(Exception):
    """An *os.PathError / *os.LinkError as Go prints it: "<op> <path>: <errno text>"."""

    def __init__(self, op, path, err):
        text = os.strerror(err.errno).lower() if isinstance(err, OSError) and err.errno else str(err)
        super().__init__(f"{op} {path}: {text}")


def mkdir_all(path, mode):
    """os.MkdirAll: every missing level created with mode (umask applies; Linux's mkdir keeps
    setgid only by inheritance, for Go and Python alike)."""
    try:
        if stat.S_ISDIR(os.stat(path).st_mode):
            return
        raise GoOSError("mkdir", path, OSError(errno.ENOTDIR, ""))
    except FileNotFoundError:
        pass
    except OSError as e:
        raise GoOSError("stat", path, e)
    parent = os.path.dirname(path.rstrip("/"))
    if parent and parent != path:
        mkdir_all(parent, mode)
    try:
        os.mkdir(path, mode)
    except OSError as e:
        if not os.path.isdir(path):
            raise GoOSError("mkdir", path, e)


HOOK_NAMES = ["pre-receive", "post-receive"]  # hooks.SupportedHooks: no update hook


def hook_shim(shithubd, name):
    """hooks.shim (internal/git/hooks/install.go@6943eaf0), the path %q-quoted."""
    return ("#!/bin/sh\n"
            "# Generated by shithubd hooks.Install. Do not edit by hand \u2014 re-run\n"
            "# 'shithubd hooks reinstall' if the binary path changes.\n"
            f"exec {go_quote(shithubd)} hook {name} \"$@\"\n")


def hooks_install(git_dir, shithubd):
    """hooks.Install: MkdirAll(<gitDir>/hooks, 0755), then each shim written atomically (CreateTemp
    .shithub-hook-* in the hooks dir, write, chmod 0755, rename). Raises ValueError(message)."""
    hooks_dir = os.path.join(git_dir, "hooks")
    try:
        mkdir_all(hooks_dir, 0o755)
    except GoOSError as e:
        raise ValueError(f"hooks: mkdir {hooks_dir}: {e}")
    for name in HOOK_NAMES:
        target = os.path.join(hooks_dir, name)
        tmp = None
        try:
            try:
                fd, tmp = tempfile.mkstemp(prefix=".shithub-hook-", dir=hooks_dir)
            except OSError as e:
                raise GoOSError("open", e.filename or os.path.join(hooks_dir, ".shithub-hook-*"), e)
            try:
                os.write(fd, hook_shim(shithubd, name).encode())
                os.fchmod(fd, 0o755)
            except OSError as e:
                raise GoOSError("write", tmp, e)
            finally:
                os.close(fd)
            try:
                os.rename(tmp, target)
            except OSError as e:
                raise GoOSError("rename", f"{tmp} {target}", e)
            tmp = None
        except GoOSError as e:
            raise ValueError(f"hooks: write {target}: {e}")
        finally:
            if tmp is not None:
                try:
                    os.remove(tmp)
                except OSError:
                    pass


def shithubd_binary_path():
    """shithubdBinaryPath = filepath.Abs(os.Executable()). os.Executable reads /proc/self/exe, which
    the kernel resolves through symlinks; for this script the equivalent is realpath(argv[0])."""
    if not sys.argv or not sys.argv[0]:
        raise OSError("executable path unavailable")
    return os.path.realpath(sys.argv[0])


def web_shithubd_path():
    """The web's repo wiring: os.Executable + Abs, falling back to the bare string "shithubd"."""
    try:
        return shithubd_binary_path()
    except OSError:
        return "shithubd"


def validate_repo_name_part(kind, name):
    """storage validateName (internal/infra/storage/reposfs.go@345fa952)."""
    inv = "storage: invalid path"
    if name == "":
        raise ValueError(f"{inv}: {kind} empty")
    max_len, rx, alphabet = (100, REPO_RE, "[a-z0-9._-]") if kind == "repo" else (39, OWNER_RE, "[a-z0-9-]")
    if len(name) > max_len:
        raise ValueError(f"{inv}: {kind} {go_quote(name)} too long (max {max_len})")
    if name != name.lower():
        raise ValueError(f"{inv}: {kind} {go_quote(name)} must be lowercase")
    if ".." in name:
        raise ValueError(f"{inv}: {kind} contains dot-dot")
    if name.startswith("."):
        raise ValueError(f"{inv}: {kind} starts with dot")
    if name.startswith("/"):
        raise ValueError(f"{inv}: {kind} is absolute")
    if not rx.fullmatch(name):
        raise ValueError(f"{inv}: {kind} {go_quote(name)} fails whitelist {alphabet}")


def checked_repo_path(root, owner, name):
    """RepoFS.RepoPath: lowercase, validate, <root>/<shard>/<owner>/<name>.git. Raises ValueError."""
    owner, name = owner.lower(), name.lower()
    validate_repo_name_part("owner", owner)
    validate_repo_name_part("repo", name)
    return repo_path(root, owner, name)


def new_repo_fs(root):
    """storage.NewRepoFS: an absolute root that exists and is a directory. Raises ValueError."""
    require_dir(root, "storage: repofs: stat root: ", f"storage: repofs: root {go_quote(root)} is not a directory")


def require_dir(root, stat_prefix, not_dir):
    """os.Stat(root) and IsDir, with each caller's own wording of the two failures. Raises ValueError."""
    try:
        st = os.stat(root)
    except OSError as e:
        raise ValueError(f"{stat_prefix}{GoOSError('stat', root, e)}")
    if not stat.S_ISDIR(st.st_mode):
        raise ValueError(not_dir)


def init_bare(path):
    """RepoFS.InitBare (reposfs.go@345fa952). Returns True once the directory is ours to remove."""
    try:
        if os.listdir(path):
            raise ValueError(f"storage: already exists: {path}")
    except OSError:
        pass
    try:
        mkdir_all(os.path.dirname(path), 0o2750)
    except GoOSError as e:
        raise ValueError(f"storage: repofs: mkdir parent: {e}")
    try:
        mkdir_all(path, 0o2750)
    except GoOSError as e:
        raise ValueError(f"storage: repofs: mkdir target: {e}")
    r = subprocess.run(["git", "init", "--bare", "--shared=group", "--initial-branch=trunk", path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if r.returncode != 0:
        raise ValueError(f"storage: repofs: git init --bare: exit status {r.returncode} (output: {r.stdout.strip()})")


# Passwords: the real one stores argon2id (auth.argon2.*); the stdlib has no argon2, so the double
# stores scrypt in the same PHC-like shape.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1


def b64raw(b):
    return base64.b64encode(b).decode().rstrip("=")


def hash_password(password):
    salt = secrets.token_bytes(16)
    dk = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"$scrypt$n={SCRYPT_N},r={SCRYPT_R},p={SCRYPT_P}${b64raw(salt)}${b64raw(dk)}"


def verify_password(password, encoded):
    m = re.fullmatch(r"\$scrypt\$n=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)", encoded or "")
    if not m:
        hashlib.scrypt(password.encode(), salt=b"0" * 16, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)  # same cost
        return False
    n, r, p = int(m.group(1)), int(m.group(2)), int(m.group(3))
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    try:
        salt, want = base64.b64decode(pad(m.group(4))), base64.b64decode(pad(m.group(5)))
        got = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=len(want), maxmem=256 * 1024 * 1024)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(got, want)


def send_mail(cfg, to, subject, body):
    """The configured email backend (auth.email_backend). Raises on failure."""
    backend, sender = cfg["auth.email_backend"], cfg["auth.email_from"]
    if backend == "stdout":
        print(f"--- email (stdout backend) ---\nFrom: {sender}\nTo: {to}\nSubject: {subject}\n\n{body}\n--- end email ---",
              flush=True)
        return
    if backend == "smtp":
        host, port = split_host_port(cfg["auth.smtp.addr"])
        msg = email.message.EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = sender, to, subject
        msg["Date"] = email.utils.formatdate(usegmt=True)
        msg["Message-ID"] = email.utils.make_msgid()
        msg.set_content(body)
        with smtplib.SMTP(host, int(port or 25), timeout=15) as s:
            s.ehlo()
            if s.has_extn("starttls"):
                s.starttls(context=ssl.create_default_context())
                s.ehlo()
            if cfg["auth.smtp.username"]:
                s.login(cfg["auth.smtp.username"], cfg["auth.smtp.password"])
            s.send_message(msg)
        return
    if backend == "postmark":
        url, headers = "https://api.postmarkapp.com/email", {"X-Postmark-Server-Token": cfg["auth.postmark.server_token"]}
        payload = {"From": sender, "To": to, "Subject": subject, "TextBody": body, "MessageStream": "outbound"}
    else:
        url, headers = "https://api.resend.com/emails", {"Authorization": "Bearer " + cfg["auth.resend.api_key"]}
        payload = {"from": sender, "to": [to], "subject": subject, "text": body}
    headers.update({"Content-Type": "application/json", "Accept": "application/json"})
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=15, context=ssl.create_default_context()) as resp:
            resp.read()
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{backend}: status {e.code}: {e.read()[:512].decode(errors='replace').strip()}")


class FixedWindows:
    """A fixed-window counter per (scope, key), like ratelimit.Allow over BumpRateLimit, but in
    process memory (thread-safe) instead of Postgres."""

    def __init__(self):
        self.lock = threading.Lock()
        self.windows = {}

    def allow(self, scope, key, limit, window):
        """(allowed, retry_after_seconds)."""
        now = time.monotonic()
        with self.lock:
            if len(self.windows) > 100000:
                self.windows = {k: v for k, v in self.windows.items() if now - v[0] < 3600}
            start, count = self.windows.get((scope, key), (now, 0))
            if now - start >= window:
                start, count = now, 0
            count += 1
            self.windows[(scope, key)] = (start, count)
        if count > limit:
            return False, max(1, math.ceil(start + window - now))
        return True, 0


def norm_ip(text):
    ip = ipaddress.ip_address(text.strip())
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip


def resolve_real_ip(nets, remote_host, xff):
    """middleware/realip.go@eff77991 resolveRealIP: XFF only when the TCP peer is trusted, walked
    right to left skipping trusted hops; malformed or all-trusted falls back to the peer."""
    try:
        peer = norm_ip(remote_host)
    except ValueError:
        return remote_host
    trusted = lambda ip: any(ip in n for n in nets)  # noqa: E731
    if not nets or not trusted(peer) or not xff:
        return str(peer)
    for candidate in reversed(xff.split(",")):
        try:
            ip = norm_ip(candidate)
        except ValueError:
            return str(peer)
        if not trusted(ip):
            return str(ip)
    return str(peer)


def html_anon_key(ip_text):
    """pickHTMLBucket (htmlratelimit_test.go@9297f202): anon:<IPv4 /24> or anon:<IPv6 /48>."""
    try:
        ip = norm_ip(ip_text)
    except ValueError:
        return "anon:" + ip_text
    bits = 24 if ip.version == 4 else 48
    return "anon:" + str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


class S3Error(Exception):
    pass


# One client per process, as internal/infra/storage/s3.go@75cbeead keeps one *minio.Client: its
# http.Transport loads the system roots once and keeps connections alive between requests, so a
# storage check's PUT, GET and DELETE share one TLS handshake. Per thread: http.client connections
# are not safe to share.
_S3_LOCAL = threading.local()


def _s3_tls_context():
    ctx = getattr(_S3_LOCAL, "tls", None)
    if ctx is None:
        ctx = _S3_LOCAL.tls = ssl.create_default_context()
    return ctx


def _s3_exchange(scheme, conn_host, port, method, uri, body, send):
    """One request on this thread's kept-alive connection to the endpoint, or a new one. A reused
    connection the server closed meanwhile is retried once on a fresh one, as Go's transport retries
    a request that never reached the server."""
    conns = getattr(_S3_LOCAL, "conns", None)
    if conns is None:
        conns = _S3_LOCAL.conns = {}
    where = (scheme, conn_host, port)
    for attempt in (0, 1):
        conn = conns.pop(where, None)
        reused = conn is not None
        if conn is None:
            if scheme == "https":
                conn = http.client.HTTPSConnection(conn_host, port, timeout=30, context=_s3_tls_context())
            else:
                conn = http.client.HTTPConnection(conn_host, port, timeout=30)
        try:
            conn.request(method, uri, body=body if method == "PUT" else None, headers=send)
            resp = conn.getresponse()
            data = resp.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
            if reused and attempt == 0:
                continue
            raise
        except BaseException:
            conn.close()
            raise
        if resp.will_close:
            conn.close()
        else:
            conns[where] = conn
        return resp, data


def s3_request(cfg, method, key, body=b"", ctype=None):
    """One SigV4-signed S3 request (stdlib): path-style or virtual-hosted, TLS verified against the
    system CAs when use_ssl (or an https:// endpoint). Returns the response body."""
    endpoint = cfg["storage.s3.endpoint"].strip()
    if "://" in endpoint:
        u = urllib.parse.urlsplit(endpoint)
        scheme, hostport = u.scheme.lower(), u.netloc
        if scheme not in ("http", "https") or not hostport or u.path not in ("", "/"):
            raise S3Error(f"client: invalid endpoint {go_quote(endpoint)}")
    else:
        scheme, hostport = ("https" if cfg["storage.s3.use_ssl"] else "http"), endpoint.rstrip("/")
        if "/" in hostport or not hostport:
            raise S3Error(f"client: invalid endpoint {go_quote(endpoint)}")
    bucket, region = cfg["storage.s3.bucket"], cfg["storage.s3.region"] or "us-east-1"
    if cfg["storage.s3.force_path_style"]:
        host, path = hostport, f"/{bucket}/{key}"
    else:
        host, path = f"{bucket}.{hostport}", f"/{key}"
    uri = urllib.parse.quote(path, safe="/-_.~")
    now = time.gmtime()
    amz_date, day = time.strftime("%Y%m%dT%H%M%SZ", now), time.strftime("%Y%m%d", now)
    payload_hash = hashlib.sha256(body).hexdigest()
    headers = {"host": host, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
    if ctype:
        headers["content-type"] = ctype
    signed = ";".join(sorted(headers))
    canonical = "\n".join([method, uri, "", "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed, payload_hash])
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + cfg["storage.s3.secret_access_key"]).encode()
    for part in (day, region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    send = {"Host": host, "X-Amz-Content-Sha256": payload_hash, "X-Amz-Date": amz_date,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={cfg['storage.s3.access_key_id']}/{scope}, "
                             f"SignedHeaders={signed}, Signature={signature}",
            "Content-Length": str(len(body))}
    if ctype:
        send["Content-Type"] = ctype
    split = urllib.parse.urlsplit("//" + host)
    try:
        conn_host, port = split.hostname, split.port
    except ValueError as e:
        raise S3Error(f"client: {e}")
    try:
        resp, data = _s3_exchange(scheme, conn_host, port, method, uri, body, send)
    except (OSError, http.client.HTTPException) as e:  # as Go's *url.Error prints
        detail = str(e)
        if isinstance(e, ssl.SSLError):
            detail = f"tls: {e.reason or e}"
        elif isinstance(e, socket.timeout):
            detail = "context deadline exceeded"
        elif isinstance(e, socket.gaierror):
            detail = f"dial tcp: lookup {conn_host}: {e.strerror.lower() if e.strerror else e}"
        elif isinstance(e, OSError) and e.errno:
            detail = f"dial tcp {conn_host}:{port or (443 if scheme == 'https' else 80)}: connect: {os.strerror(e.errno).lower()}"
        raise S3Error(f"{method.title()} {go_quote(f'{scheme}://{host}{uri}')}: {detail}")
    if not 200 <= resp.status < 300:
        text = data.decode(errors="replace")
        code = re.search(r"<Code>(.*?)</Code>", text)
        message = re.search(r"<Message>(.*?)</Message>", text)
        raise S3Error(f"{resp.status} {resp.reason}: {code.group(1) if code else ''}"
                      f"{': ' + message.group(1) if message else ''}".rstrip(": "))
    return data


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
        # net/http's connection states for Server.Shutdown: socket -> "new" | "active" | "idle" |
        # "closed" (closed by the shutdown while idle); guarded by `idle`.
        self.conns = {}
        self.stopping = False
        self.accepted = {}  # socket -> when it was accepted
        self.html_limits = FixedWindows()  # HTMLRateLimit's counters (Postgres in the real one)
        self.create_limits = FixedWindows()  # repos.Create's repo_create throttle
        self.shithubd_path = web_shithubd_path()

    def html_policy(self, authed):
        """burstToPolicy: Max=burst, Window=max(1 s, burst/refill); a 0 knob is the default."""
        prefix, dburst, drefill = ("authed", 600, 10) if authed else ("anon", 60, 1)
        burst = self.cfg[f"ratelimit.html.{prefix}_burst"] or dburst
        refill = self.cfg[f"ratelimit.html.{prefix}_refill_per_sec"] or drefill
        return burst, max(1, burst // refill)


HTML = "text/html; charset=utf-8"
esc = html.escape
# The HTML group's routes (auth.go, repo.go, user/repo pages), matched after the fixed routes.
HTML_ROUTES = [
    ("/signup", re.compile(r"/signup"), True),
    ("/login", re.compile(r"/login"), True),
    ("/logout", re.compile(r"/logout"), True),
    ("/verify-email/{token}", re.compile(r"/verify-email/([^/]+)"), True),
    ("/settings/keys", re.compile(r"/settings/keys"), True),
    ("/new", re.compile(r"/new"), True),
    ("/{owner}", re.compile(r"/([^/]+)"), True),
    ("/{owner}/{repo}", re.compile(r"/([^/]+)/([^/]+)"), True),
]
RESERVED_NAMES = {"login", "logout", "signup", "new", "settings", "verify-email", "healthz", "readyz", "metrics",
                  "static", "internal", "api", "admin"}
COMMON_PASSWORDS = {"password12", "password123", "password1234", "1234567890", "12345678910", "qwertyuiop",
                    "iloveyou12", "letmein123", "passw0rd12", "administrator"}
LOGIN_MSG_BAD = "Incorrect username or password."
LOGIN_MSG_UNVERIFIED = "Please verify your email before signing in. Check your inbox or request a new link."
REPO_MSG_NAME = "Name must be 1–100 chars: lowercase letters, digits, dots, hyphens, underscores."
REPO_MSG_TAKEN = "You already own a repository with that name."


def page(title, body):
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{esc(title)} · shithub</title></head>\n"
            f"<body>\n{body}\n</body></html>\n")


def local_next(target):
    """Only a local path is a redirect target (no scheme, no //host, no backslash tricks)."""
    if target.startswith("/") and not target.startswith("//") and not target.startswith("/\\") and "\\" not in target:
        return target
    return "/"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # IdleTimeout
    state: WebState = None

    # -- plumbing ------------------------------------------------------------------------------

    def log_message(self, *args):
        pass

    def handle_one_request(self):
        """net/http's conn.serve: a connection is idle until its next request's first byte, then
        active until the response is written. Shutdown closes idle connections and waits for
        active ones; a response written while shutting down closes its connection
        (server.go: doKeepAlives is false once shuttingDown)."""
        st, conn = self.state, self.connection
        try:
            first = self.rfile.peek(1)
        except OSError:
            first = b""
        with st.idle:
            if not first or st.conns.get(conn) == "closed":
                self.close_connection = True
                return
            st.conns[conn] = "active"
        try:
            super().handle_one_request()
        finally:
            with st.idle:
                if st.stopping:
                    self.close_connection = True
                if conn in st.conns:
                    st.conns[conn] = "idle"
                st.idle.notify_all()

    def finish(self):
        try:
            super().finish()
        finally:
            with self.state.idle:
                self.state.conns.pop(self.connection, None)
                self.state.accepted.pop(self.connection, None)
                self.state.idle.notify_all()

    def send_response(self, code, message=None):  # no "Server:" header, like net/http
        self.status = code
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def start(self, status, ctype=None, headers=(), length=None, chunked=False):
        self.send_response(status)
        for k, v in SECURE_HEADERS:
            self.send_header(k, v)
        if self.https:
            self.send_header("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        self.send_header("X-Request-Id", self.request_id)
        for c in self.set_cookies:
            self.send_header("Set-Cookie", c)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.chunked = chunked and self.request_version == "HTTP/1.1"
        if self.state.stopping:
            self.send_header("Connection", "close")
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
            self.bytes += len(body)

    def write(self, data):
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data)
            self.bytes += len(data)

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

    # -- one request: request id, RealIP, the metrics and logging middleware around the router --

    def handle_any(self):
        incoming = self.headers.get("X-Request-Id", "")
        self.request_id = incoming if REQUEST_ID_RE.fullmatch(incoming) else secrets.token_hex(16)
        self.status, self.chunked, self.body_read, self.bytes = 200, False, False, 0
        self.set_cookies, self.user, self.form = [], None, {}
        self.https = self.headers.get("X-Forwarded-Proto") == "https"
        st = self.state
        self.real_ip = resolve_real_ip(st.cfg["web.trusted_proxy_nets"], self.client_address[0],
                                       self.headers.get("X-Forwarded-For"))
        st.metrics.begin()
        started = time.monotonic()
        route = "unmatched"
        try:
            route = self.route()
        finally:
            elapsed = time.monotonic() - started
            st.metrics.end(route, self.command, self.status, elapsed)
            with st.idle:
                st.idle.notify_all()
            log("INFO", "request", method=self.command, path=urllib.parse.urlsplit(self.path).path, status=self.status,
                bytes=self.bytes, duration=GoDuration(elapsed), remote_ip=self.real_ip, request_id=self.request_id,
                user_agent=self.headers.get("User-Agent", ""))

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = handle_any

    def route(self):
        """The chi router: returns the matched route pattern (the metrics label)."""
        st = self.state
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        if "unhealthy" in FLAGS:
            self.reply(500, f"shithubd {VERSION}: unhealthy (fake flag)\n")
            return path if path in ("/", "/healthz", "/readyz", "/metrics") else "unmatched"
        get_only = {"/healthz": self.healthz, "/internal/panic": self.panic}
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
        if path.startswith(("/static/", "/internal/")):  # outside the rate-limited HTML pages
            self.not_found(path)
            return "unmatched"
        return self.html_group(path, url.query)

    # -- the HTML group: session, HTMLRateLimit, CSRF, then the page ---------------------------

    def html_group(self, path, query):
        st = self.state
        pattern, args = "unmatched", ()
        if path == "/":
            pattern = "/"
        elif st.pool:
            for pat, rx, _ in HTML_ROUTES:
                m = rx.fullmatch(path)
                if m:
                    pattern, args = pat, tuple(urllib.parse.unquote(a) for a in m.groups())
                    break
        if st.pool:
            self.user = self.session_user()
            if not self.html_rate_limit(path):
                return pattern
        self.csrf = self.csrf_cookie()
        handlers = {
            "/": {"GET": self.landing},
            "/signup": {"GET": self.signup_form, "POST": self.signup_submit},
            "/login": {"GET": self.login_form, "POST": self.login_submit},
            "/logout": {"POST": self.logout},
            "/verify-email/{token}": {"GET": self.verify_email},
            "/settings/keys": {"GET": self.keys_page, "POST": self.keys_submit},
            "/new": {"GET": self.new_repo_form, "POST": self.new_repo_submit},
            "/{owner}": {"GET": self.owner_page},
            "/{owner}/{repo}": {"GET": self.repo_page},
        }.get(pattern)
        if handlers is None:
            self.not_found(path)
            return pattern
        fn = handlers.get(self.command)
        if fn is None:
            self.reply(405, b"", ctype=None)
            return pattern
        if self.command == "POST":
            limit = 4096 if pattern in ("/signup", "/login", "/logout") else 64 * 1024
            try:
                raw = self.read_body(limit=limit)
            except (ValueError, OSError, EOFError) as e:
                self.close_connection = True
                self.reply(400, f"{e}\n")
                return pattern
            form = urllib.parse.parse_qs(raw.decode(errors="replace"), keep_blank_values=True)
            self.form = {k: v[0] for k, v in form.items()}
            sent = self.form.get("csrf_token") or self.headers.get("X-CSRF-Token", "")
            cookie = self.cookies().get("csrf_token", "")
            if not cookie or not sent or not hmac.compare_digest(sent.encode(), cookie.encode()):
                log("WARN", "csrf: token mismatch", path=path, request_id=self.request_id)
                self.reply(403, page("Forbidden", "<h1>Forbidden</h1>\n<p>The form's security token was missing or "
                                     "invalid. Reload the page and try again.</p>"), ctype=HTML)
                return pattern
        fn(*args)
        return pattern

    def not_found(self, path):
        self.reply(404, f"<!doctype html><title>404 · shithub</title><p>Not found: {esc(path)}</p>\n", ctype=HTML)

    def cookies(self):
        out = {}
        for header in self.headers.get_all("Cookie") or []:
            for part in header.split(";"):
                name, sep, value = part.strip().partition("=")
                if sep and name not in out:
                    out[name] = value.strip('"')
        return out

    def csrf_cookie(self):
        """nosurf: reuse the csrf_token cookie, or mint one (HttpOnly, SameSite=Strict)."""
        token = self.cookies().get("csrf_token", "")
        if not re.fullmatch(r"[A-Za-z0-9_-]{32,128}", token):
            token = secrets.token_urlsafe(32)
            self.set_cookies.append(f"csrf_token={token}; Path=/; Max-Age=31536000; HttpOnly;"
                                    f"{' Secure;' if self.https else ''} SameSite=Strict")
        return token

    def csrf_field(self):
        return f'<input type="hidden" name="csrf_token" value="{esc(self.csrf)}">'

    def db(self, sql, variables=None):
        cfg = self.state.cfg
        return psql(cfg["db.url"], sql, variables, connect_timeout=cfg["db.connect_timeout"], timeout=15)

    def session_user(self):
        """The signed-in user from the shithub_session cookie: (id, username, verified) or None."""
        token = self.cookies().get("shithub_session", "")
        if not token:
            return None
        try:
            rows = self.db("SELECT u.id, u.username, u.email_verified_at IS NOT NULL FROM sessions s"
                           " JOIN users u ON u.id = s.user_id WHERE s.token = :'t' AND u.deleted_at IS NULL"
                           " AND s.created_at > now() - make_interval(secs => :'max'::float8);",
                           {"t": token, "max": self.state.cfg["session.max_age"]})
        except DBError as e:
            log("ERROR", "session: lookup", error=str(e))
            return None
        return (int(rows[0][0]), rows[0][1], rows[0][2] == "t") if rows else None

    def html_rate_limit(self, path):
        """HTMLRateLimit (htmlratelimit.go@3481e591): user:<id> (html:authed) or anon:<net>
        (html:anon), fixed window; over the limit a 429 with Retry-After."""
        st = self.state
        if self.user:
            scope, key = "html:authed", f"user:{self.user[0]}"
        else:
            scope, key = "html:anon", html_anon_key(self.real_ip)
        limit, window = st.html_policy(self.user is not None)
        ok, retry = st.html_limits.allow(scope, key, limit, window)
        if ok:
            return True
        log("INFO", "ratelimit.html_throttled", scope=scope, key=key, path=path,
            user_agent=self.headers.get("User-Agent", ""), retry_after_seconds=retry)
        headers = [("Retry-After", str(retry)), ("Cache-Control", "no-store")]
        if "text/html" in self.headers.get("Accept", ""):
            self.reply(429, page("Too Many Requests", "<h1>Too Many Requests</h1>\n<p>You're sending requests too "
                                 f"quickly. Please wait {retry} seconds and try again.</p>"), ctype=HTML, headers=headers)
        else:
            self.reply(429, f"Too Many Requests. Retry after {retry} seconds.\n", headers=headers)
        return False

    def html(self, title, body, status=200):
        self.reply(status, page(title, body), ctype=HTML, headers=[("Cache-Control", "no-store")])

    def redirect(self, location):
        self.reply(303, b"", ctype=None, headers=[("Location", location)])

    def require_user(self):
        if self.user:
            return True
        path = urllib.parse.urlsplit(self.path).path
        self.redirect("/login?next=" + urllib.parse.quote(path, safe="/"))
        return False

    # -- routes --------------------------------------------------------------------------------

    def landing(self):
        self.reply(200, f"shithubd {VERSION}\n", ctype=HTML)

    # auth.go Mount: signup, verification, login (internal/web/handlers/auth/auth.go)

    def signup_form(self, message="", values=None):
        v = values or {}
        flash = f'<p class="flash">{esc(message)}</p>\n' if message else ""
        self.html("Sign up", f"""<h1>Create your account</h1>
{flash}<form method="post" action="/signup">
{self.csrf_field()}
<label>Username <input name="username" value="{esc(v.get('username', ''))}" required></label>
<label>Email <input name="email" type="email" value="{esc(v.get('email', ''))}" required></label>
<label>Password <input name="password" type="password" minlength="10" required></label>
<div style="display:none" aria-hidden="true"><label>Company <input name="company" tabindex="-1" autocomplete="off"></label></div>
<button type="submit">Sign up</button>
</form>""")

    def signup_submit(self):
        f, cfg = self.form, self.state.cfg
        if f.get("company", ""):  # the honeypot: a silent "success"
            self.redirect("/login?notice=signup-pending")
            return
        username = f.get("username", "").strip().lower()
        addr = f.get("email", "").strip()
        password = f.get("password", "")
        values = {"username": username, "email": addr}
        if not OWNER_RE.fullmatch(username):
            return self.signup_form("Username must be 1–39 chars: lowercase letters, digits, and hyphens "
                                    "(not at the start or end).", values)
        if username in RESERVED_NAMES:
            return self.signup_form("That username is reserved.", values)
        if "@" not in addr or len(addr) > 254 or re.search(r"\s", addr):
            return self.signup_form("Enter a valid email address.", values)
        if len(password) < 10:
            return self.signup_form("Password must be at least 10 characters.", values)
        if password.lower() in COMMON_PASSWORDS:
            return self.signup_form("That password is too common. Choose another.", values)
        token = secrets.token_urlsafe(32)
        try:
            taken = self.db("SELECT (SELECT count(*) FROM users WHERE lower(username) = lower(:'u')),"
                            " (SELECT count(*) FROM users WHERE lower(email) = lower(:'e'));", {"u": username, "e": addr})[0]
            if taken[0] != "0":
                return self.signup_form("That username is already taken.", values)
            if taken[1] != "0":
                return self.signup_form("That email address is already registered.", values)
            rows = self.db("WITH u AS (INSERT INTO users (username, email, password_hash) VALUES (:'u', :'e', :'h')"
                           " RETURNING id) INSERT INTO email_verifications (token, user_id, expires_at)"
                           " SELECT :'t', id, now() + interval '24 hours' FROM u RETURNING user_id;",
                           {"u": username, "e": addr, "h": hash_password(password), "t": token})
        except DBError as e:
            if "users_username_key" in str(e):
                return self.signup_form("That username is already taken.", values)
            if "users_email_key" in str(e):
                return self.signup_form("That email address is already registered.", values)
            log("ERROR", "auth: signup", error=str(e), request_id=self.request_id)
            return self.html("Sign up", "<h1>Something went wrong</h1>\n<p>Please try again.</p>", status=500)
        user_id = int(rows[0][0])
        link = f"{cfg['auth.base_url'].rstrip('/')}/verify-email/{token}"
        body = (f"Hi {username},\n\nWelcome to {cfg['auth.site_name']}! Confirm your email address by opening this link "
                f"within 24 hours:\n\n{link}\n\nIf you didn't sign up, you can ignore this message.\n")
        try:
            send_mail(cfg, addr, f"Verify your email for {cfg['auth.site_name']}", body)
        except Exception as e:  # noqa: BLE001 - any backend failure: logged, signup still completes
            log("ERROR", "auth: send verification email", error=str(e), user_id=user_id,
                backend=cfg["auth.email_backend"], request_id=self.request_id)
        log("INFO", "auth: signup", user_id=user_id, username=username, request_id=self.request_id)
        self.redirect("/login?notice=signup-pending")

    def verify_email(self, token):
        try:
            rows = self.db("WITH v AS (UPDATE email_verifications SET used_at = now() WHERE token = :'t'"
                           " AND expires_at > now() AND used_at IS NULL RETURNING user_id)"
                           " UPDATE users SET email_verified_at = coalesce(email_verified_at, now())"
                           " FROM v WHERE users.id = v.user_id RETURNING users.id;", {"t": token})
        except DBError as e:
            log("ERROR", "auth: verify email", error=str(e), request_id=self.request_id)
            rows = []
        if not rows:
            return self.html("Verify email", "<h1>Verify email</h1>\n<p>This verification link is invalid or has "
                             "expired.</p>")
        self.redirect("/login?notice=verified")

    def login_form(self, message="", username="", nxt=None):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        nxt = nxt if nxt is not None else query.get("next", [""])[0]
        notice = {"signup-pending": "Check your email for a link to verify your account, then sign in.",
                  "verified": "Your email is verified. You can sign in now."}.get(query.get("notice", [""])[0], "")
        flash = "".join(f'<p class="flash">{esc(t)}</p>\n' for t in (notice, message) if t)
        self.html("Sign in", f"""<h1>Sign in</h1>
{flash}<form method="post" action="/login">
{self.csrf_field()}
<input type="hidden" name="next" value="{esc(nxt)}">
<label>Username <input name="username" value="{esc(username)}" required></label>
<label>Password <input name="password" type="password" required></label>
<button type="submit">Sign in</button>
</form>""")

    def login_submit(self):
        f, cfg = self.form, self.state.cfg
        username, password, nxt = f.get("username", "").strip().lower(), f.get("password", ""), f.get("next", "")
        try:
            rows = self.db("SELECT id, password_hash, email_verified_at IS NOT NULL FROM users"
                           " WHERE lower(username) = lower(:'u') AND deleted_at IS NULL;", {"u": username})
        except DBError as e:
            log("ERROR", "auth: login lookup", error=str(e), request_id=self.request_id)
            rows = []
        ok = verify_password(password, rows[0][1] if rows else "")
        if not rows or not ok:
            return self.login_form(LOGIN_MSG_BAD, username, nxt)
        if cfg["auth.require_email_verification"] and rows[0][2] != "t":
            return self.login_form(LOGIN_MSG_UNVERIFIED, username, nxt)
        token = secrets.token_urlsafe(32)
        try:
            self.db("INSERT INTO sessions (token, user_id) VALUES (:'t', :'u');", {"t": token, "u": rows[0][0]})
        except DBError as e:
            log("ERROR", "auth: create session", error=str(e), request_id=self.request_id)
            return self.html("Sign in", "<h1>Something went wrong</h1>\n<p>Please try again.</p>", status=500)
        secure = " Secure;" if (self.https or cfg["session.secure"]) else ""
        self.set_cookies.append(f"shithub_session={token}; Path=/; Max-Age={int(cfg['session.max_age'])}; HttpOnly;"
                                f"{secure} SameSite=Lax")
        log("INFO", "auth: login", user_id=int(rows[0][0]), request_id=self.request_id)
        self.redirect(local_next(nxt) if nxt else "/")

    def logout(self):
        token = self.cookies().get("shithub_session", "")
        if token:
            try:
                self.db("DELETE FROM sessions WHERE token = :'t';", {"t": token})
            except DBError:
                pass
        self.set_cookies.append("shithub_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
        self.redirect("/")

    # settings: SSH keys

    def keys_page(self, message="", status=200):
        if not self.require_user():
            return
        try:
            keys = self.db("SELECT title, fingerprint_sha256, key_type FROM user_ssh_keys WHERE user_id = :'u'"
                           " AND kind = 'authentication' ORDER BY id;", {"u": self.user[0]})
        except DBError as e:
            log("ERROR", "settings: list keys", error=str(e), request_id=self.request_id)
            keys = []
        items = "".join(f"<li>{esc(t)} <code>{esc(fp)}</code> {esc(kt)}</li>\n" for t, fp, kt in keys) or "<li>No keys yet.</li>\n"
        flash = f'<p class="flash">{esc(message)}</p>\n' if message else ""
        self.html("SSH keys", f"""<h1>SSH keys</h1>
{flash}<ul class="keys">
{items}</ul>
<form method="post" action="/settings/keys">
{self.csrf_field()}
<label>Title <input name="title"></label>
<label>Key <textarea name="key" required></textarea></label>
<button type="submit">Add SSH key</button>
</form>""", status=status)

    def keys_submit(self):
        if not self.require_user():
            return
        title, key = self.form.get("title", "").strip(), self.form.get("key", "").strip()
        fields = key.split()
        known = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                 "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")
        parsed = None
        if len(fields) >= 2 and fields[0] in known and "\n" not in key:
            r = subprocess.run(["ssh-keygen", "-lf", "-"], input=key + "\n", capture_output=True, text=True,
                               timeout=10, check=False)
            out = r.stdout.strip().splitlines()
            m = re.match(r"(\d+) (SHA256:[A-Za-z0-9+/=]+) ", out[0] + " ") if r.returncode == 0 and len(out) == 1 else None
            if m:
                parsed = (int(m.group(1)), m.group(2))
        if parsed is None:
            return self.keys_page("That doesn't look like a valid SSH public key.")
        bits, fingerprint = parsed
        title = title or " ".join(fields[2:]) or fields[0]
        try:
            if self.db("SELECT 1 FROM user_ssh_keys WHERE fingerprint_sha256 = :'fp';", {"fp": fingerprint}):
                return self.keys_page("This key is already in use.")
            self.db("INSERT INTO user_ssh_keys (user_id, title, fingerprint_sha256, key_type, key_bits, public_key, kind)"
                    " VALUES (:'u', :'title', :'fp', :'kt', :'bits', :'pk', 'authentication');",
                    {"u": self.user[0], "title": title[:80], "fp": fingerprint, "kt": fields[0], "bits": bits,
                     "pk": f"{fields[0]} {fields[1]}"})
        except DBError as e:
            if "fingerprint_sha256" in str(e):
                return self.keys_page("This key is already in use.")
            log("ERROR", "settings: add key", error=str(e), request_id=self.request_id)
            return self.keys_page("Something went wrong. Please try again.", status=500)
        log("INFO", "settings: ssh key added", user_id=self.user[0], fingerprint=fingerprint, request_id=self.request_id)
        self.redirect("/settings/keys")

    # repo.go MountNew / repos.Create (internal/repos/create.go@09c93d29)

    def new_repo_form(self, message="", values=None):
        if not self.require_user():
            return
        v = values or {}
        private = v.get("visibility") == "private"
        flash = f'<p class="flash">{esc(message)}</p>\n' if message else ""
        self.html("New repository", f"""<h1>Create a new repository</h1>
{flash}<form method="post" action="/new">
{self.csrf_field()}
<label>Name <input name="name" value="{esc(v.get('name', ''))}" required></label>
<label>Description <input name="description" value="{esc(v.get('description', ''))}"></label>
<label><input type="radio" name="visibility" value="public"{'' if private else ' checked'}> Public</label>
<label><input type="radio" name="visibility" value="private"{' checked' if private else ''}> Private</label>
<button type="submit">Create repository</button>
</form>""")

    def new_repo_submit(self):
        if not self.require_user():
            return
        st, f = self.state, self.form
        uid, username = self.user[0], self.user[1]
        name = f.get("name", "").strip().lower()
        description = f.get("description", "").strip()
        visibility = f.get("visibility", "").strip() or "public"
        values = {"name": name, "description": description, "visibility": visibility}
        if not REPO_RE.fullmatch(name) or ".." in name:
            return self.new_repo_form(REPO_MSG_NAME, values)
        if len(description) > 350:
            return self.new_repo_form("Description must be 350 characters or fewer.", values)
        if visibility not in ("public", "private"):
            return self.new_repo_form("Visibility must be public or private.", values)
        ok, retry = st.create_limits.allow("repo_create", f"user:{uid}", 20, 3600)
        if not ok:
            return self.new_repo_form(f"You're creating repositories too quickly. Try again in {go_duration_str(retry)}.", values)
        try:
            if self.db("SELECT 1 FROM repos WHERE owner_user_id = :'u' AND lower(name) = lower(:'n') AND deleted_at IS NULL;",
                       {"u": uid, "n": name}):
                return self.new_repo_form(REPO_MSG_TAKEN, values)
            repo_id = self.db("INSERT INTO repos (owner_user_id, name, description, visibility, default_branch)"
                              " VALUES (:'u', :'n', :'d', :'v', 'trunk') RETURNING id;",
                              {"u": uid, "n": name, "d": description, "v": visibility})[0][0]
        except DBError as e:
            if "repos_owner_user_name_idx" in str(e):
                return self.new_repo_form(REPO_MSG_TAKEN, values)
            log("ERROR", "repo: create", error=str(e), request_id=self.request_id)
            return self.new_repo_form("Something went wrong creating the repository. Try again.", values)
        path, created = None, False
        try:
            path = checked_repo_path(st.repos_root, username, name)
            if os.path.isdir(path) and os.listdir(path):
                raise ValueError(f"storage: already exists: {path}")
            created = True
            init_bare(path)
            if st.shithubd_path:
                hooks_install(path, st.shithubd_path)
        except (ValueError, OSError) as e:
            log("ERROR", "repo: create", error=str(e), repo=f"{username}/{name}", request_id=self.request_id)
            if created and path:
                shutil.rmtree(path, ignore_errors=True)
            try:
                self.db("DELETE FROM repos WHERE id = :'id';", {"id": repo_id})
            except DBError as e2:
                log("ERROR", "repo: create cleanup", error=str(e2), request_id=self.request_id)
            return self.new_repo_form("Something went wrong creating the repository. Try again.", values)
        log("INFO", "repo: created", repo_id=int(repo_id), repo=f"{username}/{name}", visibility=visibility,
            request_id=self.request_id)
        self.redirect(f"/{username}/{name}")

    def owner_page(self, owner):
        try:
            rows = self.db("SELECT u.id, u.username, r.name, r.visibility FROM users u LEFT JOIN repos r"
                           " ON r.owner_user_id = u.id AND r.deleted_at IS NULL"
                           " WHERE lower(u.username) = lower(:'o') AND u.deleted_at IS NULL ORDER BY r.name;", {"o": owner})
        except DBError as e:
            log("ERROR", "user: lookup", error=str(e), request_id=self.request_id)
            rows = []
        if not rows:
            return self.not_found(urllib.parse.urlsplit(self.path).path)
        mine = self.user is not None and str(self.user[0]) == rows[0][0]
        items = "".join(f'<li><a href="/{esc(rows[0][1])}/{esc(n)}">{esc(n)}</a> {esc(v)}</li>\n'
                        for _, _, n, v in rows if n and (v == "public" or mine))
        self.html(rows[0][1], f"<h1>{esc(rows[0][1])}</h1>\n<ul class=\"repos\">\n{items}</ul>")

    def repo_page(self, owner, repo):
        try:
            rows = self.db("SELECT o.id, o.username, r.name, r.visibility, r.description, r.default_branch, r.is_archived"
                           " FROM repos r JOIN users o ON o.id = r.owner_user_id"
                           " WHERE lower(o.username) = lower(:'o') AND o.deleted_at IS NULL"
                           " AND lower(r.name) = lower(:'r') AND r.deleted_at IS NULL;", {"o": owner, "r": repo})
        except DBError as e:
            log("ERROR", "repo: lookup", error=str(e), request_id=self.request_id)
            rows = []
        if not rows or (rows[0][3] == "private" and (self.user is None or str(self.user[0]) != rows[0][0])):
            return self.not_found(urllib.parse.urlsplit(self.path).path)
        _, o, n, visibility, description, branch, archived = rows[0]
        cfg = self.state.cfg
        https_url = f"{cfg['auth.base_url'].rstrip('/')}/{o}/{n}.git"
        clone = f"<li>HTTPS: <code class=\"clone-https\">{esc(https_url)}</code></li>\n"
        if cfg["auth.ssh.enabled"] and cfg["auth.ssh.host"]:
            host = cfg["auth.ssh.host"]
            ssh_url = f"{host if '@' in host else 'git@' + host}:{o}/{n}.git"
            clone += f"<li>SSH: <code class=\"clone-ssh\">{esc(ssh_url)}</code></li>\n"
        self.html(f"{o}/{n}", f"""<h1>{esc(o)}/{esc(n)}</h1>
<p class="meta">{esc(visibility)}{' · archived' if archived == 't' else ''} · default branch {esc(branch)}</p>
<p class="description">{esc(description)}</p>
<ul class="clone">
{clone}</ul>""")

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

    # -- git smart HTTP (githttp/handler.go@0eaf8843, auth.go@35f1968e) -----------------------

    def basic_auth_user(self):
        """resolveBasicAuth: (present, (id, username, suspended) or None). The secret is the account
        password; runner JWTs and PATs (shithub_pat_...) are not modelled, so they are bad credentials."""
        header = self.headers.get("Authorization", "")
        if not header:
            return False, None
        if header[:6].lower() != "basic ":
            return True, None
        try:
            username, _, secret = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return True, None
        if secret.startswith("shithub_pat_") or not username:
            return True, None
        try:
            rows = self.db("SELECT id, username, password_hash, suspended_at IS NOT NULL FROM users"
                           " WHERE lower(username) = lower(:'u') AND deleted_at IS NULL;", {"u": username})
        except DBError as e:
            log("ERROR", "githttp: auth lookup", error=str(e))
            rows = []
        if not verify_password(secret, rows[0][2] if rows else ""):
            return True, None
        return True, (rows[0][0], rows[0][1], rows[0][3] == "t")

    def authorize(self, owner, repo, service):
        """authorizeForService: (gitDir, hook env), or None after writing the refusal."""
        try:
            rows = self.db("SELECT r.id, r.name, r.visibility, r.is_archived, r.deleted_at IS NOT NULL, o.id, o.username"
                           " FROM repos r JOIN users o ON o.id = r.owner_user_id"
                           " WHERE lower(o.username) = lower(:'owner') AND o.deleted_at IS NULL"
                           " AND lower(r.name) = lower(:'repo') ORDER BY (r.deleted_at IS NULL) DESC, r.id DESC LIMIT 1;",
                           {"owner": owner, "repo": repo})
        except DBError as e:
            log("ERROR", "githttp: lookup", error=str(e))
            rows = []
        if not rows:
            self.reply(404, "not found\n")
            return None
        repo_id, name, visibility, archived, deleted, owner_id, owner_name = rows[0]
        if deleted == "t":
            self.reply(410, "gone\n")
            return None
        unauthorized = [("WWW-Authenticate", 'Basic realm="shithub"')]
        present, user = self.basic_auth_user()
        write = service == "git-receive-pack"
        if (present and user is None) or (user is None and (write or visibility == "private")):
            self.reply(401, "authentication required\n", headers=unauthorized)
            return None
        is_owner = user is not None and user[0] == owner_id
        if visibility == "private" and not is_owner:
            self.reply(404, "not found\n")
            return None
        if write and archived == "t":
            self.reply(403, "repository is archived; pushes are disabled\n")
            return None
        if write and (not is_owner or user[2]):
            self.reply(403, "forbidden\n")
            return None
        try:
            git_dir = checked_repo_path(self.state.repos_root, owner_name, name)
        except ValueError:
            self.reply(404, "not found\n")
            return None
        env = {"SHITHUB_USER_ID": user[0] if user else "0", "SHITHUB_USERNAME": user[1] if user else "",
               "SHITHUB_REPO_ID": repo_id, "SHITHUB_REPO_FULL_NAME": f"{owner_name}/{name}",
               "SHITHUB_PROTOCOL": "http", "SHITHUB_REMOTE_IP": self.real_ip, "SHITHUB_REQUEST_ID": self.request_id,
               "PATH": os.environ.get("PATH", "")}
        return git_dir, env

    def info_refs(self, owner, repo, service):
        if service not in ("git-upload-pack", "git-receive-pack"):
            self.reply(400, "service query parameter required\n")
            return
        found = self.authorize(owner, repo, service)
        if found is None:
            return
        header = f"# service={service}\n".encode()
        self.stream_git(service, found, b"", f"application/x-{service}-advertisement",
                        prefix=b"%04x%s0000" % (len(header) + 4, header), advertise=True)

    def run_pack(self, owner, repo, service):
        found = self.authorize(owner, repo, service)
        if found is None:
            return
        try:
            body = self.read_body()
        except (ValueError, OSError, EOFError) as e:
            self.close_connection = True
            self.reply(413 if "too large" in str(e) else 400, f"{e}\n")
            return
        self.stream_git(service, found, body, f"application/x-{service}-result")

    def stream_git(self, service, found, body, ctype, prefix=b"", advertise=False):
        git_dir, extra_env = found
        args = [service, "--stateless-rpc"] + (["--advertise-refs"] if advertise else []) + [git_dir]
        no_cache = [("Expires", "Fri, 01 Jan 1980 00:00:00 GMT"), ("Pragma", "no-cache"),
                    ("Cache-Control", "no-cache, max-age=0, must-revalidate")]
        self.drain_body()
        self.start(200, ctype, no_cache, chunked=True)
        self.write(prefix)
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=dict(os.environ, **extra_env))
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

    def process_request(self, request, client_address):
        # Registered before its thread starts, so Shutdown sees every connection accepted.
        with self.RequestHandlerClass.state.idle:
            self.RequestHandlerClass.state.conns[request] = "new"
            self.RequestHandlerClass.state.accepted[request] = time.monotonic()
        super().process_request(request, client_address)

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
    global LOG_FORMAT, LOG_MIN  # infralog.New(cfg.Log): the web's logger follows log.format and log.level
    LOG_FORMAT = "json" if cfg["log.format"].lower() == "json" else "text"
    LOG_MIN = {"debug": -4, "warn": 4, "warning": 4, "error": 8}.get(cfg["log.level"].lower(), 0)
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
    if not cfg["web.trusted_proxies"]:
        log("WARN", "web: no trusted proxies configured; X-Forwarded-For is ignored",
            hint="set web.trusted_proxies (SHITHUB_WEB__TRUSTED_PROXIES) to the reverse proxy's networks")
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
    # srv.Shutdown (net/http server.go): close the listener, then until shutdown_timeout: close
    # the connections that are idle (a request's first byte not yet read), and wait for the
    # active ones, whose responses go out whole with "Connection: close".
    server.server_close()
    deadline = time.monotonic() + cfg["web.shutdown_timeout"]
    with state.idle:
        state.stopping = True
        while True:
            for conn, st in list(state.conns.items()):
                # A new connection is waited for (its request is on the way) unless it has sent
                # nothing for 5 s, as closeIdleConns does.
                if st == "idle" or (st == "new" and time.monotonic() - state.accepted.get(conn, 0) > 5):
                    state.conns[conn] = "closed"
                    try:
                        conn.shutdown(socket.SHUT_RD)  # the thread's read returns: it closes the socket
                    except OSError:
                        pass
            if not state.conns or time.monotonic() >= deadline:
                break
            state.idle.wait(timeout=0.1)
        busy = any(st == "active" for st in state.conns.values())
    if busy:
        return fail("shutdown: context deadline exceeded")
    return 0


# ---------------------------------------------------------------------------------------------
# hook pre-receive | post-receive (cmd/shithubd/hook.go@20ffd308, the version before quotas,
# secret scanning and 2FA)

class HookError(Exception):
    def __init__(self, err, kind="other"):
        super().__init__(err)
        self.kind = kind


HOOK_FRIENDLY = {
    "suspended": "shithub: your account is suspended; pushes are disabled.",
    "archived": "shithub: this repository is archived; pushes are disabled.",
    "deleted": "shithub: this repository has been deleted.",
    "perm": "shithub: you do not have write access to this repository.",
    "missing": "shithub: server error: hook context missing. Contact the operator.",
}


def friendly_hook_err(e):
    return HOOK_FRIENDLY.get(getattr(e, "kind", "other"), f"shithub: server error: {e}")


def env_int(name):
    try:
        return go_parse_int(os.environ.get(name, ""))
    except ValueError:
        return 0


def load_hook_ctx():
    """loadHookCtx: config.Load, a DB URL, db.Open (MaxConns 2, ConnectTimeout 1.5 s, pinged)."""
    try:
        cfg = load_config()
    except ConfigError as e:
        raise HookError(f"config: {e}")
    if not cfg["db.url"]:
        raise HookError("DB URL not set")
    try:
        db_open(cfg["db.url"], connect_timeout=1.5, timeout=5)
    except DBError as e:
        raise HookError(f"db: db: ping: {e}")
    return {"url": cfg["db.url"], "uid": env_int("SHITHUB_USER_ID"), "rid": env_int("SHITHUB_REPO_ID"),
            "username": os.environ.get("SHITHUB_USERNAME", ""), "full_name": os.environ.get("SHITHUB_REPO_FULL_NAME", ""),
            "protocol": os.environ.get("SHITHUB_PROTOCOL", ""), "remote_ip": os.environ.get("SHITHUB_REMOTE_IP", ""),
            "request_id": os.environ.get("SHITHUB_REQUEST_ID", "")}


def read_ref_lines():
    """readRefLines: "<old> <new> <ref>" lines, trimmed; blank or malformed lines skipped."""
    refs = []
    for raw in sys.stdin.buffer:
        if len(raw) > 1024 * 1024:
            raise ValueError("bufio.Scanner: token too long")
        fields = raw.decode(errors="replace").strip().split()
        if len(fields) == 3:
            refs.append(fields)
    return refs


def pre_receive_check(ctx):
    if ctx["uid"] == 0 or ctx["rid"] == 0:
        raise HookError("shithub-hook: missing context", "missing")
    try:
        row = psql(ctx["url"], "SELECT u.id, u.suspended_at IS NOT NULL, r.id, r.owner_user_id, r.deleted_at IS NOT NULL,"
                   " r.is_archived FROM (SELECT 1) AS one LEFT JOIN users u ON u.id = :'uid'::bigint"
                   " LEFT JOIN repos r ON r.id = :'rid'::bigint;",
                   {"uid": ctx["uid"], "rid": ctx["rid"]}, connect_timeout=1.5, timeout=5)[0]
    except DBError as e:
        raise HookError(f"load user: {e}")
    uid, suspended, rid, owner_id, deleted, archived = row
    if uid == "":
        raise HookError("load user: no rows in result set")
    if suspended == "t":
        raise HookError("shithub-hook: user suspended", "suspended")
    if rid == "":
        raise HookError("load repo: no rows in result set")
    if deleted == "t":
        raise HookError("shithub-hook: repo deleted", "deleted")
    if archived == "t":
        raise HookError("shithub-hook: repo archived", "archived")
    if owner_id != uid:  # policy.Can(ActionRepoWrite): the owner; collaborators and orgs not modelled
        raise HookError("shithub-hook: permission denied", "perm")


def hook_pre_receive():
    try:
        ctx = load_hook_ctx()
    except HookError as e:
        print(friendly_hook_err(e), file=sys.stderr, flush=True)
        return fail(e)
    try:
        read_ref_lines()
    except (ValueError, OSError) as e:
        print("shithub: failed to read ref updates", file=sys.stderr, flush=True)
        return fail(f"read refs: {e}")
    try:
        pre_receive_check(ctx)
    except HookError as e:
        print(friendly_hook_err(e), file=sys.stderr, flush=True)
        return fail(e)
    return 0


def hook_post_receive():
    """Always exit 0: a failed enqueue is a warning, never a failed push."""
    try:
        ctx = load_hook_ctx()
    except HookError as e:
        print(f"shithub: warning: post-receive enqueue skipped: {e}", file=sys.stderr, flush=True)
        return 0
    try:
        refs = read_ref_lines()
    except (ValueError, OSError):
        return 0
    if not refs:
        return 0
    try:
        if ctx["rid"] == 0:
            raise HookError("shithub-hook: missing context", "missing")
        variables = {"rid": ctx["rid"], "uid": ctx["uid"], "protocol": ctx["protocol"] or "ssh", "rq": ctx["request_id"]}
        sql = "BEGIN;\n"
        for i, (old, new, ref) in enumerate(refs):
            variables.update({f"old{i}": old, f"new{i}": new, f"ref{i}": ref})
            sql += (f"WITH e AS (INSERT INTO push_events (repo_id, pusher_user_id, before_sha, after_sha, ref, protocol,"
                    f" request_id) VALUES (:'rid'::bigint, NULLIF(:'uid'::bigint, 0), :'old{i}', :'new{i}', :'ref{i}',"
                    f" :'protocol', COALESCE(:'rq', '')) RETURNING id)"
                    f" INSERT INTO jobs (kind, payload) SELECT 'push:process', jsonb_build_object('push_event_id', id) FROM e;\n")
        sql += "COMMIT;\n"
        try:
            psql(ctx["url"], sql, variables, connect_timeout=1.5, timeout=5)
        except DBError as e:
            raise HookError(f"enqueue: {e}" if "jobs" in str(e) else f"insert push_event: {e}")
    except HookError as e:
        print(f"shithub: warning: post-receive enqueue: {e}", file=sys.stderr, flush=True)
        return 0
    try:
        psql(ctx["url"], "SELECT pg_notify('shithub_jobs', '');", connect_timeout=1.5, timeout=5)
    except DBError as e:
        log("WARN", "post-receive: NOTIFY failed", error=str(e))
    return 0


def hook_cmd(argv):
    if argv[:1] == ["pre-receive"]:
        return hook_pre_receive()
    if argv[:1] == ["post-receive"]:
        return hook_post_receive()
    # cobra: a parent without Run given an unknown argument prints its help and exits 0
    return group_help("hook", "Git hook entrypoints (invoked by git, not by hand)", ["post-receive", "pre-receive"])


# ---------------------------------------------------------------------------------------------
# hooks reinstall (cmd/shithubd/hooks_reinstall.go@a6e775f5)

def hooks_cmd(argv):
    if argv[:1] != ["reinstall"]:
        return group_help("hooks", "Manage git hook shims on bare repos", ["reinstall"])
    all_repos, repo_arg, args, i = False, "", argv[1:], 0
    while i < len(args):
        a = args[i]
        if a in ("--all", "--all=true"):
            all_repos = True
        elif a == "--all=false":
            all_repos = False
        elif a == "--repo":
            if i + 1 >= len(args):
                return fail("flag needs an argument: --repo")
            repo_arg, i = args[i + 1], i + 1
        elif a.startswith("--repo="):
            repo_arg = a.split("=", 1)[1]
        elif a.startswith("-"):
            return fail(f"unknown flag: {a.split('=', 1)[0]}")
        else:
            return fail(f"unknown command {go_quote(a)} for \"shithubd hooks reinstall\"")
        i += 1
    if not all_repos and repo_arg == "":
        return fail("hooks reinstall: pass --all or --repo owner/name")
    try:
        cfg = load_config()
    except ConfigError as e:
        return fail(f"config: {e}")
    root = os.path.abspath(cfg["storage.repos_root"])
    try:
        new_repo_fs(root)
    except ValueError as e:
        return fail(f"repo fs: {e}")
    try:
        binary = shithubd_binary_path()
    except OSError as e:
        return fail(f"binary path: {e}")
    if not all_repos:
        owner, sep, name = repo_arg.partition("/")
        if not sep or owner == "" or name == "":
            return fail("hooks reinstall: --repo wants owner/name")
        try:
            git_dir = checked_repo_path(root, owner, name)
        except ValueError as e:
            return fail(f"repo path: {e}")
        try:
            hooks_install(git_dir, binary)
        except ValueError as e:
            return fail(f"install: {e}")
        print(f"ok: {owner}/{name}", flush=True)
        return 0
    url = cfg["db.url"]
    try:
        if not url:
            raise DBError("no DATABASE_URL configured (set SHITHUB_DATABASE_URL)")
        db_open(url, connect_timeout=cfg["db.connect_timeout"], timeout=30)
    except DBError as e:
        return fail(f"db: db: {e}" if not url else f"db: db: ping: {e}")
    try:
        rows = psql(url, "SELECT r.id, r.name, u.username AS owner_username FROM repos r"
                    " JOIN users u ON u.id = r.owner_user_id WHERE r.deleted_at IS NULL ORDER BY r.id;", timeout=30)
    except DBError as e:
        return fail(f"list repos: {e}")
    ok = failed = 0
    for _, name, owner in rows:
        try:
            git_dir = checked_repo_path(root, owner, name)
        except ValueError as e:
            print(f"skip: {owner}/{name}: {e}", flush=True)
            failed += 1
            continue
        try:
            hooks_install(git_dir, binary)
        except ValueError as e:
            print(f"fail: {owner}/{name}: {e}", flush=True)
            failed += 1
            continue
        ok += 1
    print(f"reinstalled hooks on {ok} repos ({failed} failed)", flush=True)
    if failed:
        return fail(f"{failed} failures")
    return 0


# ---------------------------------------------------------------------------------------------
# storage check (cmd/shithubd/storage.go@3d20153a)

def check_repos_root(root):
    if root == "":
        raise ValueError("not configured")
    require_dir(root, "stat: ", f"{root} is not a directory")
    try:
        fd, probe = tempfile.mkstemp(prefix=".storage-check-", dir=root)
    except OSError as e:
        raise ValueError(f"write probe: {GoOSError('open', e.filename or os.path.join(root, '.storage-check-*'), e)}")
    os.close(fd)
    try:
        os.remove(probe)
    except OSError as e:
        raise ValueError(f"cleanup probe: {GoOSError('remove', probe, e)}")


def check_s3(cfg):
    key = "_storage-check/" + secrets.token_hex(8)
    t = time.time_ns()
    frac = f"{t % 10 ** 9:09d}".rstrip("0")
    body = ("storage check at " + time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t // 10 ** 9))
            + ("." + frac if frac else "") + "Z").encode()
    try:
        s3_request(cfg, "PUT", key, body, "text/plain")
    except S3Error as e:
        raise ValueError(str(e) if str(e).startswith("client: ") else f"put: {e}")
    try:
        try:
            got = s3_request(cfg, "GET", key)
        except S3Error as e:
            raise ValueError(f"get: {e}")
        if got != body:
            raise ValueError("round-trip body mismatch")
    finally:
        try:
            s3_request(cfg, "DELETE", key)
        except S3Error:
            pass


def storage_cmd(argv):
    if argv[:1] == ["repair-shared-perms"]:
        return not_modelled("storage repair-shared-perms")
    if argv[:1] != ["check"]:
        return group_help("storage", "Storage operations (repos_root, object store)", ["check", "repair-shared-perms"])
    try:
        cfg = load_config()
    except ConfigError as e:
        return fail(e)
    problems = []
    root = cfg["storage.repos_root"]
    try:
        check_repos_root(root)
        print(f"repos_root: ok ({root})", flush=True)
    except ValueError as e:
        problems.append(f"repos_root: {e}")
    if cfg["storage.s3.endpoint"] == "":
        print("s3: skipped (storage.s3 not configured)", flush=True)
    else:
        try:
            check_s3(cfg)
            print(f"s3: ok (endpoint={cfg['storage.s3.endpoint']} bucket={cfg['storage.s3.bucket']})", flush=True)
        except ValueError as e:
            problems.append(f"s3: {e}")
    if problems:
        return fail("storage check failed:\n" + "\n".join("  - " + p for p in problems))
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
    "hook": hook_cmd, "hooks": hooks_cmd, "storage": storage_cmd,
}
REAL_ONLY = ["seed", "gpg-backfill-all", "repo-insights-backfill-all",
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
