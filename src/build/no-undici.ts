/**
 * What the operator bundle gets for `undici`. client-node imports it at the top of its kubeconfig module (for
 * `applySecurityAuthentication`, which the operator does not call: `KubeRest` talks `node:https`), so esbuild would
 * otherwise bundle and run all of undici at start (~15 MB resident). Anything that does reach for it fails clearly.
 */

const message = "undici is not part of the mysqlop operator bundle: use KubeRest (node:https) for API requests";

/** Stands in for undici's `Agent` and `ProxyAgent`. */
class Absent {
  constructor() {
    throw new Error(message);
  }
}

/** Stands in for undici's `fetch`. */
export function fetch(): Promise<never> {
  return Promise.reject(new Error(message));
}

export { Absent as Agent, Absent as ProxyAgent };
