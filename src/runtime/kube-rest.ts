/**
 * A thin JSON REST client for any kind, on client-node's authentication and HTTP stack.
 * Objects stay plain JSON (client-node's generic object API turns timestamps into Dates),
 * one connection pool is reused, every call has a timeout, and writes are rate limited.
 */
import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";

/** A kind's REST coordinates. */
export interface KindInfo {
  /** `group/version`, or `v1` for the core group. */
  readonly apiVersion: string;
  readonly kind: string;
  /** Lower-case plural resource name, e.g. `configmaps`. */
  readonly plural: string;
  readonly namespaced: boolean;
}

/** An error answer from the API server; `code` is the HTTP status. */
export class KubeApiError extends Error {
  readonly code: number;
  readonly reason: string | undefined;
  readonly body: unknown;

  constructor(code: number, message: string, body: unknown) {
    super(message);
    this.name = "KubeApiError";
    this.code = code;
    this.body = body;
    const reason = (body as { reason?: unknown } | undefined)?.reason;
    this.reason = typeof reason === "string" ? reason : undefined;
  }
}

/** True for a 404 answer. */
export function isNotFound(error: unknown): boolean {
  return error instanceof KubeApiError && error.code === 404;
}

/** True for a 422 answer: the API server's validation refused the object. */
export function isInvalid(error: unknown): boolean {
  return error instanceof KubeApiError && error.code === 422;
}

/** True for a 409 answer (resourceVersion conflict or already exists). */
export function isConflict(error: unknown): boolean {
  return error instanceof KubeApiError && error.code === 409;
}

/** True for a create answered 409 AlreadyExists: an object of that name exists. */
export function isAlreadyExists(error: unknown): boolean {
  return error instanceof KubeApiError && error.code === 409 && error.reason === "AlreadyExists";
}

/** Content types for PATCH. */
export const PatchType = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  apply: "application/apply-patch+yaml",
} as const;

/** Options of one request. */
export interface RequestOptions {
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly timeoutMs?: number;
  /**
   * Called right before the request is sent, after its wait for a write slot: throwing refuses it.
   * Leadership is checked here, as a lease can be lost while a write waits for its slot.
   */
  readonly beforeSend?: () => void;
}

/** Spaces writes out (client-go's QPS/burst: `TokenBucket`); `acquire` resolves when the next write may go. */
export interface WriteLimiter {
  acquire(): Promise<void>;
}

/** Options of {@link KubeRest}. */
export interface KubeRestOptions {
  /** Applied to every non-GET request; none by default (the API server's priority and fairness protects it). */
  readonly writeLimiter?: WriteLimiter;
  readonly timeoutMs?: number;
  /** Called after every write with its verb, HTTP status (0 when no answer came) and path. */
  readonly onWrite?: (verb: string, code: number, path: string) => void;
  /**
   * `product/version` sent on every request, watches included. The API server names the field manager of
   * writes without one (update, create, merge patch) after it, and its audit log and metrics tell clients
   * apart by it; without one, requests say `undici`.
   */
  readonly userAgent?: string;
}

/**
 * A view of `kubeConfig` whose requests carry `userAgent`: the same clusters and credentials (it
 * delegates to the original, which stays untouched) for client-node helpers such as `Watch`.
 */
export function withUserAgent(kubeConfig: KubeConfig, userAgent: string): KubeConfig {
  const view = Object.create(kubeConfig) as KubeConfig;
  view.applySecurityAuthentication = async (context: RequestContext): Promise<void> => {
    await kubeConfig.applySecurityAuthentication(context);
    context.setHeaderParam("User-Agent", userAgent);
  };
  return view;
}

