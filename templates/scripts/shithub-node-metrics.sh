#!/bin/bash
# shithub-node-metrics: what this host knows and no exporter reports, as the node exporter's
# textfile metrics (shithub-node-metrics.timer, every minute, as root in a sandbox):
#   shithub_release_timestamp_seconds{version}  when the release step switched this app host to the version it runs
#   shithub_log_error_lines_total{unit}          shithubd's journal lines matching panic|ERROR (the runbook's log signal)
#   shithub_repos_backup_last_success_seconds    the repositories' newest snapshot (its heartbeat)
#   shithub_tls_certificate_expiry_seconds{domain}  when the certificate the edge serves expires
#   shithub_tls_certificate_not_before_seconds{domain}  and since when it is valid (its lifetime)
#   shithub_drill_last_success_seconds{drill}    when the weekly restore drill (dump|repos) last succeeded
#   shithub_drill_last_run_failed{drill}         1 when its last run failed (a failure newer than any success)
#   shithub_drill_scheduled_seconds{drill}       since when it is scheduled (staleness before a first success)
#   shithub_backup_identity_proof_seconds{recipient}  when an operator last opened the identity canary with that recipient's identity
#   shithub_backup_canary_since_seconds          since when there is a canary to open (before a first proof)
#   shithub_drift_files{kind}                    files the program owns found changed, missing or extra by the last drift check
#   shithub_drift_checked_seconds                when that check ran (shithub-drift.timer, every 15 minutes)
# The labels env and host come from the scrape. Whatever this host does not run is left out.
set -euo pipefail
: "${TEXTFILE_DIR:?}" "${STATE_DIR:?}"
DOMAIN=${DOMAIN:-}
DRILL_DIR=${DRILL_DIR:-/var/lib/shithub-drill}
CANARY_DIR=${CANARY_DIR:-/var/lib/shithub-canary}
out=$(mktemp "$TEXTFILE_DIR/.shithub.prom.XXXXXX")
trap 'rm -f -- "$out"' EXIT

metric() { printf '# HELP %s %s\n# TYPE %s %s\n' "$1" "$3" "$1" "$2" >>"$out"; }

