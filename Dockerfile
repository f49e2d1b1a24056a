# One image for every Wayfinder process. The gateway is the default command; docker-compose.yml
# runs the same image as each subgraph with `npm run start:subgraph -- <name>`. Each entry point runs
# as one esbuild bundle (scripts/launch.mjs; esbuild comes with tsx, a runtime dependency), built
# below while the image is made, so no dev dependencies are needed.

# Dependencies get their own stage, so they are cached until package.json or the lockfile changes.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# .dockerignore keeps node_modules, local data, tests and secrets out of this copy.
COPY . .
# The bundles every process of docker-compose.yml runs, made now: the app cannot write
# node_modules/.cache at run time (it would fall back to tsx, slower to start).
RUN node scripts/launch.mjs --prebuild gateway/index.ts scripts/start-subgraph.ts \
    scripts/import.ts scripts/reindex.ts scripts/token.ts
# The source stays root-owned and read-only to the app. Only the data directory (DATA_DIR defaults
# to /app/.data; used by embedded PGlite when no <PARTNER>_DATABASE_URL is set) is writable.
RUN mkdir -p /app/.data && chown node:node /app/.data
# `node` is the unprivileged user the official Node.js images provide.
USER node
# Gateway 4000; subgraphs council 4101, charity 4102, health 4103, directory 4104.
EXPOSE 4000 4101 4102 4103 4104
CMD ["npm", "run", "start:gateway"]
