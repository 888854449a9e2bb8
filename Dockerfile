# syntax=docker/dockerfile:1
# One image for every Maestro service (docs/operations.md).
#   docker build -t maestro .                             every service's binary and the maestro tool
#   docker build -t maestro-registry --build-arg SERVICE=registry .   one service and the tool; it runs by default
# A container runs one service: compose and Kubernetes name its binary as the command
# (maestro-governance, maestro-registry, ...). Configuration comes only from MAESTRO_* variables.

# The toolchain Package.swift needs (swift-tools-version 6.1; built and tested with 6.3.1).
ARG SWIFT_IMAGE=swift:6.3.1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# The C libraries Maestro wraps (librdkafka, hiredis) and OpenSSL, with their headers, and
# libcurl's, which Foundation's networking links against when the Swift runtime is static.
RUN apt-get update \
 && apt-get install -y --no-install-recommends librdkafka-dev libhiredis-dev libssl-dev libcurl4-openssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# SERVICE names a folder of Services/, or `all`.
ARG SERVICE=all
# The Swift runtime is linked statically, so the runtime stage needs no toolchain. Each binary
# finds its resources (migrations, openapi.yaml, JSON Schemas, the /docs page) in the
# <package>_<target>.resources folders next to it. The build folder is a cache across builds,
# so the binaries are copied out in the same step. Debug information goes (a third of each
# binary); symbols stay, so crash backtraces name functions.
RUN --mount=type=cache,target=/src/.build \
    all=$(find Services -mindepth 1 -maxdepth 1 -type d -printf '%f ') \
 && if [ "$SERVICE" = all ]; then services=$all; \
    elif [ -d "Services/$SERVICE" ]; then services=$SERVICE; \
    else echo "SERVICE=$SERVICE is not one of: all $all" >&2; exit 1; fi \
 && for name in $services maestro-tool; do \
        product="maestro-$name"; [ "$name" = maestro-tool ] && product=maestro; \
        swift build -c release --static-swift-stdlib --product "$product"; \
    done \
 && bin=$(swift build -c release --static-swift-stdlib --show-bin-path) \
 && mkdir -p /staging/bin \
 && cp "$bin/maestro" /staging/bin/ \
 && for name in $services; do cp "$bin/maestro-$name" /staging/bin/; done \
 && cp -R "$bin"/*.resources /staging/bin/ \
 && find /staging/bin -maxdepth 1 -type f -exec strip --strip-debug {} + \
 && if [ "$SERVICE" = all ]; then ln -s maestro /staging/bin/maestro-service; else ln -s "maestro-$SERVICE" /staging/bin/maestro-service; fi

FROM ${RUNTIME_IMAGE}
# Only what the binaries load at run time: librdkafka, hiredis, OpenSSL, libcurl (Foundation's
# URLSession: the JWKS and event keys from governance) and the CA certificates.
RUN apt-get update \
 && apt-get install -y --no-install-recommends librdkafka1 libhiredis0.14 libssl3 libcurl4 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 maestro \
 && useradd --system --uid 10001 --gid maestro --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin maestro \
 && mkdir -p /var/lib/maestro \
 && chown 10001:10001 /var/lib/maestro
COPY --from=build /staging/bin/ /usr/local/bin/
# Containers are deployments: the connection settings must be given (MAESTRO_ENVIRONMENT=production).
ENV MAESTRO_ENVIRONMENT=production
# The one writable place besides /tmp, for a volume: key files a service creates on first start.
VOLUME ["/var/lib/maestro"]
WORKDIR /var/lib/maestro
USER 10001:10001
# Liveness, from the image's own tool (no curl in the image); the port is MAESTRO_HTTP_PORT.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["maestro", "health"]
# maestro-service is the service SERVICE named, or the maestro tool in the image of every service.
CMD ["maestro-service"]
