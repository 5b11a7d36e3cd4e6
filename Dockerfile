# The mysqlop operator image: the bundled operator (`npm run bundle`: one ES module, tree-shaken)
# and the backup/restore scripts it mounts into Jobs, on Node 24, as a non-root user.
#   docker build -t REGISTRY/mysqlop:VERSION . && docker push REGISTRY/mysqlop:VERSION
# test/integration/image/image-content.test.ts assembles exactly what the last stage copies and
# runs it as this user, in-cluster, against a real API server.
ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY generated/ generated/
COPY src/ src/
RUN npm run bundle

FROM node:${NODE_VERSION}-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /build/dist/operator/ /app/
# A numeric user, so that the kubelet can verify runAsNonRoot (deploy/operator.yaml runs as the same).
USER 65532:65532
# --optimize-for-size: V8 grows its heap far less during a burst of work (bench:operator, resources created at once:
# peak RSS 173 -> 112 MB at 100, 361 -> 134 MB at 1 000) for more CPU. --disable-optimizing-compilers: no optimizing
# JIT (Maglev, TurboFan); the baseline compilers remain, and the operator waits on the API server far more than it
# computes. V8 then neither holds optimized code nor touches the compilers' pages of the node binary: peak RSS
# 115 -> 93 MB at N = 200 for 20 % more CPU (14.4 -> 17.3 s; --lite-mode: 91 MB for 75 % more). Nothing else in the
# operator depends on either flag.
ENTRYPOINT ["node", "--optimize-for-size", "--disable-optimizing-compilers", "/app/mysqlop.mjs"]
CMD ["run"]
