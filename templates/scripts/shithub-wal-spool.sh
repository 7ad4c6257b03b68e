#!/bin/bash
# shithub-wal-spool NAME PATH DIR: the PITR drill's restore_command, run by the scratch server as
# shithub-drill, which never holds the age identity. It asks root's feeder (shithub-pitr-drill)
# for the archived WAL file NAME by creating DIR/want/NAME, waits for DIR/spool/NAME (root
# fetched and opened it) or DIR/missing/NAME, and copies the segment to PATH. Exits 1 when NAME
# is not in the archive: PostgreSQL's sign that recovery has reached its end.
set -euo pipefail
name=$1 path=$2 dir=$3
# WAL segments, timeline histories and backup history files: nothing else is asked for by name.
[[ $name =~ ^[0-9A-F]{24}$|^[0-9A-F]{8}\.history$|^[0-9A-F]{24}\.[0-9A-F]{8}\.backup$ ]] || exit 1
: >"$dir/want/$name"
for _ in $(seq 1 6000); do
  if [ -e "$dir/spool/$name" ]; then
    cp -- "$dir/spool/$name" "$path"
    exit 0
  fi
  [ ! -e "$dir/missing/$name" ] || exit 1
  sleep 0.1
done
echo "shithub-wal-spool: no answer for $name in 600 s" >&2
exit 1
