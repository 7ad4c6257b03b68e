# shithub-git-ssh-setup: git over SSH on an app host (after templates/scripts/lib/setup.sh), as
# the existing deployment does it: a git user whose shell is git-shell, sshd asking shithubd for
# each key, and git-shell's wrapper for the forced command. sshd checks the new config before it
# reloads; a config it rejects is put back.

: "${STAGE:?}" "${PACKAGES:?}"

# shellcheck disable=SC2086 # a list of package names
ensure_packages $PACKAGES
git_shell=$(command -v git-shell) || fail "git-shell is missing"
if ! getent passwd git >/dev/null; then
  useradd --system --user-group --home-dir /var/lib/git --no-create-home --shell "$git_shell" git
fi
# In the shithub group: git reads web.env and the repositories (clone) as shithubd writes them.
usermod --shell "$git_shell" --append --groups shithub git
# `*`: no password, but not locked (`!`), which sshd refuses when PAM is off.
usermod --password '*' git
install -d -m 0755 -o root -g root /var/lib/git /var/lib/git/git-shell-commands

install_staged shithub-ssh-authkeys /usr/local/bin/shithub-ssh-authkeys 0755 root:root
install_staged git-shell-shithubd /var/lib/git/git-shell-commands/shithubd 0755 root:root
conf=/etc/ssh/sshd_config.d/20-shithub-git.conf
previous=$(mktemp)
if [ -f "$conf" ]; then cp -p "$conf" "$previous"; fi
install_staged sshd-git.conf "$conf" 0644 root:root
install -d -m 0755 /run/sshd
if ! sshd -t 2>"$previous.err"; then
  if [ -s "$previous" ]; then cp -p "$previous" "$conf"; else rm -f "$conf"; fi
  head -n 3 "$previous.err" >&2
  rm -f "$previous" "$previous.err"
  fail "sshd -t rejected the git config; the previous one stays"
fi
rm -f "$previous" "$previous.err"
if was_changed sshd-git.conf; then systemctl reload ssh.service || fail "sshd did not reload"; fi
log "git@ served by sshd; changed: ${changed[*]:-nothing}"
