/**
 * A thin JSON REST client for any kind, watches included, on client-node's authentication and Node's own
 * `node:http`/`node:https`. Objects stay plain JSON (client-node's generic object API turns timestamps into
 * Dates), one keep-alive connection pool is reused, every call has a timeout, and writes are rate limited.
 *
 * Not client-node's fetch stack: it runs on the npm `undici`, whose code alone costs the operator ~15 MB of
 * resident memory at start; the TLS material, credentials (token, exec plugin, client certificate) and proxy
 * agent still come from client-node's `KubeConfig.applyToHTTPSOptions`.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions as HttpsRequestOptions } from "node:https";
import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import { wakeableSleep, type WakeableSleep } from "./backoff.ts";

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
  /** Called after every write sent (its `beforeSend` passed) with its verb, HTTP status (0 when no answer came) and path. */
  readonly onWrite?: (verb: string, code: number, path: string) => void;
  /**
   * `product/version` sent on every request, watches included. The API server names the field manager of
   * writes without one (update, create, merge patch) after it, and its audit log and metrics tell clients
   * apart by it; without one, requests say `node`.
   */
  readonly userAgent?: string;
  /**
   * Requests in flight at once, each on its own kept-alive connection ({@link DEFAULT_MAX_CONNECTIONS} by default);
   * more wait for one to finish, before their `beforeSend` runs and before their timeout starts. Watches have
   * connections of their own and do not count.
   */
  readonly maxConnections?: number;
}

/**
 * Requests in flight at once by default. A kept-alive TLS connection to the API server costs about 200 KB of the
 * process's memory (OpenSSL's buffers; ~10 MB for the 52 an unbounded pool kept after a burst of creates in
 * `npm run bench:operator`); the API server serves a few requests at a time per core anyway.
 */
export const DEFAULT_MAX_CONNECTIONS = 16;

/** Why a request failed that {@link KubeRest.close} stopped before it was sent. */
const CLOSED_BEFORE_SENT = "the API client was closed before this request was sent";

/**
 * Times one request is sent again when the API server answers "later": 429, or a 5xx with `Retry-After` (priority and
 * fairness rejects with 429 and `Retry-After`). client-go does the same, as many times, for every verb: such an answer
 * says the request was not carried out, and with no client-side limit (the default) it is what spaces the writes out.
 */
export const MAX_RETRIES = 10;
/** The longest wait for a retry, whatever `Retry-After` says. */
const MAX_RETRY_WAIT_MS = 30_000;

/** How long to wait before sending a request again, from its answer; `undefined`: not again (client-go's `checkWait`). */
function retryWaitMs(code: number, retryAfter: string | undefined): number | undefined {
  if (code !== 429 && code < 500) return undefined;
  const seconds = retryAfter?.trim();
  if (seconds === undefined || !/^\d+$/.test(seconds)) return undefined;
  return Math.min(Number(seconds) * 1000, MAX_RETRY_WAIT_MS);
}

/** What {@link KubeRest.watch} does with one watch. */
export interface WatchOptions {
  /** Query parameters besides `watch=true` (`resourceVersion`, `allowWatchBookmarks`, `timeoutSeconds`, selectors). */
  readonly query?: Record<string, string | number | boolean | undefined>;
  /** Gets every event in order: `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK` or `ERROR` (a Status as the object). */
  readonly onEvent: (type: string, object: KubernetesObject & { code?: number; message?: string }) => void;
  /** Called once the server accepted the watch (200). */
  readonly onConnected?: () => void;
  /** Ends the watch; the promise then resolves. */
  readonly signal?: AbortSignal;
  /** A watch silent (no event, no bookmark) for this long, or not answered within it, fails with a `TimeoutError`. Default 30 s, as client-node's `Watch`. */
  readonly idleTimeoutMs?: number;
}

/** An error named `TimeoutError`, as `AbortSignal.timeout` gives: the watch was silent for too long. */
export class WatchTimeoutError extends Error {
  constructor(idleMs: number) {
    super(`the watch stayed silent for ${idleMs} ms`);
    this.name = "TimeoutError";
  }
}

