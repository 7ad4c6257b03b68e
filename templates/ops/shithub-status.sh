#!/bin/bash
# Managed by shithub-infra (templates/ops/shithub-status.sh): what this host knows of itself, one
# fact per line, tab-separated, for `npm run ops -- status` (components/ops/hostStatus.ts reads it
# and judges; this script judges nothing):
#   host <name> <roles>                  now <epoch>
#   version <version> <since, UTC>       the release this app host runs (the release step's record)
#   unit <name> <active> <sub>           shithub's units, Caddy, PostgreSQL, Prometheus
#   maintenance on <since> <message> | maintenance off
#   backup <dump|dr-copy|repos|wal> <epoch of the newest>
#   cert <domain> <epoch it expires>     the certificate the edge serves, as a client gets it
#   drift <changed> <missing> <extra>    shithub-drift, run now
#   alerts <JSON>                        the monitoring host's Prometheus: /api/v1/alerts
# Whatever this host does not run is left out.
set -euo pipefail
# shellcheck disable=SC1091 # written by the ops setup step
. /etc/shithub-ops/ops.env
: "${HOST:?}" "${ROLES?}"
PROMETHEUS_URL=${PROMETHEUS_URL:-}
CURLRC=${CURLRC:-}
DOMAIN=${DOMAIN:-}

printf 'host\t%s\t%s\n' "$HOST" "$ROLES"
printf 'now\t%s\n' "$(date +%s)"
if [ -r /var/lib/shithub-release/running ]; then
  read -r version since </var/lib/shithub-release/running || true
  printf 'version\t%s\t%s\n' "${version:-}" "${since:-}"
fi
systemctl list-units --all --plain --no-legend --no-pager 'shithub*' 'caddy.service' 'postgresql*' 'prometheus*' 2>/dev/null |
  while read -r unit _load active sub _; do
    case $unit in shithub-step-* | shithub-exec-*) continue ;; esac
    printf 'unit\t%s\t%s\t%s\n' "$unit" "$active" "$sub"
  done
shithub-maintenance show

epoch_of() { local v=""; if [ -r "$1" ]; then read -r v <"$1" || true; fi; [[ $v =~ ^[0-9]+$ ]] && printf '%s' "$v"; return 0; }
dump=$(epoch_of /var/lib/shithub/backup-last-success)
[ -z "$dump" ] || printf 'backup\tdump\t%s\n' "$dump"
copy=$(epoch_of /var/lib/shithub/spaces-sync-last-success)
[ -z "$copy" ] || printf 'backup\tdr-copy\t%s\n' "$copy"
repos=$(epoch_of /var/lib/shithub-repos-backup/last-success)
[ -z "$repos" ] || printf 'backup\trepos\t%s\n' "$repos"
if [[ " $ROLES " == *" db "* ]] && systemctl is-active --quiet postgresql.service; then
  wal=$(runuser -u postgres -- psql -X -At -c "SELECT coalesce(extract(epoch FROM last_archived_time)::bigint::text, '') FROM pg_stat_archiver" 2>/dev/null || true)
  [ -z "$wal" ] || printf 'backup\twal\t%s\n' "$wal"
fi

if [ -n "$DOMAIN" ] && command -v openssl >/dev/null && systemctl is-active --quiet caddy.service; then
  if end=$(openssl s_client -connect 127.0.0.1:443 -servername "$DOMAIN" </dev/null 2>/dev/null | openssl x509 -noout -enddate 2>/dev/null); then
    printf 'cert\t%s\t%s\n' "$DOMAIN" "$(date -u -d "${end#notAfter=}" +%s)"
  fi
fi

drift_rc=0
drift=$(shithub-drift 2>/dev/null) || drift_rc=$?
if [ "$drift_rc" = 2 ]; then
  printf 'drift\tunrecorded\n'
else
  printf 'drift\t%s\t%s\t%s\n' "$(grep -c '^changed' <<<"$drift" || true)" "$(grep -c '^missing' <<<"$drift" || true)" "$(grep -c '^extra' <<<"$drift" || true)"
fi

if [ -n "$PROMETHEUS_URL" ]; then
  if alerts=$(curl -sS --max-time 10 ${CURLRC:+-K "$CURLRC"} "$PROMETHEUS_URL/api/v1/alerts" 2>/dev/null); then
    printf 'alerts\t%s\n' "$(tr -d '\n\t' <<<"$alerts")"
  else
    printf 'alerts\tunreachable\n'
  fi
fi
