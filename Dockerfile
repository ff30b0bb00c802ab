# syntax=docker/dockerfile:1
# globaldns: build with the same steps CI runs (npm ci, tsc -p . through `npm run build`),
# then ship dist/ with the production dependencies only, as a non-root user.
#   docker build -t globaldns:0.1.0 .
# deploy/kustomize/ runs it in a management cluster (test/deploy/dockerfile.test.ts checks
# these steps against package.json and tsconfig.json).

FROM node:22-bookworm-slim AS build
WORKDIR /src
# Dependencies first: this layer is reused until the lockfile changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY providers ./providers
RUN npm run build
# The dev dependencies (TypeScript, ava, the test-only clients) stay in this stage.
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
RUN groupadd --gid 10001 globaldns \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin globaldns
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/dist/providers ./dist/providers
# Numeric, so that Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
USER 10001:10001
# DNS; the proxy's HTTP and HTTPS; the admin listener (/healthz, /readyz, metrics, dashboard).
EXPOSE 53/udp 53/tcp 8080 8443 9090
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve", "--config", "/etc/globaldns/config.yaml"]
