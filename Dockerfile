# reconciler as a container: `docker run reconciler plan /manifests`, or the GitOps controller
# `reconciler watch` (the default command). See docs/run-on-ecs.md.
#
# The image is meant to run with a read-only root filesystem: it writes only under /tmp ($HOME, and the
# temporary directory `watch --git` clones into), so give it writable scratch space there, e.g.
#   docker run --read-only --tmpfs /tmp -v "$PWD/manifests:/manifests:ro" reconciler
# (on ECS: readonlyRootFilesystem plus task-scoped volumes, see deploy/ecs/controller-taskdef.yaml).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY reconciler ./reconciler
# The plain wheel: no extras. The `sandbox` extra (moto, Flask, ...) never goes into the image
# (tests/sandbox/test_extra.py checks this file).
RUN python -m pip install --no-cache-dir --upgrade pip \
 && python -m pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
# git: `reconciler watch --git URL` clones and fetches with it (HTTPS; ssh URLs would also need
# openssh-client, which is a recommendation of git and therefore not installed).
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 65532 reconciler \
 && useradd --system --uid 65532 --gid 65532 --home-dir /nonexistent --shell /usr/sbin/nologin reconciler
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
 && install -d -o 65532 -g 65532 -m 0750 /work
# /work: scratch space owned by the runtime user (a git clone, TMPDIR); an ECS task volume mounted here
# takes this ownership because the image declares it.
VOLUME ["/work"]
# HOME=/tmp: git (and anything else that wants a home) writes there, the one writable place when
# the root filesystem is read-only.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/tmp
USER 65532:65532
WORKDIR /manifests
# The controller's HTTP endpoint (/healthz, /readyz, /metrics, /status). `watch` listens on
# 127.0.0.1:9090 by default (--listen); to publish it (-p 9090:9090), run it with --listen 0.0.0.0:9090.
EXPOSE 9090
# Docker's health check (ECS ignores it and uses the task definition's healthCheck). It probes the
# watch controller; one-off commands (plan, apply) finish long before it matters.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9090/healthz', timeout=3)"]
ENTRYPOINT ["reconciler"]
CMD ["watch", "/manifests"]
