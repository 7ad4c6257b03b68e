#!/bin/bash
# Prints the directory holding Debian's Prometheus tools (promtool, prometheus, amtool), fetching
# the distribution's packages once into a cache and unpacking them there: no service is installed
# or started on the machine that runs the tests.
set -euo pipefail
CACHE=${SHITHUB_TOOLS_CACHE:-/var/tmp/shithub-tools}/prometheus
PACKAGES=(prometheus prometheus-alertmanager)
if [ ! -x "$CACHE/root/usr/bin/promtool" ] || [ ! -x "$CACHE/root/usr/bin/amtool" ]; then
  mkdir -p "$CACHE/debs"
  cd "$CACHE/debs"
  apt-get download "${PACKAGES[@]}" >/dev/null 2>&1 || { apt-get update -qq && apt-get download "${PACKAGES[@]}" >/dev/null; }
  rm -rf "$CACHE/root.new" && mkdir -p "$CACHE/root.new"
  for deb in ./*.deb; do dpkg-deb -x "$deb" "$CACHE/root.new"; done
  rm -rf "$CACHE/root" && mv "$CACHE/root.new" "$CACHE/root"
fi
echo "$CACHE/root/usr/bin"
