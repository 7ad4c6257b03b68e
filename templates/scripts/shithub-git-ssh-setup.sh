# shithub-git-ssh-setup: git over SSH on an app host (after templates/scripts/lib/setup.sh), as
# the existing deployment does it: a git user whose shell is git-shell, sshd asking shithubd for
# each key, and git-shell's wrapper for the forced command. sshd checks the new config before it
# reloads; a config it rejects is put back.

: "${STAGE:?}" "${PACKAGES:?}" "${INSTALLS:?}"

# shellcheck disable=SC2086 # a list of package names
ensure_packages $PACKAGES
git_shell=$(command -v git-shell) || fail "git-shell is missing"
if ! getent passwd git >/dev/null; then
  useradd --system --user-group --home-dir /var/lib/git --no-create-home --shell "$git_shell" git
fi
# In the shithub group: git reads ssh.env and the repositories (clone) as shithubd writes them.
usermod --shell "$git_shell" --append --groups shithub git
# `*`: no password, but not locked (`!`), which sshd refuses when PAM is off.
usermod --password '*' git
install -d -m 0755 -o root -g root /var/lib/git /var/lib/git/git-shell-commands

install_declared
install -d -m 0755 /run/sshd
if ! sshd -t 2>"$STAGE/sshd.err"; then
  restore_previous sshd-git.conf /etc/ssh/sshd_config.d/20-shithub-git.conf
  head -n 3 "$STAGE/sshd.err" >&2
  fail "sshd -t rejected the git config; the previous one stays"
fi
if was_changed sshd-git.conf; then systemctl reload ssh.service || fail "sshd did not reload"; fi
log "git@ served by sshd; changed: ${changed[*]:-nothing}"
