#!/usr/bin/env bash
# Stop the UMIG stand-in server started by start.sh, by the pid in its pid file (never by process name).
# Sends SIGTERM, waits up to UMIG_STOP_WAIT_SECONDS (default 10) for a clean exit, then SIGKILL.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PID_FILE="${UMIG_PID_FILE:-$ROOT/logs/umig.pid}"
WAIT="${UMIG_STOP_WAIT_SECONDS:-10}"

if [[ ! -f "$PID_FILE" ]]; then
  echo "stop.sh: no pid file at $PID_FILE; nothing to stop"
  exit 0
fi
PID="$(tr -dc '0-9' <"$PID_FILE")"
if [[ -z "$PID" ]] || ! kill -0 "$PID" 2>/dev/null; then
  echo "stop.sh: pid ${PID:-?} from $PID_FILE is not running; removing the stale pid file"
  rm -f "$PID_FILE"
  exit 0
fi
# Only signal the process if it really is the UMIG server (pid files outlive reboots and pids get reused).
if [[ -r "/proc/$PID/cmdline" ]] && ! tr '\0' ' ' <"/proc/$PID/cmdline" | grep -q 'umig-server.mjs'; then
  echo "stop.sh: pid $PID is not umig-server.mjs; removing the stale pid file without signalling it" >&2
  rm -f "$PID_FILE"
  exit 0
fi

kill -TERM "$PID"
deadline=$((SECONDS + WAIT))
while kill -0 "$PID" 2>/dev/null; do
  if (( SECONDS >= deadline )); then
    echo "stop.sh: pid $PID still running after ${WAIT}s; sending SIGKILL" >&2
    kill -KILL "$PID" 2>/dev/null || true
    break
  fi
  sleep 0.1
done
rm -f "$PID_FILE"
echo "stop.sh: umig-server pid $PID stopped"