# The release step's record (templates/scripts/shithub-release.sh): "<version> <UTC time>".
if [ -r /var/lib/shithub-release/running ]; then
  read -r version at </var/lib/shithub-release/running || true
  if [[ ${version:-} =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] && seconds=$(date -u -d "${at:-}" +%s 2>/dev/null); then
    metric shithub_release_timestamp_seconds gauge "When the release step switched this host to the version it runs."
    printf 'shithub_release_timestamp_seconds{version="%s"} %s\n' "$version" "$seconds" >>"$out"
  fi
fi

# shithubd logs through slog, text (level=ERROR) or JSON ("level":"ERROR"); a panic is logged as one.
# Each unit's journal is read from where the last run stopped, and its count carried on.
if systemctl cat shithubd-web.service >/dev/null 2>&1; then
  metric shithub_log_error_lines_total counter "shithubd journal lines matching panic or level ERROR."
  for unit in shithubd-web.service shithubd-worker.service; do
    count=0
    if [ -r "$STATE_DIR/$unit.count" ]; then read -r count <"$STATE_DIR/$unit.count" || count=0; fi
    [[ $count =~ ^[0-9]+$ ]] || count=0
    # journalctl moves its cursor on a copy; the count is saved first, then the cursor, each by a
    # rename: a run cut short counts its lines again rather than losing them or the total.
    cursor="$STATE_DIR/$unit.cursor"
    rm -f "$cursor.next"
    if [ -f "$cursor" ]; then cp "$cursor" "$cursor.next"; fi
    new=$(journalctl --quiet --unit="$unit" --cursor-file="$cursor.next" --output=cat \
      --grep='panic|level=ERROR|"level":"ERROR"' 2>/dev/null | wc -l) || new=0
    count=$((count + new))
    printf '%s\n' "$count" >"$STATE_DIR/$unit.count.next"
    mv -f "$STATE_DIR/$unit.count.next" "$STATE_DIR/$unit.count"
    if [ -f "$cursor.next" ]; then mv -f "$cursor.next" "$cursor"; fi
    printf 'shithub_log_error_lines_total{unit="%s"} %s\n' "$unit" "$count" >>"$out"
  done
fi

# The repositories' backup heartbeat (templates/scripts/shithub-repos-backup.sh): epoch seconds.
if [ -r /var/lib/shithub-repos-backup/last-success ]; then
  read -r beat </var/lib/shithub-repos-backup/last-success || true
  if [[ ${beat:-} =~ ^[0-9]+$ ]]; then
    metric shithub_repos_backup_last_success_seconds gauge "When the repositories' last snapshot succeeded."
    printf 'shithub_repos_backup_last_success_seconds %s\n' "$beat" >>"$out"
  fi
fi

# The weekly drills' records (templates/systemd/shithub-{dump,repos}-drill*.service): epoch seconds,
# written by the unit on success and by its failure hook. Each family's lines together, as the format wants.
epoch() { local v=""; [ -r "$1" ] && read -r v <"$1"; [[ $v =~ ^[0-9]+$ ]] && printf '%s' "$v"; return 0; }
drills=()
for dir in "$DRILL_DIR"/*/; do
  drill=$(basename "$dir")
  if [ -d "$dir" ] && [[ $drill =~ ^[a-z]+$ ]]; then drills+=("$drill"); fi
done
if [ "${#drills[@]}" -gt 0 ]; then
  successes="" failed="" scheduled=""
  for drill in "${drills[@]}"; do
    dir=$DRILL_DIR/$drill
    ok=$(epoch "$dir/last-success") bad=$(epoch "$dir/last-failure") since=$(epoch "$dir/scheduled")
    if [ -n "$ok" ]; then successes+=$(printf 'shithub_drill_last_success_seconds{drill="%s"} %s' "$drill" "$ok")$'\n'; fi
    if [ -n "$ok$bad" ]; then failed+=$(printf 'shithub_drill_last_run_failed{drill="%s"} %s' "$drill" "$([ -n "$bad" ] && [ "$bad" -ge "${ok:-0}" ] && echo 1 || echo 0)")$'\n'; fi
    if [ -n "$since" ]; then scheduled+=$(printf 'shithub_drill_scheduled_seconds{drill="%s"} %s' "$drill" "$since")$'\n'; fi
  done
  if [ -n "$successes" ]; then
    metric shithub_drill_last_success_seconds gauge "When the weekly restore drill last succeeded."
    printf '%s' "$successes" >>"$out"
  fi
  if [ -n "$failed" ]; then
    metric shithub_drill_last_run_failed gauge "1 when the weekly restore drill's last run failed."
    printf '%s' "$failed" >>"$out"
  fi
  if [ -n "$scheduled" ]; then
    metric shithub_drill_scheduled_seconds gauge "Since when the weekly restore drill is scheduled."
    printf '%s' "$scheduled" >>"$out"
  fi
fi

# The identity canary's proofs (templates/scripts/shithub-backup-canary.sh): a file per recipient.
proofs=""
for proof in "$CANARY_DIR"/proofs/age1*; do
  recipient=$(basename "$proof")
  at=$(epoch "$proof")
  if [[ $recipient =~ ^age1[0-9a-z]{58}$ ]] && [ -n "$at" ]; then
    proofs+=$(printf 'shithub_backup_identity_proof_seconds{recipient="%s"} %s' "$recipient" "$at")$'\n'
  fi
done
if [ -n "$proofs" ]; then
  metric shithub_backup_identity_proof_seconds gauge "When an operator last proved, with that recipient's identity, that it opens the backups' canary."
  printf '%s' "$proofs" >>"$out"
fi
since=$(epoch "$CANARY_DIR/since")
if [ -n "$since" ]; then
  metric shithub_backup_canary_since_seconds gauge "Since when the backups' identity canary exists to be opened."
  printf 'shithub_backup_canary_since_seconds %s\n' "$since" >>"$out"
fi

# The drift check's last result (shithub-drift --record): "<epoch> <changed> <missing> <extra>".
if [ -r /var/lib/shithub-drift/result ]; then
  read -r at changed missing extra </var/lib/shithub-drift/result || true
  if [[ "${at:-} ${changed:-} ${missing:-} ${extra:-}" =~ ^[0-9]+\ [0-9]+\ [0-9]+\ [0-9]+$ ]]; then
    metric shithub_drift_checked_seconds gauge "When the last drift check of this host's files ran."
    printf 'shithub_drift_checked_seconds %s\n' "$at" >>"$out"
    metric shithub_drift_files gauge "Files shithub-infra owns that the last drift check found changed, missing or extra."
    printf 'shithub_drift_files{kind="%s"} %s\n' changed "$changed" missing "$missing" extra "$extra" >>"$out"
  fi
fi

# The certificate the edge serves for the domain, as a client gets it.
if [ -n "$DOMAIN" ] && systemctl is-active --quiet caddy.service; then
  if dates=$(openssl s_client -connect 127.0.0.1:443 -servername "$DOMAIN" </dev/null 2>/dev/null | openssl x509 -noout -startdate -enddate 2>/dev/null); then
    start=$(sed -n 's/^notBefore=//p' <<<"$dates")
    end=$(sed -n 's/^notAfter=//p' <<<"$dates")
    metric shithub_tls_certificate_expiry_seconds gauge "When the certificate the edge serves for the domain expires."
    printf 'shithub_tls_certificate_expiry_seconds{domain="%s"} %s\n' "$DOMAIN" "$(date -u -d "$end" +%s)" >>"$out"
    metric shithub_tls_certificate_not_before_seconds gauge "Since when the certificate the edge serves for the domain is valid."
    printf 'shithub_tls_certificate_not_before_seconds{domain="%s"} %s\n' "$DOMAIN" "$(date -u -d "$start" +%s)" >>"$out"
  fi
fi

chmod 0644 "$out"
mv -f "$out" "$TEXTFILE_DIR/shithub.prom"
trap - EXIT
