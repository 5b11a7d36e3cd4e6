/**
 * What the operator bundle gets for `@kubernetes/client-node` (see {@link clientNodeModules} in bundle.ts): the two
 * names the runtime imports, from their own modules. The package root re-exports every generated API and model
 * (about 750 classes built at load) and esbuild cannot leave them out, since the package does not declare itself free
 * of side effects. A name the runtime starts to import from the root and this file lacks fails the bundle's build.
 */
export { KubeConfig } from "@kubernetes/client-node/dist/config.js";
export { V1MicroTime } from "@kubernetes/client-node/dist/types.js";
