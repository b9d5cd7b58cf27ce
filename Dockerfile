# syntax=docker/dockerfile:1
#
# jobpool container image.
#
#   docker build -t jobpool .
#   docker run -p 8080:8080 -p 8081:8081 -v jobpool-data:/data jobpool
#
# Three stages: build the fat jar with the Maven wrapper, split it into Spring Boot's layers with
# the tools jar mode, and copy the layers into a plain JRE image. .ci/container-smoke.sh repeats the
# extract step and the ENTRYPOINT below outside Docker (no engine runs in CI), so keep the two in step:
# it fails if the extract command or the ENTRYPOINT here change without it.

############################################################################ build
FROM eclipse-temurin:25-jdk AS build
WORKDIR /build
# The pom selects a JDK >= 25 through maven-toolchains-plugin (select-jdk-toolchain); the image's own
# JDK (JAVA_HOME=/opt/java/openjdk) satisfies it, so no toolchains.xml is needed here.
# The whole context, filtered by .dockerignore: the pom may read files beside src/ (openapi.yaml).
COPY . .
# The cache mount keeps ~/.m2 (the Maven distribution the wrapper fetches and every dependency)
# between builds without baking it into a layer.
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -DskipTests package \
 && cp $(ls target/jobpool-*.jar | grep -v -- '-spi\.jar$') /build/app.jar
# The application jar, not the task SPI jar beside it (classifier "spi"); `cp` into one file fails
# loudly if the build ever leaves two application jars behind.

########################################################################## extract
FROM eclipse-temurin:25-jre AS extract
WORKDIR /extract
COPY --from=build /build/app.jar app.jar
# Boot 4's tools jar mode. Without --launcher (the layout the Boot 4 reference recommends) it writes
#   dependencies/lib/*.jar, snapshot-dependencies/lib/*.jar, spring-boot-loader/ (empty),
#   application/app.jar (application classes; its manifest Class-Path points at lib/).
# That layout starts faster than the nested fat jar and is CDS/AOT-cache friendly. Every layer
# directory is created even when empty, so the COPY lines below never miss.
RUN java -Djarmode=tools -jar app.jar extract --layers --destination extracted

########################################################################## runtime
# A full JRE, not a jlink image: the server starts its workers with its own `java` launcher
# (ProcessHandle.current().info().command()), so the launcher and every module a task may use
# must be present.
FROM eclipse-temurin:25-jre
WORKDIR /application

# tini, a real init for PID 1 (see ENTRYPOINT). setsid, which starts each worker in a session of its
# own so a kill takes the worker's whole process tree, comes with util-linux, already in the base.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && command -v setsid

# /data holds the embedded SQLite store (jobpool.data-dir). It is the only writable path besides
# /tmp; the application files stay root-owned and read-only to the runtime user, which is what
# Kubernetes' readOnlyRootFilesystem enforces as well.
RUN mkdir -p /data && chown 10001:10001 /data && chmod 0750 /data

# python3 (standard library only) runs the Python worker pool when jobpool.python.tasks-dir is set;
# the runtime itself ships inside the jar and is extracted under /tmp at startup.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/*

# Least-changing layer first so a code change only replaces the last, small layer.
COPY --from=extract /extract/extracted/dependencies/ ./
COPY --from=extract /extract/extracted/spring-boot-loader/ ./
COPY --from=extract /extract/extracted/snapshot-dependencies/ ./
COPY --from=extract /extract/extracted/application/ ./

# -XX:MaxRAMPercentage=40: the server's heap gets 40 % of the container's memory limit, not the
#   JVM default of 25 % nor the usual 75 % for single-process containers, because the worker JVMs
#   run in the same container (same cgroup memory limit). Each worker has its own explicit -Xmx
#   (jobpool.pool.worker-heap) plus metaspace, code cache and thread stacks; the remaining 60 %
#   is for them and for the server's own non-heap memory. Workers do not see this variable: the
#   server starts them with a scrubbed environment and their own -Xmx.
# -Djava.io.tmpdir=/tmp: the server writes the workers' ahead-of-time class cache (and, when run
#   as a fat jar, their extracted class path) there; in Kubernetes /tmp is an emptyDir because the
#   root filesystem is read-only.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=40 -Djava.io.tmpdir=/tmp" \
    JOBPOOL_DATA_DIR=/data \
    SERVER_PORT=8080 \
    MANAGEMENT_SERVER_PORT=8081

# The server's JDK AOT cache (JEP 483/515), made here once: a training start of the very class
#   path above, which exits as soon as the Spring context is refreshed (before the pool, the
#   dispatcher or any port starts), records the classes it loaded and linked. Every start of the
#   image then maps them instead of loading and verifying them again: the context starts in about
#   half the time (3.3 s instead of 6.8 s on the project machine). A cache trained under request
#   load as well did not shorten the JIT's climb to full speed (bench/README.md), so the training
#   stays this short start. It is trained after JAVA_TOOL_OPTIONS is set, so the flags match; if
#   they ever do not (another -XX:MaxRAMPercentage that turns off compressed pointers), the JVM
#   says so on stderr and starts without the cache. Its temporary files (Tomcat's work directory,
#   SQLite's native library) go to the directory removed after it, not into the image's /tmp.
#   JDK_JAVA_OPTIONS reaches only this `java` launcher: workers get a scrubbed environment and
#   their own cache. .ci/container-smoke.sh repeats these lines and checks the cache is mapped.
RUN mkdir /tmp/aot-training \
 && JOBPOOL_DATA_DIR=/tmp/aot-training java -Djava.io.tmpdir=/tmp/aot-training \
        -XX:AOTCacheOutput=/application/app.aot -Dspring.context.exit=onRefresh -jar app.jar \
 && rm -rf /tmp/aot-training
ENV JDK_JAVA_OPTIONS="-XX:AOTCache=/application/app.aot"

VOLUME /data
# 8080: the API. 8081: actuator (health probes, /actuator/prometheus); keep it off public ingress.
EXPOSE 8080 8081

# Numeric, so Kubernetes can verify runAsNonRoot without an /etc/passwd entry.
USER 10001:10001

# tini is PID 1: it forwards SIGTERM to java (which drains: jobpool.shutdown.grace) and exits with
# java's status, and it reaps every process re-parented to it. A task's detached child that exits
# (or that jobpool kills when the job ends) is re-parented to PID 1; java would reap only its own
# children, so each such exit would leave a zombie until the pod is deleted.
ENTRYPOINT ["tini", "--", "java", "-jar", "app.jar"]
