# syntax=docker/dockerfile:1
#
# Empath as a container image: a single compiled binary on a distroless base, run as an
# unprivileged user. See "Running in a container" in docs/OPERATIONS.md.
#
#   docker build --build-arg EMPATH_COMMIT="$(git rev-parse --short=12 HEAD)" -t empath .
#   docker run -d --name empath --hostname mx.example.org \
#     -p 25:25 -p 587:587 -p 127.0.0.1:8025:8025 -v empath-data:/var/lib/empath empath
#   docker exec empath empath control -c /etc/empath/empath.toml queue stats

# Kept equal to the Deno version the project is tested with (README, .ci/run).
ARG DENO_VERSION=2.9.6

FROM denoland/deno:${DENO_VERSION} AS build
WORKDIR /src
# Dependencies first, so that a source change does not download them again.
COPY deno.json deno.lock ./
RUN deno install --frozen
COPY main.ts mod.ts ./
COPY cli/ cli/
COPY lib/ lib/
COPY tools/ tools/
# The build context has no .git: the commit `empath version` prints comes from this argument.
ARG EMPATH_COMMIT=""
ENV EMPATH_COMMIT=${EMPATH_COMMIT}
# Type-checks, then builds dist/empath with the permissions listed in deno.json's compile task.
RUN deno task compile && ./dist/empath version
# The volume's mount point, owned by the user Empath runs as (distroless "nonroot", 65532).
RUN mkdir -p /staging/var/lib/empath && chown 65532:65532 /staging/var/lib/empath

# glibc and libgcc, no shell, no package manager: all a compiled Deno program needs.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/dist/empath /usr/local/bin/empath
COPY docs/examples/empath.container.toml /etc/empath/empath.toml
COPY --from=build --chown=65532:65532 /staging/var/lib/empath /var/lib/empath
WORKDIR /var/lib/empath
USER 65532:65532
# SMTP, submission, and the control API (which requires a bearer token on /v1/*).
EXPOSE 25 587 8025
# The queue (Deno KV), the control token, local Maildirs and the audit file.
VOLUME ["/var/lib/empath"]
# No curl in the image: `empath healthcheck` asks /healthz on [control] listen, without a token.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/empath", "healthcheck", "--config", "/etc/empath/empath.toml", "--timeout", "4s"]
# SIGTERM lets transactions and deliveries finish for shutdown_grace (30s by default):
# stop with `docker stop -t 40` (Docker's default of 10s ends in SIGKILL).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/empath"]
CMD ["serve", "--config", "/etc/empath/empath.toml"]
