#!/usr/bin/env bash
# Start a one-node SLURM cluster on localhost (munged, slurmctld, slurmd as root), with no
# accounting database, so `snakemake --profile profiles/slurm` can submit through sbatch.
# State and logs live in $SLURM_DIR. slurm.conf goes to /etc/slurm/slurm.conf, where every SLURM
# command looks: the Snakemake job step drops SLURM_* variables (SLURM_CONF too) inside a job.
# An /etc/slurm/slurm.conf that this script did not write is never replaced.
# Idempotent: a cluster this script already started is reused. Stop it with .ci/slurm-down.sh.
set -euo pipefail

SLURM_DIR=${SLURM_DIR:-/tmp/dpdktune-slurm}
PARTITION=${SLURM_PARTITION:-debug}
DEADLINE_S=${SLURM_UP_DEADLINE_S:-60}
SLURM_CONF=/etc/slurm/slurm.conf
MARKER="# Written by .ci/slurm-up.sh"

die() { echo "slurm-up: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (slurmd starts jobs as their submitting user)"
for prog in munged slurmctld slurmd sinfo srun; do
  command -v "$prog" >/dev/null || [[ -x /usr/sbin/$prog ]] \
    || die "$prog not found: apt-get install slurmctld slurmd slurm-client munge"
done
export PATH="$PATH:/usr/sbin"

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

node=$(hostname -s)
cpus=$(nproc)
# Leave headroom for the OS; a job asking for more than RealMemory would never be scheduled.
mem_mb=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)

if [[ -f $SLURM_CONF ]] && [[ $(head -n1 "$SLURM_CONF") != "$MARKER"* ]]; then
  die "$SLURM_CONF exists and is not ours: this machine already has a SLURM setup; use it instead"
fi
mkdir -p "$SLURM_DIR"/{state,spool,log,run} /etc/slurm
chmod 755 "$SLURM_DIR"
cat > "$SLURM_CONF.tmp" <<CONF
$MARKER: a one-node test cluster, no accounting (no slurmdbd).
ClusterName=dpdktune
SlurmctldHost=$node(localhost)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/run/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/run/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
# squeue is the status source: keep finished jobs visible long enough to be polled.
MinJobAge=600
SlurmctldTimeout=30
SlurmdTimeout=30
MpiDefault=none
NodeName=$node NodeAddr=localhost CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=$PARTITION Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
mv "$SLURM_CONF.tmp" "$SLURM_CONF"

# munged: the key comes with the Debian package; its socket is where libslurm looks.
if ! pgrep -x munged >/dev/null; then
  mkdir -p /run/munge
  chown munge:munge /run/munge 2>/dev/null || true
  if id munge >/dev/null 2>&1; then
    runuser -u munge -- munged
  else
    munged --force
  fi
  touch "$SLURM_DIR/run/munged.ours"  # so slurm-down.sh stops only a munged we started
fi

alive "$SLURM_DIR/run/slurmctld.pid" || slurmctld -f "$SLURM_CONF"
alive "$SLURM_DIR/run/slurmd.pid" || slurmd -f "$SLURM_CONF"

# Wait until the node accepts jobs.
for ((i = 0; i < DEADLINE_S; i++)); do
  state=$(timeout 5 sinfo -h -N -n "$node" -o %t 2>/dev/null || true)
  case "$state" in
    idle*|mix*|alloc*) break ;;
    down*|drain*) timeout 5 scontrol update NodeName="$node" State=RESUME 2>/dev/null || true ;;
  esac
  sleep 1
done
[[ $state == idle* || $state == mix* || $state == alloc* ]] \
  || die "node $node not ready after ${DEADLINE_S}s (state '${state:-none}'); see $SLURM_DIR/log/"
timeout 30 srun -p "$PARTITION" -N1 -n1 hostname >/dev/null \
  || die "srun hostname failed; see $SLURM_DIR/log/"
echo "slurm-up: node $node ready ($cpus CPUs, ${mem_mb} MB), partition $PARTITION"
