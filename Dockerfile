# syntax=docker/dockerfile:1
# assistant-stream on a jlinked Java 25 runtime (about 49 MiB) with its AOT cache, on Debian slim.
#   docker build -t assistant-stream .
#   docker build --build-arg AOT=false -t assistant-stream .   # no AOT cache (no Redis/RabbitMQ in the build)
#   docker compose up --build                                  # with RabbitMQ and Redis, see docker-compose.yml
# Every build step is scripts/runtime-image.sh: Maven package, jdeps, jlink, the image layout and the
# AOT training. CI runs the same script (RuntimeImageTest), so this file only supplies the machines.

# JVM options of the service; the AOT cache is trained with them too.
ARG JAVA_OPTS="-XX:MaxRAMPercentage=75"

# ---- build: Maven on Temurin 25 --------------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-25 AS build
ARG AOT=true
ARG JAVA_OPTS
# The AOT training starts the service, which needs Redis and RabbitMQ: throwaway ones, in this stage only
# (scripts/services.sh starts them). The node name must resolve inside the build container.
RUN if [ "$AOT" = true ]; then \
        apt-get update \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server rabbitmq-server \
        && rm -rf /var/lib/apt/lists/* \
        && echo 'NODENAME=rabbit@localhost' >> /etc/rabbitmq/rabbitmq-env.conf; \
    fi
WORKDIR /src
COPY pom.xml ./
COPY scripts/ scripts/
COPY src/main/ src/main/
COPY src/image/ src/image/
# Laid out at the path the runtime stage uses: the AOT cache records the jar's absolute path.
RUN --mount=type=cache,target=/root/.m2 \
    if [ "$AOT" = true ]; then aot=--aot; else aot=; fi \
    && bash scripts/runtime-image.sh $aot --image /opt/assistant-stream

# ---- runtime: the image directory on Debian slim ---------------------------------------------------
FROM debian:bookworm-slim
ARG JAVA_OPTS
ENV JAVA_OPTS=${JAVA_OPTS} \
    SERVER_PORT=8080
RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin assistant-stream
# COPY keeps the files' modification times, which the AOT cache checks the jars against.
COPY --from=build /opt/assistant-stream /opt/assistant-stream
USER 10001
EXPOSE 8080
# bin/healthcheck is bash alone (the image has no curl): 200 from /observe/health/ready on $SERVER_PORT.
HEALTHCHECK --start-period=30s --interval=15s --timeout=10s --retries=3 CMD ["/opt/assistant-stream/bin/healthcheck"]
# The launcher execs java, so the JVM is PID 1 and `docker stop` (SIGTERM) stops the service cleanly.
ENTRYPOINT ["/opt/assistant-stream/bin/assistant-stream"]
