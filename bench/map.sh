#!/usr/bin/env bash
# Builds the jar if needed and runs the map benchmark against it (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/jobpool-0.1.0-SNAPSHOT.jar ] || ./mvnw -B -ntp -q package -DskipTests
java_bin=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
[ -x "$java_bin" ] || java_bin=java
exec "$java_bin" bench/MapBench.java target/jobpool-0.1.0-SNAPSHOT.jar
