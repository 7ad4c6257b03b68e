# shithub-metrics-setup: this host's metrics (after templates/scripts/lib/setup.sh): the node
# exporter and shithub's textfile metrics on loopback, and Debian's Prometheus scraping them with
# what else runs here: an agent pushing to the monitoring host, or on the monitoring host the
# environment's Prometheus. Prometheus checks its new config before it replaces the old one; each
# service restarts only when its own files changed.

: "${STAGE:?}" "${PACKAGES:?}" "${INSTALLS:?}"

# shellcheck disable=SC2086 # a list of package names
ensure_packages $PACKAGES
mode=(--agent)
grep -q -- '--enable-feature=agent' "$STAGE/prometheus.service.conf" || mode=()
check_staged "promtool rejected the new Prometheus config; the old one stays" promtool check config "${mode[@]}" "$STAGE/shithub.yml"

install_declared

if was_changed prometheus.service.conf || was_changed shithub-node-metrics.service || was_changed shithub-node-metrics.timer; then
  systemctl daemon-reload
fi
systemctl enable prometheus-node-exporter.service prometheus.service shithub-node-metrics.timer >/dev/null 2>&1 ||
  fail "could not enable the metrics services"
if was_changed prometheus-node-exporter || ! systemctl is-active --quiet prometheus-node-exporter.service; then
  systemctl restart prometheus-node-exporter.service || fail "the node exporter did not start"
fi
if was_changed prometheus.service.conf || was_changed shithubd-metrics.password || was_changed shithub-push.password || ! systemctl is-active --quiet prometheus.service; then
  systemctl restart prometheus.service || fail "Prometheus did not start"
elif was_changed shithub.yml; then
  systemctl reload prometheus.service || fail "Prometheus did not reload its config"
fi
systemctl start shithub-node-metrics.timer || fail "the textfile metrics timer did not start"
# The first textfile metrics now, not a minute from now.
systemctl start shithub-node-metrics.service || fail "shithub-node-metrics failed (journalctl -u shithub-node-metrics)"
log "scraping; changed: ${changed[*]:-nothing}"
