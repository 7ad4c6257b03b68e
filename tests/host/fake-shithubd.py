#!/usr/bin/python3
"""A stand-in for shithubd in the real-host tier: the subcommands the units and the release
script use, with shithubd's contracts. The test writes one copy per release, with VERSION and
FLAGS filled in:

  migrate up       applies this release's migrations to the real database (goose_db_version),
                   and records each run that applied something in migration_runs
  config validate  exits non-zero when a required variable is missing or invalid
  web              refuses to start without its required variables, then serves HTTP on
                   SHITHUB_WEB__ADDR: GET / answers 200 "shithubd <VERSION>"
  worker           refuses to start without SHITHUB_DATABASE_URL, then idles
  admin run-job    succeeds

FLAGS: bad-migration (migrate up fails), unhealthy (web answers 500), needs-new-var (requires
SHITHUB_NEW_THING), plus `migrations=N` (this release's schema version).
"""
import http.server
import os
import subprocess
import sys
import time

VERSION = "@VERSION@"
FLAGS = "@FLAGS@".split(",")


def flag_value(name, default):
    for f in FLAGS:
        if f.startswith(name + "="):
            return f.split("=", 1)[1]
    return default


def psql(sql):
    url = os.environ.get("SHITHUB_DATABASE_URL", "")
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", url, "-c", sql],
                          capture_output=True, text=True, check=False)


def required(names):
    missing = [n for n in names if not os.environ.get(n)]
    if "needs-new-var" in FLAGS and not os.environ.get("SHITHUB_NEW_THING"):
        missing.append("SHITHUB_NEW_THING")
    return missing


def migrate_up():
    if not os.environ.get("SHITHUB_DATABASE_URL"):
        print("migrate: SHITHUB_DATABASE_URL is not set", file=sys.stderr)
        return 1
    if "bad-migration" in FLAGS:
        r = psql("BEGIN; CREATE TABLE broken_migration (id int); SELECT no_such_function(); COMMIT;")
        print("migrate: migration failed: " + r.stderr.strip().splitlines()[-1], file=sys.stderr)
        return 1
    target = int(flag_value("migrations", "1"))
    r = psql(
        "CREATE TABLE IF NOT EXISTS goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL,"
        " is_applied boolean NOT NULL DEFAULT true, tstamp timestamptz DEFAULT now());"
        "CREATE TABLE IF NOT EXISTS migration_runs (id serial PRIMARY KEY, release text, at timestamptz DEFAULT now());"
        "SELECT coalesce(max(version_id), 0) FROM goose_db_version;")
    if r.returncode != 0:
        print("migrate: " + r.stderr.strip(), file=sys.stderr)
        return 1
    current = int(r.stdout.strip().splitlines()[-1])
    if current >= target:
        return 0
    sql = "BEGIN;"
    for v in range(current + 1, target + 1):
        sql += f"CREATE TABLE schema_v{v} (id int); INSERT INTO goose_db_version (version_id) VALUES ({v});"
    sql += f"INSERT INTO migration_runs (release) VALUES ('{VERSION}'); COMMIT;"
    r = psql(sql)
    if r.returncode != 0:
        print("migrate: " + r.stderr.strip(), file=sys.stderr)
        return 1
    return 0


def web():
    missing = required(["SHITHUB_DATABASE_URL", "SHITHUB_SESSION_KEY", "SHITHUB_WEB__ADDR"])
    if missing:
        print("web: refusing to start, missing " + ", ".join(missing), file=sys.stderr)
        return 1
    host, port = os.environ["SHITHUB_WEB__ADDR"].rsplit(":", 1)
    status = 500 if "unhealthy" in FLAGS else 200

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = f"shithubd {VERSION}\n".encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer((host, int(port)), Handler).serve_forever()
    return 0


def worker():
    if required(["SHITHUB_DATABASE_URL"]):
        print("worker: refusing to start, SHITHUB_DATABASE_URL is not set", file=sys.stderr)
        return 1
    while True:
        time.sleep(3600)


def validate():
    missing = required(["SHITHUB_DATABASE_URL"])
    if missing:
        print("config validate: missing " + ", ".join(missing), file=sys.stderr)
        return 1
    return 0


def main(argv):
    cmd = " ".join(argv[1:3])
    if cmd == "migrate up":
        return migrate_up()
    if cmd == "config validate":
        return validate()
    if argv[1:2] == ["web"]:
        return web()
    if argv[1:2] == ["worker"]:
        return worker()
    if argv[1:3] == ["admin", "run-job"]:
        return 0
    if argv[1:2] == ["version"]:
        print(VERSION)
        return 0
    print("usage: shithubd migrate up | config validate | web | worker | admin run-job JOB", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
