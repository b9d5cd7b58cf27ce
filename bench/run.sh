#!/usr/bin/env bash
# Builds the jar if needed and runs the benchmark against it (see bench/README.md): jobpool on its
# embedded store, Celery right after (CELERY_RUNNER, default ../shared/peers/celery/run.sh next to
# the repository; empty to skip), then jobpool on a local PostgreSQL server the benchmark starts
# (one replica, then three on the same server), then jobpool running Python tasks.
# Usage: bench/run.sh [jobs] [-Dbench.option=value ...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/jobpool-0.1.0-SNAPSHOT.jar ] || ./mvnw -B -ntp -q package -DskipTests
java_bin=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
[ -x "$java_bin" ] || java_bin=java
default_runner="$(cd .. && pwd)/shared/peers/celery/run.sh"
[ -f "$default_runner" ] || default_runner=/work/shared/peers/celery/run.sh
runner=${CELERY_RUNNER-$default_runner}
jobs=${1:-20000}
shift || true
# Further arguments are JVM options of the benchmark itself, e.g. -Dbench.skip-postgres=true,
# -Dbench.skip-cluster=true, -Dbench.skip-python=true (bench/README.md lists them all).
exec "$java_bin" -Dbench.celery="$runner" "$@" bench/Bench.java target/jobpool-0.1.0-SNAPSHOT.jar "$jobs"
