# syntax=docker/dockerfile:1
# b24-reactivation: one image, three roles (ROLE=worker | api | all).
#   docker build -t b24-reactivation .
#   docker run -e ROLE=worker -e TEMPORAL_ADDRESS=... -e B24_WEBHOOK_URL=... b24-reactivation
# docker-compose.yml runs it against Temporal on PostgreSQL. Debian (glibc), not Alpine: the
# Temporal SDK's native core ships prebuilt for glibc.

ARG NODE_VERSION=20.19

# ---- build: TypeScript -> dist/ -------------------------------------------------------------
# The Bitrix24 sandbox (packages/sandbox) is a development package: this stage reads its types
# (src/cli/start.ts names them for sandbox mode) but compiles only the service
# (tsconfig.build.json: src/ without the sandbox's commands), and nothing of it leaves the stage.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/sandbox/package.json ./packages/sandbox/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY packages/sandbox/src ./packages/sandbox/src
# tsconfig's rootDir is the repo root, so src/cli/start.ts compiles to dist/src/cli/start.js.
RUN npm run build && test -f dist/src/cli/start.js && test -f dist/src/workflows/index.js \
    && test ! -e dist/packages && test ! -e dist/src/cli/sandbox.js

# ---- runtime: production dependencies + compiled code ----------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    ROLE=all \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/.data
WORKDIR /app
COPY package.json package-lock.json ./
# --workspaces=false: no sandbox package (and none of its dependencies) in the image.
RUN npm ci --omit=dev --workspaces=false --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config ./config
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
# The worker bundles src/workflows (dist/src/workflows/index.js) with webpack at start.
ENTRYPOINT ["node", "dist/src/cli/start.js"]
