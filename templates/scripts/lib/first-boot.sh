# shithub-infra setup steps start here (after templates/scripts/lib/setup.sh): cloud-init's first
# boot installs the packages, and a setup step on a new host waits for it.
if command -v cloud-init >/dev/null; then cloud-init status --wait >/dev/null 2>&1 || true; fi
