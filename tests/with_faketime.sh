#!/usr/bin/env bash
# Runs a command with the application's clock moved far from today by libfaketime, while
# PostgreSQL keeps the real clock.  Any decision taken on the database's clock instead of the `now`
# the application passes in then sees two clocks months apart, and its test fails loudly.
#
# The moment: 400 days ahead at 23:30 UTC, so local midnight in Amsterdam falls inside the run.
# Override with FAKE_DAYS_AHEAD.  Installs Debian's `faketime` package when it is missing.
set -euo pipefail

find_lib() {
  for lib in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 \
             /usr/local/lib/faketime/libfaketime.so.1; do
    [ -e "$lib" ] && { echo "$lib"; return 0; }
  done
  return 1
}

lib=$(find_lib) || {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "with_faketime: installing libfaketime (Debian package faketime)" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null
  fi
  lib=$(find_lib) || { echo "with_faketime: libfaketime is not installed and could not be installed" >&2; exit 1; }
}

days=${FAKE_DAYS_AHEAD:-400}
moment="$(date -u -d "+${days} days" +%Y-%m-%d) 23:30:00"
echo "with_faketime: the application's clock starts at ${moment} UTC; PostgreSQL keeps the real clock" >&2
export TZ=UTC
export FAKETIME="@${moment}"
export FAKETIME_SKIP_CMDS="postgres,initdb,pg_ctl,runuser,psql,pg_isready"
export LD_PRELOAD="${lib}${LD_PRELOAD:+:$LD_PRELOAD}"
exec "$@"
