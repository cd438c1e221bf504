#!/usr/bin/env bash
# A real Spark cluster on one machine: a standalone master and two workers on localhost, started from the pyspark installation;
# the behaviour report (engine=spark) and forecast_many run against it; then the cluster stops (also on failure).
# Timings: bench/results/spark_cluster.{json,md}. Usage: bench/spark_cluster.sh [--quick]   (from the repository root)
# Any other benchmark can run against the same cluster: bench/spark_cluster.sh bench/spark_scale.py [args] (it gets --master).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-$(command -v python)}
SPARK_HOME=$("$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME PYSPARK_PYTHON="$PY" PYSPARK_DRIVER_PYTHON="$PY"
PORT=${SPARK_BENCH_PORT:-7077}; UI=${SPARK_BENCH_UI_PORT:-8090}
WORKER_CORES=${WORKER_CORES:-1}; WORKER_MEMORY=${WORKER_MEMORY:-2g}
RUN=$(mktemp -d); export SPARK_LOG_DIR=$RUN/logs SPARK_PID_DIR=$RUN/pids SPARK_WORKER_DIR=$RUN/work
MASTER_URL="spark://127.0.0.1:$PORT"   # not exported as SPARK_MASTER before the daemons start: spark-daemon.sh reads that as an rsync source
daemon() { "$SPARK_HOME/sbin/spark-daemon.sh" "$@"; }
stop() {
  daemon stop org.apache.spark.deploy.worker.Worker 2 >/dev/null 2>&1 || true
  daemon stop org.apache.spark.deploy.worker.Worker 1 >/dev/null 2>&1 || true
  daemon stop org.apache.spark.deploy.master.Master 1 >/dev/null 2>&1 || true
  rm -rf "$RUN"
}
trap stop EXIT
chmod +x "$SPARK_HOME"/sbin/*.sh "$SPARK_HOME"/bin/* 2>/dev/null || true
daemon start org.apache.spark.deploy.master.Master 1 --host 127.0.0.1 --port "$PORT" --webui-port "$UI"
for i in 1 2; do
  daemon start org.apache.spark.deploy.worker.Worker "$i" --host 127.0.0.1 --webui-port $((UI + i)) --cores "$WORKER_CORES" --memory "$WORKER_MEMORY" "$MASTER_URL"
done
# wait until both workers have registered with the master
for _ in $(seq 60); do
  n=$(cat "$SPARK_LOG_DIR"/*Master*.out 2>/dev/null | grep -c "Registering worker" || true)
  [ "$n" -ge 2 ] && break; sleep 1
done
[ "${n:-0}" -ge 2 ] || { echo "the two workers did not register with $MASTER_URL; logs:" >&2; tail -n 20 "$SPARK_LOG_DIR"/*.out >&2; exit 1; }
echo "cluster up: $MASTER_URL, 2 workers x $WORKER_CORES core(s), $WORKER_MEMORY"
SCRIPT=bench/spark_cluster.py
case "${1:-}" in *.py) SCRIPT=$1; shift;; esac
SPARK_MASTER=$MASTER_URL "$PY" "$SCRIPT" --master "$MASTER_URL" "$@"
