#!/usr/bin/env bash
# Stop the one-node cluster that .ci/slurm-up.sh started (by its pid files), then munged.
set -uo pipefail

SLURM_DIR=${SLURM_DIR:-/tmp/dpdktune-slurm}

stop() {  # stop <pidfile>: TERM, wait up to 15 s, then KILL
  local pidfile=$1 pid
  [[ -f $pidfile ]] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$pidfile"
}

stop "$SLURM_DIR/run/slurmd.pid"
stop "$SLURM_DIR/run/slurmctld.pid"
# slurm-up.sh starts munged only when none ran; leave a munged someone else started.
if [[ -f $SLURM_DIR/run/munged.ours ]]; then
  stop /run/munge/munged.pid
  rm -f "$SLURM_DIR/run/munged.ours"
fi
# Remove the test cluster's slurm.conf, never one this script did not write.
if [[ -f /etc/slurm/slurm.conf ]] && head -n1 /etc/slurm/slurm.conf | grep -q '^# Written by .ci/slurm-up.sh'; then
  rm -f /etc/slurm/slurm.conf
fi
exit 0
