# syntax=docker/dockerfile:1
# livegate: multi-stage build; the runtime image runs as the unprivileged `node` user with fonts for chart text.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Lockfile first: the dependency layer is cached until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# Fonts for chart and map text: Latin (DejaVu, Liberation, Noto), CJK and colour emoji. tini reaps and forwards signals.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini fontconfig fonts-dejavu-core fonts-liberation2 fonts-noto-core \
      fonts-noto-cjk fonts-noto-color-emoji \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/livegate && chown node:node /var/lib/livegate
ENV NODE_ENV=production \
    LIVEGATE_HOST=0.0.0.0 \
    LIVEGATE_PORT=8080 \
    LIVEGATE_STORE=fs:/var/lib/livegate
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY public ./public
USER node
VOLUME ["/var/lib/livegate"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.LIVEGATE_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--initial-old-space-size=128", "dist/src/main.js"]
