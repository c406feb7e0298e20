#!/usr/bin/env bash
# A single-node Slurm cluster on localhost for the tests (Debian packages slurm-wlm and munge).
#   slurm.sh start   writes /etc/slurm/slurm.conf (state under /tmp/expt-slurm), starts munged, slurmctld, slurmd
#   slurm.sh stop    stops them
set -euo pipefail
state=/tmp/expt-slurm
case "${1:?usage: slurm.sh start|stop}" in
  start)
    mkdir -p "$state"/{ctld,d,log} /run/munge /etc/slurm
    chown munge:munge /run/munge
    [[ -s /etc/munge/munge.key ]] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
    pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
    node=$(slurmd -C | head -1)
    cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$node")
    memory=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
    cat > /etc/slurm/slurm.conf <<CONF
ClusterName=expt
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1,sched_min_interval=0,batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AuthInfo=cred_expire=10
JobRequeue=1
KillWait=5
MinJobAge=300
NodeName=localhost CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
    pgrep -x slurmctld >/dev/null || slurmctld
    pgrep -x slurmd >/dev/null || slurmd -N localhost
    for _ in $(seq 1 60); do
      if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then exit 0; fi
      sleep 0.5
    done
    echo "slurm.sh: the node did not come up" >&2
    sinfo >&2 || true
    exit 1
    ;;
  stop)
    pkill -x slurmd || true
    pkill -x slurmctld || true
    ;;
esac