/** Splits `group/version` (or core `v1`). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The collection path of a kind (`/api/v1/namespaces/ns/configmaps`), or one object's path with `name`. */
export function resourcePath(kind: KindInfo, namespace: string | undefined, name?: string, subresource?: string): string {
  const root = kind.apiVersion.includes("/") ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`;
  let path = root;
  if (kind.namespaced && namespace !== undefined && namespace !== "") path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${kind.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

/** JSON REST calls against the current cluster of a kubeconfig. */
export class KubeRest {
  readonly kubeConfig: KubeConfig;
  /** {@link kubeConfig} as requests outside this client (client-node's `Watch`) should use it: with this client's user agent. */
  readonly clientConfig: KubeConfig;
  readonly #http = new IsomorphicFetchHttpLibrary();
  readonly #options: KubeRestOptions;
  readonly #kinds = new Map<string, KindInfo>();
  readonly #discovery = new Map<string, Promise<KindInfo[]>>();
  #dispatcher: ReturnType<RequestContext["getDispatcher"]>;

  constructor(kubeConfig: KubeConfig, options: KubeRestOptions = {}) {
    this.kubeConfig = kubeConfig;
    this.#options = options;
    this.clientConfig = options.userAgent === undefined ? kubeConfig : withUserAgent(kubeConfig, options.userAgent);
  }

  /** Makes a kind known without discovery (the manager registers every watched kind). */
  registerKind(kind: KindInfo): void {
    this.#kinds.set(`${kind.apiVersion}/${kind.kind}`, kind);
  }

  /** The REST coordinates of `apiVersion`+`kind`: registered, or found by API discovery (cached). */
  async kindInfo(apiVersion: string, kind: string): Promise<KindInfo> {
    const known = this.#kinds.get(`${apiVersion}/${kind}`);
    if (known !== undefined) return known;
    let pending = this.#discovery.get(apiVersion);
    if (pending === undefined) {
      pending = this.#discover(apiVersion);
      this.#discovery.set(apiVersion, pending);
      pending.catch(() => this.#discovery.delete(apiVersion));
    }
    const found = (await pending).find((k) => k.kind === kind);
    if (found === undefined) {
      this.#discovery.delete(apiVersion);
      throw new Error(`the API server does not serve kind ${kind} in ${apiVersion}`);
    }
    this.registerKind(found);
    return found;
  }

  /** The path of an object, from its apiVersion, kind, namespace and name. */
  async pathOf(object: KubernetesObject, subresource?: string): Promise<string> {
    if (object.apiVersion === undefined || object.kind === undefined || object.metadata?.name === undefined) {
      throw new Error("object needs apiVersion, kind and metadata.name");
    }
    const info = await this.kindInfo(object.apiVersion, object.kind);
    return resourcePath(info, object.metadata.namespace, object.metadata.name, subresource);
  }

  /** GET. */
  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>("GET", path, options);
  }

  /** Sends a request and parses the JSON answer; a non-2xx answer throws {@link KubeApiError}. */
  async request<T>(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.send<T>(method, path, options)).body;
  }

  /** {@link request}, with the HTTP status of the answer (201: the write created the object). */
  async send<T>(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, options: RequestOptions = {}): Promise<{ code: number; body: T }> {
    const isWrite = method !== "GET";
    if (isWrite && this.#options.writeLimiter !== undefined) await this.#options.writeLimiter.acquire();
    const cluster = this.kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error("kubeconfig has no current cluster");
    const url = new URL(cluster.server.replace(/\/$/, "") + path);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const ctx = new RequestContext(url.toString(), HttpMethod[method]);
    ctx.setHeaderParam("Accept", "application/json");
    if (options.body !== undefined) {
      ctx.setHeaderParam("Content-Type", options.contentType ?? "application/json");
      ctx.setBody(JSON.stringify(options.body));
    }
    await this.clientConfig.applySecurityAuthentication(ctx);
    // client-node builds a new connection pool per request; keep the first one so connections are reused.
    if (this.#dispatcher === undefined) this.#dispatcher = ctx.getDispatcher();
    else ctx.setDispatcher(this.#dispatcher);
    ctx.setSignal(AbortSignal.timeout(options.timeoutMs ?? this.#options.timeoutMs ?? 30_000));
    options.beforeSend?.();
    let code = 0;
    try {
      const response = await this.#http.send(ctx).toPromise();
      code = response.httpStatusCode;
      const text = await response.body.text();
      const body: unknown = text === "" ? undefined : parseJson(text);
      if (code < 200 || code > 299) {
        const message = (body as { message?: unknown } | undefined)?.message;
        throw new KubeApiError(code, `${method} ${path}: ${typeof message === "string" ? message : `HTTP ${code}`}`, body);
      }
      return { code, body: body as T };
    } finally {
      if (isWrite) this.#options.onWrite?.(method, code, path);
    }
  }

  /**
   * Closes the reused connection pool so that the process can exit; requests still pending
   * (e.g. an informer's list during shutdown) are aborted rather than awaited.
   */
  async close(): Promise<void> {
    const dispatcher = this.#dispatcher as { destroy?: () => Promise<void> } | undefined;
    this.#dispatcher = undefined;
    await dispatcher?.destroy?.().catch(() => undefined);
  }

  async #discover(apiVersion: string): Promise<KindInfo[]> {
    const root = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const list = await this.get<{ resources?: { name: string; kind: string; namespaced: boolean }[] }>(root);
    return (list.resources ?? []).filter((r) => !r.name.includes("/")).map((r) => ({ apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced }));
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500) };
  }
}
