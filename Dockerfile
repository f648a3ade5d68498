# ent-sso-hub image. Build: docker build -t ent-sso-hub .
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm install --no-save tsx@4.23.15

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HUB_MODE=production PORT=3000
COPY --from=build /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY config ./config
COPY tenants ./tenants
RUN mkdir -p keys data && chown -R node:node keys data
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "src/cli/main.ts", "serve"]
