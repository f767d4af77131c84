# syntax=docker/dockerfile:1
# AUREN Realtime: one image for every app. The command picks the app:
#   docker run auren-realtime ingest | gateway | history | all-in-one
# Build: docker build -t auren-realtime .        (docs/deploy.md: stages, sizes, PID 1)

ARG NODE_IMAGE=node:20.20-bookworm-slim

# ---- 1. deps: every dependency, from the lockfile only (cached while package*.json are unchanged)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# ---- 2. build: compile apps and libs into dist/, then drop the development dependencies
FROM deps AS build
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY apps ./apps
COPY libs ./libs
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund \
  && npm cache clean --force

# ---- 3. runtime: node, tini, the compiled apps and the production dependencies; nothing else
FROM ${NODE_IMAGE} AS runtime
# tini is PID 1: it forwards SIGTERM to node and reaps zombies. Node as PID 1 would not do: Nest's
# shutdown hooks close the app and then re-raise the signal on their own process
# (process.kill(pid, 'SIGTERM')), which the kernel ignores for a PID 1 without a handler, so a
# drained gateway would hang until the orchestrator's SIGKILL instead of exiting in milliseconds.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    AUREN_HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root docker/entrypoint.sh docker/healthcheck.mjs ./docker/
# The files belong to root and are read-only for the app, which runs as the image's unprivileged
# `node` user, by number (1000) so that Kubernetes' runAsNonRoot can check it. Only the embedded
# history engine writes (AUREN_HISTORY_DATA_DIR, default data/history): give it a volume, or use
# PostgreSQL (DATABASE_URL).
RUN mkdir -p /app/data && chown 1000:1000 /app/data
USER 1000:1000
# ingest HTTP + OTLP, gRPC, gateway, history, AUREN_METRICS_PORT as used by compose and k8s
EXPOSE 3000 50051 8765 4000 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "/app/docker/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--", "/app/docker/entrypoint.sh"]
CMD ["all-in-one"]
