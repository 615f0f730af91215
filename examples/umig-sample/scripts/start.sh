#!/usr/bin/env bash
# Start (or restart) the UMIG stand-in server in the background.
#
# Works from the source tree (src/server/umig-server.mjs) and from a deployed release
# (application/server/umig-server.mjs). The pid file and log live in logs/, which Slipway links to
# <target>/shared/logs in every release, so a new release's start.sh finds and stops the old process.
#
# Environment: PORT (default 8090), HOST, DATABASE_URL, UMIG_FORCE_STATUS, UMIG_PID_FILE, UMIG_LOG_FILE,
#              UMIG_START_WAIT_SECONDS (how long to wait for the port to answer, default 10).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -f "$ROOT/application/server/umig-server.mjs" ]]; then
  SERVER="$ROOT/application/server/umig-server.mjs"
elif [[ -f "$ROOT/src/server/umig-server.mjs" ]]; then
  SERVER="$ROOT/src/server/umig-server.mjs"
else
  echo "start.sh: no umig-server.mjs under $ROOT/application/server or $ROOT/src/server" >&2
  exit 1
fi

mkdir -p "$ROOT/logs"
PID_FILE="${UMIG_PID_FILE:-$ROOT/logs/umig.pid}"
LOG_FILE="${UMIG_LOG_FILE:-$ROOT/logs/umig-server.log}"
PORT="${PORT:-8090}"
HOST="${HOST:-127.0.0.1}"
WAIT="${UMIG_START_WAIT_SECONDS:-10}"

# Restart semantics: a running instance is stopped first (deploy tools call this script as "restart").
if [[ -f "$PID_FILE" ]]; then
  UMIG_PID_FILE="$PID_FILE" bash "$ROOT/scripts/stop.sh"
fi

# Another process on the port would answer the health gate in our place: refuse rather than report a false start.
if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
  echo "start.sh: $HOST:$PORT is already in use by another process; stop it or set PORT" >&2
  exit 1
fi

export PORT HOST
nohup node "$SERVER" >>"$LOG_FILE" 2>&1 </dev/null &
PID=$!
echo "$PID" >"$PID_FILE.tmp"
mv -f "$PID_FILE.tmp" "$PID_FILE"

# Wait until the process listens (or dies), so the caller's health gate starts against a live port.
deadline=$((SECONDS + WAIT))
while (( SECONDS < deadline )); do
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "start.sh: umig-server exited during start-up; last log lines:" >&2
    tail -n 20 "$LOG_FILE" >&2 || true
    rm -f "$PID_FILE"
    exit 1
  fi
  if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
    echo "start.sh: umig-server pid $PID listening on $HOST:$PORT (log: $LOG_FILE)"
    exit 0
  fi
  sleep 0.1
done
echo "start.sh: umig-server pid $PID did not open $HOST:$PORT within ${WAIT}s; see $LOG_FILE" >&2
exit 1
