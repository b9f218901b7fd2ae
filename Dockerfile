# syntax=docker/dockerfile:1
# idledger: `docker build -t idledger .`, run by docker-compose.yml next to EventStoreDB and Redis.

# Production dependencies only; better-sqlite3 builds its native module here when no prebuilt one fits.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

# The TypeScript build (`npm start` would run tsc on every start; the image does it once).
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p .

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=8080 DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
# DATA_DIR holds admin.pat, the key files (and the SQLite log when no EVENTSTORE_URL is set): the
# node user's alone (idledger would tighten it at start anyway; a new volume copies this mode).
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
USER node
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/debug/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
