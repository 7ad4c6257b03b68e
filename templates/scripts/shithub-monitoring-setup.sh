# shithub-monitoring-setup: the environment's alert rules and Alertmanager on the monitoring host
# (after templates/scripts/lib/setup.sh; its metrics step then runs Prometheus as the server).
# The rules, Prometheus's login and Alertmanager's config are checked by their own tools before
# they replace the old. A running Prometheus rereads its login on each request.

: "${STAGE:?}" "${PACKAGES:?}" "${INSTALLS:?}"

# shellcheck disable=SC2086 # a list of package names
ensure_packages prometheus $PACKAGES
check_staged "promtool rejected the new alert rules; the old ones stay" promtool check rules "$STAGE/shithub-alerts.yml"
check_staged "amtool rejected the new Alertmanager config; the old one stays" amtool check-config "$STAGE/alertmanager.yml"
check_staged "promtool rejected the new Prometheus web config; the old one stays" promtool check web-config "$STAGE/shithub-web.yml"

install_declared

systemctl enable prometheus-alertmanager.service >/dev/null 2>&1 || fail "could not enable Alertmanager"
if was_changed prometheus-alertmanager || was_changed alertmanager.yml || ! systemctl is-active --quiet prometheus-alertmanager.service; then
  systemctl restart prometheus-alertmanager.service || fail "Alertmanager did not start"
fi
# A running Prometheus rereads its rules; the metrics step starts it with them otherwise.
if was_changed shithub-alerts.yml && systemctl is-active --quiet prometheus.service; then
  systemctl reload prometheus.service || fail "Prometheus did not reload the alert rules"
fi
log "alerting; changed: ${changed[*]:-nothing}"
