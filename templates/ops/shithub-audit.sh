# shithub-audit: one line in this app host's audit log, sent by shithub-infra after each release
# step (components/ops/audit.ts) on stdin, after a header that sets the variables below:
#   <UTC time> <version> <commit> <who> <release bundle's sha256, first 12>   (tab-separated)
# who: the CI actor (GitHub's) or the operator's git identity, as `pulumi up` ran. `npm run ops --
# audit` lists every host's lines. The log is root's, on the root disk; nothing prunes it.
: "${AUDIT_VERSION:?}" "${AUDIT_COMMIT:?}" "${AUDIT_WHO:?}" "${AUDIT_RELEASE:?}"
LOG=/var/lib/shithub-audit/log
install -d -m 0755 -o root -g root "$(dirname "$LOG")"
printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$AUDIT_VERSION" "$AUDIT_COMMIT" "$AUDIT_WHO" "$AUDIT_RELEASE" >>"$LOG"
chmod 0644 "$LOG"
echo "shithub-audit: recorded $AUDIT_VERSION at $AUDIT_COMMIT by $AUDIT_WHO" >&2
