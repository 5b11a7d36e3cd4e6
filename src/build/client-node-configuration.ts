/**
 * What client-node's kubeconfig module gets for its `./gen/index.js` in the operator bundle (see
 * {@link clientNodeModules} in bundle.ts): the two names it imports, without the generated APIs and models that
 * index re-exports.
 */
export { createConfiguration } from "@kubernetes/client-node/dist/gen/configuration.js";
export { ServerConfiguration } from "@kubernetes/client-node/dist/gen/servers.js";