/** Where and how one request goes: its URL and `node:http(s)` options with credentials and agent. */
interface Connection {
  readonly url: URL;
  readonly request: typeof httpsRequest;
  readonly options: HttpsRequestOptions & { headers: Record<string, string | number> };
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
  readonly #options: KubeRestOptions;
  readonly #kinds = new Map<string, KindInfo>();
  readonly #discovery = new Map<string, Promise<KindInfo[]>>();
  /**
   * Connection pools, made on first use: for requests, kept alive, as many as requests may be in flight ({@link
   * KubeRestOptions.maxConnections}, counted in {@link send}, so a proxied cluster's requests too); for watches,
   * unbounded (a watch holds its connection until it ends, and then destroys it). A proxied cluster uses client-node's
   * proxy agent instead.
   */
  readonly #agents: { requests?: HttpsAgent | HttpAgent; watches?: HttpsAgent | HttpAgent } = {};
  /** Requests in flight (at most {@link maxConnections}), and those waiting for one of them to finish, in order. */
  #inFlight = 0;
  /** How many times {@link close} ran: a request that has its slot but is not sent yet checks it did not run meanwhile. */
  #closings = 0;
  readonly #waiting: { go: () => void; fail: (error: Error) => void }[] = [];
  /** Requests waiting to be sent again ({@link MAX_RETRIES}): {@link close} ends their waits. */
  readonly #retryWaits = new Set<WakeableSleep>();

  constructor(kubeConfig: KubeConfig, options: KubeRestOptions = {}) {
    const max = options.maxConnections;
    if (max !== undefined && !(Number.isInteger(max) && max >= 1)) {
      throw new Error(`maxConnections must be a whole number of at least 1, not ${max}`);
    }
    this.kubeConfig = kubeConfig;
    this.#options = options;
  }

