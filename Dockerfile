# ent-sso-hub image (README, "Run in containers"): docker build -t ent-sso-hub .
# Node 24 LTS. The build stage installs every dependency, compiles src/ to dist/ and drops the
# development dependencies; the runtime stage copies dist/ and the production node_modules only,
# and runs as the image's unprivileged `node` user.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 (and ssh2's optional crypto binding) compile at install.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.js scripts/
COPY src src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/better-sqlite3/build/Release/obj node_modules/better-sqlite3/build/Release/obj.target node_modules/better-sqlite3/deps

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HUB_MODE=production PORT=3000
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY bin/hub.js bin/
COPY config config
COPY tenants tenants
# Signing keys (keys/) and runtime files (data/: lock files, SAML aggregates) are written by the
# hub: they belong to `node`, and are volumes in compose.yaml.
RUN mkdir -p keys data && chown node:node keys data
USER node
# 3000: the public listener (PORT). 9464: the metrics listener (HUB_METRICS_PORT), when enabled.
EXPOSE 3000 9464
# No curl in the slim image: Node's fetch. /healthz answers while the process serves.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3000}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/cli/main.js", "serve"]
