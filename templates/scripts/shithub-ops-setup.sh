# shithub-ops-setup: the day-2 tools on any host (after templates/scripts/lib/setup.sh): the drift
# check and its timer, the status report, shithub-exec and the maintenance switch. The records of
# steps this host no longer runs (a role taken off it) are forgotten: their files are no longer
# the program's to compare.

# No packages: PACKAGES is empty for this role.
: "${STAGE:?}" "${PACKAGES?}" "${INSTALLS:?}"

install -d -m 0755 -o root -g root /etc/shithub-ops
install_declared
STEPS=$(
  # shellcheck disable=SC1091 # staged by the bundle
  . "$STAGE/ops.env"
  printf '%s' "${STEPS:?}"
)
for record in "$MANIFEST_DIR"/shithub-*; do
  [ -f "$record" ] || continue
  case " $STEPS " in
    *" $(basename "$record") "*) ;;
    *)
      rm -f -- "$record"
      log "forgot $(basename "$record"): this host no longer runs that step"
      ;;
  esac
done

if was_changed shithub-drift.service || was_changed shithub-drift.timer; then systemctl daemon-reload; fi
systemctl enable --now shithub-drift.timer >/dev/null 2>&1 || fail "could not start shithub-drift.timer"
log "day-2 tools in place; changed: ${changed[*]:-nothing}"
