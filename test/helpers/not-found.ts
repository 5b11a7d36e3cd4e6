/** Reading an object that may be gone: the API server's 404 becomes `undefined`, anything else is thrown. */

/** `call`'s result, or `undefined` when the API server answered 404 (client-node's ApiException or the runtime's KubeApiError). */
export async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 404) return undefined;
    throw error;
  }
}