  /** Requests this client has in flight at most (watches aside). */
  get maxConnections(): number {
    return this.#options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  }

  /** Waits until fewer than {@link maxConnections} requests are in flight; the returned function ends this one. */
  async #slot(): Promise<() => void> {
    if (this.#inFlight >= this.maxConnections) {
      await new Promise<void>((go, fail) => this.#waiting.push({ go, fail }));
    } else {
      this.#inFlight++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // The slot passes to the next request as it is: the count stays.
      if (next === undefined) this.#inFlight--;
      else next.go();
    };
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

  /**
   * {@link request}, with the HTTP status of the answer (201: the write created the object). An answer that asks for
   * the request again later is waited for and sent again, up to {@link MAX_RETRIES} times, each attempt with its
   * write slot, leadership check and time-out; not once the wait would end past the request's time-out, counted from
   * its first sending (a lease renewal, a list page stay bounded as before).
   */
  async send<T>(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, options: RequestOptions = {}): Promise<{ code: number; body: T }> {
    const closings = this.#closings;
    const timeoutMs = this.#timeoutMs(options);
    let firstSentAt: number | undefined;
    for (let retries = 0; ; retries++) {
      const answer = await this.#sendOnce(method, path, options, closings);
      firstSentAt ??= answer.sentAt;
      const asked = retries < MAX_RETRIES ? retryWaitMs(answer.code, answer.retryAfter) : undefined;
      const wait = asked !== undefined && performance.now() + asked - firstSentAt < timeoutMs ? asked : undefined;
      if (wait === undefined) {
        if (answer.code < 200 || answer.code > 299) throw apiError(method, path, answer.code, answer.body);
        return { code: answer.code, body: answer.body as T };
      }
      // A close() since the answer came (its onWrite, say) ends the request before a wait it would not end.
      if (this.#closings !== closings) throw new Error(CLOSED_BEFORE_SENT);
      const sleep = wakeableSleep(wait, () => this.#retryWaits.delete(sleep));
      this.#retryWaits.add(sleep);
      await sleep.done;
    }
  }

  /** A request's time-out: its own, else the client's, else 30 s. */
  #timeoutMs(options: RequestOptions): number {
    return options.timeoutMs ?? this.#options.timeoutMs ?? 30_000;
  }

  /** One attempt of {@link send}: the answer, whatever its status, and when it was sent. */
  async #sendOnce(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    options: RequestOptions,
    closings: number,
  ): Promise<{ code: number; body: unknown; retryAfter: string | undefined; sentAt: number }> {
    // A close() since send began (during a retry's wait, say) fails it unsent, before it waits for a write slot.
    if (this.#closings !== closings) throw new Error(CLOSED_BEFORE_SENT);
    const isWrite = method !== "GET";
    if (isWrite && this.#options.writeLimiter !== undefined) await this.#options.writeLimiter.acquire();
    // A request that waits for a slot is not sent yet: its beforeSend (the leadership check) and its timeout come
    // after the wait, and a close() during the wait fails it unsent.
    if (this.#closings !== closings) throw new Error(CLOSED_BEFORE_SENT);
    const release = await this.#slot();
    let code = 0;
    let sent = false;
    try {
      const connection = await this.#connect(path, options.query, "requests");
      if (this.#closings !== closings) throw new Error(CLOSED_BEFORE_SENT);
      const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
      if (payload !== undefined) {
        connection.options.headers["Content-Type"] = options.contentType ?? "application/json";
        connection.options.headers["Content-Length"] = Buffer.byteLength(payload);
      }
      const signal = AbortSignal.timeout(this.#timeoutMs(options));
      options.beforeSend?.();
      sent = true;
      const sentAt = performance.now();
      const response = await exchange(connection, method, payload, signal);
      code = response.code;
      return { code, body: response.text === "" ? undefined : parseJson(response.text), retryAfter: response.retryAfter, sentAt };
    } finally {
      release();
      if (isWrite && sent) this.#options.onWrite?.(method, code, path);
    }
  }

  /**
   * Watches a collection (`path?watch=true`), handing every event to `onEvent` as its line arrives. Resolves when
   * the server ends the watch (its `timeoutSeconds`) or `signal` aborts it; rejects with {@link KubeApiError} on an
   * error answer (410: the resourceVersion is too old) and with {@link WatchTimeoutError} when it stays silent.
   */
  async watch(path: string, options: WatchOptions): Promise<void> {
    const connection = await this.#connect(path, { ...options.query, watch: true }, "watches");
    const idleMs = options.idleTimeoutMs ?? 30_000;
    const signal = options.signal;
    if (signal?.aborted) return;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let idle: NodeJS.Timeout | undefined;
      const finish = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        signal?.removeEventListener("abort", onAbort);
        request.destroy();
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = (): void => finish();
      const armIdle = (): void => {
        clearTimeout(idle);
        idle = setTimeout(() => finish(new WatchTimeoutError(idleMs)), idleMs);
        idle.unref();
      };
      const request = connection.request(connection.url, { ...connection.options, method: "GET" }, (response) => {
        if (response.statusCode !== 200) {
          readText(response).then((text) => finish(apiError("WATCH", path, response.statusCode ?? 0, text === "" ? undefined : parseJson(text))), finish);
          return;
        }
        armIdle();
        options.onConnected?.();
        response.setEncoding("utf8");
        // The text of an event not yet ended by its newline, in pieces: each chunk is searched once, from its start.
        let pending: string[] = [];
        const deliver = (line: string): void => {
          const event = parseEvent(line);
          if (event === undefined) return;
          try {
            options.onEvent(event.type, event.object);
          } catch (error) {
            finish(error);
          }
        };
        response.on("data", (chunk: string) => {
          armIdle();
          let start = 0;
          for (let newline = chunk.indexOf("\n"); newline >= 0 && !settled; newline = chunk.indexOf("\n", start)) {
            pending.push(chunk.slice(start, newline));
            start = newline + 1;
            const line = pending.join("");
            pending = [];
            deliver(line);
          }
          if (start < chunk.length) pending.push(chunk.slice(start));
        });
        // A last event the server ended without its newline is still an event.
        response.on("end", () => {
          if (pending.length > 0 && !settled) deliver(pending.join(""));
          pending = [];
          finish();
        });
        response.on("error", finish);
        response.on("close", () => finish(response.complete ? undefined : new Error(`watch ${path}: the connection closed mid-stream`)));
      });
      request.on("error", finish);
      signal?.addEventListener("abort", onAbort, { once: true });
      armIdle();
      request.end();
    });
  }

  /**
   * Closes the keep-alive pools so that the process can exit; requests still pending are aborted rather than awaited,
   * and those waiting for a connection fail unsent. The client can be used again afterwards (new pools).
   */
  async close(): Promise<void> {
    this.#closings++;
    for (const waiter of this.#waiting.splice(0)) waiter.fail(new Error(CLOSED_BEFORE_SENT));
    for (const sleep of [...this.#retryWaits]) sleep.wake();
    this.#agents.requests?.destroy();
    this.#agents.watches?.destroy();
    delete this.#agents.requests;
    delete this.#agents.watches;
  }

  /** The URL and request options of `path`: TLS material and credentials from the kubeconfig, fresh each time (tokens rotate). */
  async #connect(path: string, query: Record<string, string | number | boolean | undefined> | undefined, pool: "requests" | "watches"): Promise<Connection> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error("kubeconfig has no current cluster");
    const url = new URL(cluster.server.replace(/\/$/, "") + path);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const options: HttpsRequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
    const headers: Record<string, string | number> = { Accept: "application/json" };
    // A header value carries no surrounding white space (RFC 9110): a token file written with `echo` ends in a newline,
    // which node:http refuses as an invalid character rather than dropping it.
    for (const [key, value] of Object.entries(options.headers ?? {})) if (value !== undefined) headers[key] = String(value).trim();
    if (this.#options.userAgent !== undefined) headers["User-Agent"] = this.#options.userAgent;
    const plain = url.protocol === "http:";
    // client-node's own agent (made by applyToHTTPSOptions) keeps no connection alive: it is kept for proxies only.
    if (cluster.proxyUrl === undefined || cluster.proxyUrl === "") {
      // One server per client (the kubeconfig's current cluster), so one kind of agent per pool.
      // The slots of send() bound the requests; a bound here too would make a request wait in the agent, after its
      // leadership check, for a socket released but not yet closed.
      const settings = pool === "requests" ? { keepAlive: true, maxFreeSockets: this.maxConnections } : { keepAlive: true };
      options.agent = this.#agents[pool] ??= plain ? new HttpAgent(settings) : new HttpsAgent(settings);
    }
    return { url, request: plain ? (httpRequest as typeof httpsRequest) : httpsRequest, options: { ...options, headers } };
  }

  async #discover(apiVersion: string): Promise<KindInfo[]> {
    const root = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const list = await this.get<{ resources?: { name: string; kind: string; namespaced: boolean }[] }>(root);
    return (list.resources ?? []).filter((r) => !r.name.includes("/")).map((r) => ({ apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced }));
  }
}

/**
 * Sends one request and reads its whole answer. Its listeners let go of the answer once it is read: node's https agent
 * keeps the first request of each connection reachable for as long as the connection stays open (in Node 24, through
 * the callbacks its TLS `session` listener shares a closure with), and with it the request's and its answer's listeners. A listener
 * holding the promise, or the chunks, would keep the text of that answer, an informer's full list among them, for the
 * life of the connection.
 */
function exchange(
  connection: Connection,
  method: string,
  payload: string | undefined,
  signal: AbortSignal,
): Promise<{ code: number; text: string; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const settle = settleOnce(resolve, reject);
    const request = connection.request(connection.url, { ...connection.options, method, signal }, (response) => {
      const retryAfter = response.headers["retry-after"];
      readText(response).then((text) => settle.resolve({ code: response.statusCode ?? 0, text, retryAfter }), settle.reject);
    });
    request.on("error", settle.reject);
    request.end(payload);
  });
}

/** The whole body of an answer as text; rejects when the connection breaks before its end. Keeps nothing once settled. */
function readText(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const settle = settleOnce(resolve, reject);
    let chunks: Buffer[] = [];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.on("end", () => {
      // The chunks go before the text is made: a list's answer is held twice at most, not three times.
      const body = Buffer.concat(chunks);
      chunks = [];
      settle.resolve(body.toString("utf8"));
    });
    response.on("error", settle.reject);
    response.on("close", () => {
      if (response.complete) return;
      chunks = [];
      settle.reject(new Error("the connection closed before the answer was complete"));
    });
  });
}

/**
 * A promise's `resolve` and `reject` that drop both once either is called: a listener left on a request or an answer
 * that outlives it then holds neither the promise nor its result (see {@link exchange}).
 */
function settleOnce<T>(resolve: (value: T) => void, reject: (error: unknown) => void): { resolve: (value: T) => void; reject: (error: unknown) => void } {
  let pending: { resolve: (value: T) => void; reject: (error: unknown) => void } | undefined = { resolve, reject };
  const take = (): typeof pending => {
    const taken = pending;
    pending = undefined;
    return taken;
  };
  return { resolve: (value) => take()?.resolve(value), reject: (error) => take()?.reject(error) };
}

/** The error of an answer outside 2xx, with the API server's message when its body is a Status. */
function apiError(method: string, path: string, code: number, body: unknown): KubeApiError {
  const message = (body as { message?: unknown } | undefined)?.message;
  return new KubeApiError(code, `${method} ${path}: ${typeof message === "string" ? message : `HTTP ${code}`}`, body);
}

/** One line of a watch stream as its event; undefined for a blank or unreadable line (client-node's `Watch` skips those too). */
function parseEvent(line: string): { type: string; object: KubernetesObject & { code?: number; message?: string } } | undefined {
  if (line.trim() === "") return undefined;
  try {
    const event = JSON.parse(line) as { type?: unknown; object?: unknown };
    if (typeof event.type !== "string" || typeof event.object !== "object" || event.object === null) return undefined;
    return { type: event.type, object: event.object as KubernetesObject };
  } catch {
    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500) };
  }
}
