#!/bin/bash
# shithub-backup-canary: the identity canary (issue 25) on the host that dumps. A small known text
# with the time it was sealed, sealed to every recipient in the recipients file (the operators'
# and the weekly drill's), under canary/ in the backups bucket. An operator proves their offline
# identity still opens the backups by opening it (npm run backup:check-identity); the identity
# never comes here, only what it read.
#   shithub-backup-canary seal                  a new canary (the backup setup, when the recipients change)
#   shithub-backup-canary fetch                 the newest canary's key, then the canary (ASCII armour)
#   shithub-backup-canary prove KEY RECIPIENT SHA256
#     records that RECIPIENT's identity opened canary KEY, whose text has digest SHA256: RECIPIENT
#     must be in the recipients file and the digest the canary's own (opened here with the drill's
#     identity). shithub-node-metrics exports the record (shithub_backup_identity_proof_seconds).
# Settings: /etc/shithub-backup/backup.env (BACKUP_REMOTE, RCLONE_CONFIG, AGE_RECIPIENTS).
set -euo pipefail
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-backup/backup.env
: "${BACKUP_REMOTE:?}" "${RCLONE_CONFIG:?}" "${AGE_RECIPIENTS:?}"
export RCLONE_CONFIG
identity=${DRILL_IDENTITY:-/etc/shithub-backup/drill.key}
proofs=${CANARY_PROOFS:-/var/lib/shithub-canary/proofs}

log() { printf 'shithub-backup-canary: %s\n' "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}
remote() { rclone --s3-no-check-bucket "$@"; }
recipients() { grep -E '^age1[0-9a-z]{58}$' "$AGE_RECIPIENTS"; }

case ${1:-} in
  seal)
    key="canary/canary-$(date -u +%Y%m%dT%H%M%SZ).txt.age"
    count=$(recipients | wc -l)
    [ "$count" -gt 0 ] || fail "no recipient in $AGE_RECIPIENTS"
    # Known text, the time, and a nonce: a proof needs the text, so nobody proves without opening it.
    printf 'shithub backup canary\nsealed %s\nnonce %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" |
      age --armor --recipients-file "$AGE_RECIPIENTS" | remote rcat "$BACKUP_REMOTE/$key" ||
      fail "could not seal and upload $key"
    log "sealed $key to $count recipients"
    printf '%s\n' "$key"
    ;;
  fetch)
    name=$(remote lsf --files-only "$BACKUP_REMOTE/canary" 2>/dev/null | grep -E '^canary-[0-9]{8}T[0-9]{6}Z\.txt\.age$' | sort | tail -n 1) || true
    [ -n "$name" ] || fail "no canary under $BACKUP_REMOTE/canary (the backup setup seals one when the recipients change)"
    printf 'canary/%s\n' "$name"
    remote cat "$BACKUP_REMOTE/canary/$name" || fail "could not read canary/$name"
    ;;
  prove)
    key=${2:-} recipient=${3:-} digest=${4:-}
    [[ $key =~ ^canary/canary-[0-9]{8}T[0-9]{6}Z\.txt\.age$ ]] || fail "'$key' is not a canary's key"
    [[ $recipient =~ ^age1[0-9a-z]{58}$ ]] || fail "'$recipient' is not an age recipient"
    [[ $digest =~ ^[0-9a-f]{64}$ ]] || fail "'$digest' is not a SHA-256 digest"
    recipients | grep -Fxq -- "$recipient" || fail "$recipient is not one of the recipients in $AGE_RECIPIENTS: nothing recorded"
    [ -r "$identity" ] || fail "no drill identity at $identity to check the canary with: nothing recorded"
    actual=$(remote cat "$BACKUP_REMOTE/$key" | age --decrypt --identity "$identity" | sha256sum | cut -c1-64) ||
      fail "could not open $key with the drill's identity: nothing recorded"
    [ "$actual" = "$digest" ] || fail "the text given is not $key's: nothing recorded"
    install -d -m 0755 "$proofs"
    date -u +%s >"$proofs/.$recipient.tmp"
    chmod 0644 "$proofs/.$recipient.tmp"
    mv -f "$proofs/.$recipient.tmp" "$proofs/$recipient"
    log "recorded: $recipient opened $key"
    ;;
  *)
    echo "usage: shithub-backup-canary seal | fetch | prove KEY RECIPIENT SHA256" >&2
    exit 2
    ;;
esac
