import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { isConflict, isNotFound, KubeApiError, KubeRest, resourcePath } from "../../src/runtime/kube-rest.ts";

let server: Server;
let kc: KubeConfig;
const seen: {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
  userAgent: string | undefined;
  authorization: string | undefined;
}[] = [];

before(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        contentType: req.headers["content-type"],
        body,
        userAgent: req.headers["user-agent"],
        authorization: req.headers.authorization,
      });
      if (req.url === "/apis/example.test/v1") {
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({
            resources: [
              { name: "gadgets", kind: "Gadget", namespaced: true },
              { name: "gadgets/status", kind: "Gadget", namespaced: true },
            ],
          }),
        );
      } else if (req.url?.includes("missing")) {
        res
          .writeHead(404, { "content-type": "application/json" })
          .end(JSON.stringify({ kind: "Status", reason: "NotFound", message: 'gadgets "missing" not found' }));
      } else if (req.url?.includes("expired")) {
        res
          .writeHead(410, { "content-type": "application/json" })
          .end(JSON.stringify({ kind: "Status", reason: "Expired", code: 410, message: "too old resource version: 1 (9)" }));
      } else if (req.url?.includes("lines")) {
        // Events split across writes, a blank line and a line that is no event: each event arrives whole, once.
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MOD');
        setTimeout(() => res.end('IFIED","object":{"metadata":{"name":"a"}}}\n\nnot json\n{"type":"DELETED","object":{"metadata":{"name":"a"}}}\n'), 50);
      } else if (req.url?.includes("unterminated")) {
        // One event in three writes, then a last event the server ends without its newline.
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"type":"ADDED","object":{"metad');
        res.write('ata":{"name":"b","labels":{"x":"');
        setTimeout(() => res.end('y"}}}}\n{"type":"DELETED","object":{"metadata":{"name":"b"}}}'), 50);
      } else if (req.url?.includes("stale")) {
        res
          .writeHead(409, { "content-type": "application/json" })
          .end(JSON.stringify({ kind: "Status", reason: "Conflict", message: "the object has been modified" }));
      } else {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  kc = kubeConfigOf(server);
});

/** A kubeconfig whose current cluster is `listening`, over plain HTTP, with no credentials. */
function kubeConfigOf(listening: Server): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: "c", server: `http://127.0.0.1:${(listening.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "c", cluster: "c", user: "u" }],
    currentContext: "c",
  });
  return config;
}

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test("resourcePath: core and grouped, namespaced and cluster-scoped, subresources", () => {
  assert.equal(resourcePath({ apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true }, "ns", "a"), "/api/v1/namespaces/ns/configmaps/a");
  assert.equal(
    resourcePath({ apiVersion: "v1", kind: "PersistentVolume", plural: "persistentvolumes", namespaced: false }, "ignored", "pv"),
    "/api/v1/persistentvolumes/pv",
  );
  assert.equal(
    resourcePath({ apiVersion: "example.test/v1", kind: "Gadget", plural: "gadgets", namespaced: true }, undefined),
    "/apis/example.test/v1/gadgets",
  );
  assert.equal(
    resourcePath({ apiVersion: "example.test/v1", kind: "Gadget", plural: "gadgets", namespaced: true }, "n s", "g/1", "status"),
    "/apis/example.test/v1/namespaces/n%20s/gadgets/g%2F1/status",
  );
});

test("kind discovery is cached; unknown kinds fail clearly", async () => {
  const rest = new KubeRest(kc);
  seen.length = 0;
  assert.equal(
    await rest.pathOf({ apiVersion: "example.test/v1", kind: "Gadget", metadata: { name: "g", namespace: "n" } }, "status"),
    "/apis/example.test/v1/namespaces/n/gadgets/g/status",
  );
  await rest.kindInfo("example.test/v1", "Gadget");
  assert.equal(seen.filter((s) => s.url === "/apis/example.test/v1").length, 1);
  await assert.rejects(rest.kindInfo("example.test/v1", "Nope"), /does not serve kind Nope/);
  await rest.close();
});

test("errors carry the HTTP status and reason", async () => {
  const rest = new KubeRest(kc);
  const notFound = await rest.get("/apis/example.test/v1/namespaces/n/gadgets/missing").catch((e: unknown) => e);
  assert.ok(notFound instanceof KubeApiError && isNotFound(notFound) && notFound.reason === "NotFound");
  const conflict = await rest
    .request("PATCH", "/apis/example.test/v1/namespaces/n/gadgets/stale", { body: {}, contentType: "application/merge-patch+json" })
    .catch((e: unknown) => e);
  assert.ok(isConflict(conflict));
  assert.equal(seen.at(-1)?.contentType, "application/merge-patch+json");
  await rest.close();
});

test("every write waits for a slot of the write limiter, no read does; each write is reported with its verb and status", async () => {
  const writes: string[] = [];
  let acquired = 0;
  const rest = new KubeRest(kc, { writeLimiter: { acquire: async () => void acquired++ }, onWrite: (verb, code) => writes.push(`${verb} ${code}`) });
  await Promise.all(Array.from({ length: 10 }, () => rest.get("/api/v1/namespaces/n/configmaps/x")));
  assert.equal(acquired, 0);
  await Promise.all(Array.from({ length: 10 }, () => rest.request("POST", "/api/v1/namespaces/n/configmaps", { body: { a: 1 } })));
  await rest.request("PATCH", "/api/v1/namespaces/n/configmaps/x", { body: {}, contentType: "application/merge-patch+json" });
  assert.equal(acquired, 11);
  assert.equal(writes.length, 11);
  assert.equal(writes[0], "POST 200");
  assert.equal(writes.at(-1), "PATCH 200");
  await rest.close();
});

test("userAgent goes on every request: reads, writes and watches", async () => {
  const rest = new KubeRest(kc, { userAgent: "gadgetop/1.2.3" });
  seen.length = 0;
  await rest.get("/api/v1/namespaces/ns/configmaps/a");
  await rest.request("POST", "/api/v1/namespaces/ns/configmaps", { body: { metadata: { name: "b" } } });
  await rest.watch("/api/v1/configmaps", { onEvent: () => undefined });
  assert.deepEqual(
    seen.map((r) => [r.method, r.userAgent]),
    [
      ["GET", "gadgetop/1.2.3"],
      ["POST", "gadgetop/1.2.3"],
      ["GET", "gadgetop/1.2.3"],
    ],
  );
  seen.length = 0;
  const plain = new KubeRest(kc);
  await plain.get("/api/v1/namespaces/ns/configmaps/a");
  assert.notEqual(seen[0]?.userAgent, "gadgetop/1.2.3", "another client of the same kubeconfig does not carry it");
  await Promise.all([rest.close(), plain.close()]);
});

test("watch: events split across chunks arrive whole and in order; an error answer such as 410 Gone rejects with its status", async () => {
  const rest = new KubeRest(kc);
  const events: string[] = [];
  await rest.watch("/api/v1/namespaces/n/lines", { onEvent: (type, object) => events.push(`${type} ${object.metadata?.name}`) });
  assert.deepEqual(events, ["ADDED a", "MODIFIED a", "DELETED a"]);
  assert.match(seen.at(-1)?.url ?? "", /[?&]watch=true/);
  const expired = await rest.watch("/api/v1/namespaces/n/expired", { query: { resourceVersion: "1" }, onEvent: () => undefined }).catch((e: unknown) => e);
  assert.ok(expired instanceof KubeApiError && expired.code === 410 && expired.reason === "Expired", String(expired));
  await rest.close();
});

test("watch: an event split over several chunks arrives whole, and a last event without its newline is not dropped", async () => {
  const rest = new KubeRest(kc);
  const events: string[] = [];
  await rest.watch("/api/v1/namespaces/n/unterminated", {
    onEvent: (type, object) => events.push(`${type} ${object.metadata?.name} ${JSON.stringify(object.metadata?.labels ?? {})}`),
  });
  assert.deepEqual(events, ['ADDED b {"x":"y"}', "DELETED b {}"]);
  await rest.close();
});

test("a token file ending in a newline (echo > file) is sent without it, as HTTP header values carry no surrounding white space", async () => {
  const dir = await mkdtemp(join(tmpdir(), "mysqlop-token-"));
  try {
    const tokenFile = join(dir, "token");
    await writeFile(tokenFile, "secret-token\n", { mode: 0o600 });
    const withToken = new KubeConfig();
    withToken.loadFromString(`apiVersion: v1
clusters: [{name: c, cluster: {server: "${kc.getCurrentCluster()?.server ?? ""}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token-file: "${tokenFile}"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`);
    const rest = new KubeRest(withToken);
    seen.length = 0;
    await rest.get("/api/v1/namespaces/ns/configmaps/a");
    await rest.close();
    assert.equal(seen[0]?.authorization, "Bearer secret-token");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** A server that answers every request after `delayMs`, counting connections and requests in flight; `/watch` paths stay open until closed. */
async function countingServer(delayMs: number | ((url: string) => number)): Promise<{
  kc: KubeConfig;
  stats: { connections: number; inFlight: number; maxInFlight: number; received: number; answered: number };
  close: () => Promise<void>;
}> {
  const stats = { connections: 0, inFlight: 0, maxInFlight: 0, received: 0, answered: 0 };
  const counting = createServer((req, res) => {
    if (req.url?.includes("watch=true")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"type":"ADDED","object":{"metadata":{"name":"w"}}}\n');
      return;
    }
    stats.received++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    setTimeout(
      () => {
        stats.inFlight--;
        stats.answered++;
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      },
      typeof delayMs === "number" ? delayMs : delayMs(req.url ?? ""),
    );
  });
  counting.on("connection", () => stats.connections++);
  await new Promise<void>((resolve) => counting.listen(0, "127.0.0.1", resolve));
  const config = kubeConfigOf(counting);
  const close = async (): Promise<void> => {
    counting.closeAllConnections();
    await new Promise((resolve) => counting.close(resolve));
  };
  return { kc: config, stats, close };
}

test("requests share a bounded pool of connections (16 by default, maxConnections to change): more wait for a free one", async () => {
  // Answers take 100 ms, so that requests overlap however slowly the machine opens connections; the bound is checked
  // as an upper limit (how many overlap below it depends on the machine).
  const { kc: config, stats, close } = await countingServer(100);
  try {
    const rest = new KubeRest(config);
    await Promise.all(Array.from({ length: 60 }, (_, i) => rest.get(`/api/v1/namespaces/ns/configmaps/c${i}`)));
    assert.ok(stats.maxInFlight > 1 && stats.maxInFlight <= 16, `60 requests at once: at most 16 at a time, ${stats.maxInFlight} were`);
    assert.ok(stats.connections <= 16, `at most 16 connections, ${stats.connections} opened`);
    // A second burst reuses the kept-alive connections and opens new ones only up to the bound.
    await Promise.all(Array.from({ length: 30 }, (_, i) => rest.request("PATCH", `/api/v1/namespaces/ns/configmaps/c${i}`, { body: {} })));
    assert.ok(stats.connections <= 16, `the second burst stays within 16 connections: ${stats.connections}`);
    await rest.close();
    stats.maxInFlight = 0;
    const narrow = new KubeRest(config, { maxConnections: 3 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => narrow.get(`/api/v1/namespaces/ns/configmaps/c${i}`)));
    assert.ok(stats.maxInFlight > 1 && stats.maxInFlight <= 3, `maxConnections 3: ${stats.maxInFlight} at a time`);
    await narrow.close();
  } finally {
    await close();
  }
});

// A bound shared with the watches would hang here: the timeout turns that into a failure.
test("watches do not take the requests' connections: with one, and watches open, a request still goes", { timeout: 10_000 }, async () => {
  const { kc: config, stats, close } = await countingServer(5);
  const rest = new KubeRest(config, { maxConnections: 1 });
  const stop = new AbortController();
  try {
    const events: string[] = [];
    const watches = [1, 2, 3].map((n) =>
      rest.watch(`/api/v1/namespaces/ns${n}/configmaps`, { signal: stop.signal, onEvent: (type, o) => events.push(`${type} ${o.metadata?.name}`) }),
    );
    for (const deadline = Date.now() + 5_000; events.length < 3; await new Promise((resolve) => setTimeout(resolve, 5))) {
      assert.ok(Date.now() < deadline, `the three watches' first events within 5 s: ${events.length} came`);
    }
    const got = Promise.all([rest.get("/api/v1/namespaces/ns/configmaps/a"), rest.get("/api/v1/namespaces/ns/configmaps/b")]);
    const late = new Promise((_, reject) =>
      setTimeout(() => reject(new Error("the requests did not go within 5 s: the watches hold the connection")), 5_000).unref(),
    );
    await Promise.race([got, late]);
    assert.equal(stats.maxInFlight, 1);
    stop.abort();
    await Promise.all(watches);
  } finally {
    stop.abort();
    await rest.close();
    await close();
  }
});

test("a request waiting for a connection is not sent yet: its beforeSend and its timeout begin once it has one", async () => {
  // The first is answered after 400 ms, the second at once: the second waits ~400 ms, longer than its 300 ms timeout,
  // which must count from when it is sent.
  const { kc: config, stats, close } = await countingServer((url) => (url.endsWith("/a") ? 400 : 0));
  const rest = new KubeRest(config, { maxConnections: 1 });
  try {
    let answeredAtBeforeSend: number | undefined;
    const first = rest.get("/api/v1/namespaces/ns/configmaps/a");
    const second = rest.request("PATCH", "/api/v1/namespaces/ns/configmaps/b", {
      body: {},
      timeoutMs: 300,
      beforeSend: () => (answeredAtBeforeSend = stats.answered),
    });
    await Promise.all([first, second]);
    assert.equal(answeredAtBeforeSend, 1, "the leadership check (beforeSend) ran after the request before it was answered");
  } finally {
    await rest.close();
    await close();
  }
});

test("close() fails the requests still waiting for a connection, unsent; the client works again afterwards", async () => {
  const { kc: config, stats, close } = await countingServer(500);
  const rest = new KubeRest(config, { maxConnections: 1 });
  const writes: number[] = [];
  const reporting = new KubeRest(config, { maxConnections: 1, onWrite: (_verb, code) => writes.push(code) });
  try {
    for (const client of [rest, reporting]) {
      const patches = [1, 2, 3].map((n) =>
        client.request("PATCH", `/api/v1/namespaces/ns/configmaps/c${n}`, { body: {} }).then(
          () => "ok",
          (e: Error) => e.message,
        ),
      );
      // Closed once the first request is at the server (the other two wait for its connection).
      const received = stats.received;
      for (const deadline = Date.now() + 5_000; stats.received === received; await new Promise((resolve) => setTimeout(resolve, 2))) {
        assert.ok(Date.now() < deadline, "the first request reached the server within 5 s");
      }
      await client.close();
      const outcomes = await Promise.all(patches);
      assert.deepEqual(outcomes.slice(1), ["the API client was closed before this request was sent", "the API client was closed before this request was sent"]);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(stats.received, 2, "only the first request of each client reached the server");
    assert.deepEqual(writes.length, 1, "a request never sent is no write");
    await rest.get("/api/v1/namespaces/ns/configmaps/again");
    assert.equal(stats.received, 3);
    // A request with its slot, still reading its credentials when close() runs, is not sent either.
    const early = rest.request("POST", "/api/v1/namespaces/ns/configmaps", { body: {} }).then(
      () => "ok",
      (e: Error) => e.message,
    );
    await rest.close();
    assert.equal(await early, "the API client was closed before this request was sent");
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(stats.received, 3);
  } finally {
    await rest.close();
    await reporting.close();
    await close();
  }
});

test("maxConnections must be a whole number of at least 1", () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => new KubeRest(kc, { maxConnections: bad }), /maxConnections must be a whole number of at least 1/);
  }
});

/** A server that answers each request with the next of `answers` (the last one repeated), and counts the requests. */
async function scriptedServer(answers: { code: number; retryAfter?: string }[]) {
  const received: string[] = [];
  const scripted = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received.push(`${req.method} ${req.url}`);
      const { code, retryAfter } = answers[Math.min(received.length, answers.length) - 1]!;
      const headers: Record<string, string> = { "content-type": "application/json", ...(retryAfter === undefined ? {} : { "retry-after": retryAfter }) };
      const body = code < 300 ? { ok: received.length } : { kind: "Status", code, message: `answer ${received.length}` };
      res.writeHead(code, headers).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => scripted.listen(0, "127.0.0.1", resolve));
  return {
    kc: kubeConfigOf(scripted),
    received,
    close: async () => {
      scripted.closeAllConnections();
      await new Promise((resolve) => scripted.close(resolve));
    },
  };
}

test("an answer that asks to be asked again later (429, or 5xx with Retry-After, as priority and fairness sends) is retried after that wait, every verb, as client-go does", async () => {
  const throttled = await scriptedServer([{ code: 429, retryAfter: "1" }, { code: 503, retryAfter: "0" }, { code: 201 }]);
  const writes: string[] = [];
  const rest = new KubeRest(throttled.kc, { onWrite: (verb, code) => writes.push(`${verb} ${code}`) });
  try {
    const started = performance.now();
    const answer = await rest.send("POST", "/api/v1/namespaces/ns/configmaps", { body: { a: 1 } });
    assert.deepEqual(answer, { code: 201, body: { ok: 3 } });
    assert.ok(performance.now() - started >= 950, "waited the second the first answer asked for");
    assert.deepEqual(writes, ["POST 429", "POST 503", "POST 201"], "each attempt is a write the API server saw");
  } finally {
    await rest.close();
    await throttled.close();
  }
});

test("an error without Retry-After, and a 4xx other than 429, fail at once; a server that keeps saying 'later' is given up after 10 retries", async () => {
  for (const code of [500, 503, 409, 422]) {
    const failing = await scriptedServer([{ code }, { code: 200 }]);
    const rest = new KubeRest(failing.kc);
    try {
      const error = await rest.get("/api/v1/namespaces/ns/configmaps/x").catch((e: unknown) => e);
      assert.ok(error instanceof KubeApiError && error.code === code, `${code}: fails with its status`);
      assert.equal(failing.received.length, 1, `${code}: not retried`);
    } finally {
      await rest.close();
      await failing.close();
    }
  }
  const busy = await scriptedServer([{ code: 429, retryAfter: "0" }]);
  const rest = new KubeRest(busy.kc);
  try {
    const error = await rest.get("/api/v1/namespaces/ns/configmaps/x").catch((e: unknown) => e);
    assert.ok(error instanceof KubeApiError && error.code === 429, "the last answer's error");
    assert.equal(busy.received.length, 11, "the first attempt and 10 retries");
  } finally {
    await rest.close();
    await busy.close();
  }
});

test("close() ends a wait for a retry: the request fails unsent, at once", async () => {
  const throttled = await scriptedServer([{ code: 429, retryAfter: "20" }, { code: 200 }]);
  const rest = new KubeRest(throttled.kc);
  try {
    const pending = rest.get("/api/v1/namespaces/ns/configmaps/x").then(
      () => "ok",
      (e: Error) => e.message,
    );
    for (const deadline = Date.now() + 5_000; throttled.received.length === 0; await new Promise((resolve) => setTimeout(resolve, 2))) {
      assert.ok(Date.now() < deadline, "the first attempt reached the server within 5 s");
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = performance.now();
    await rest.close();
    assert.equal(await pending, "the API client was closed before this request was sent");
    assert.ok(performance.now() - closed < 1_000, "not after the 20 s the server asked for");
    assert.equal(throttled.received.length, 1);
  } finally {
    await rest.close();
    await throttled.close();
  }
});

test("a close() right after a 'later' answer, before its wait began, still fails the request at once", async () => {
  const throttled = await scriptedServer([{ code: 429, retryAfter: "5" }, { code: 201 }]);
  // onWrite runs as the answer is read, before send() decides to wait.
  const rest: KubeRest = new KubeRest(throttled.kc, { onWrite: () => void rest.close() });
  try {
    const started = performance.now();
    const outcome = await rest.request("POST", "/api/v1/namespaces/ns/configmaps", { body: {} }).then(
      () => "ok",
      (e: Error) => e.message,
    );
    assert.equal(outcome, "the API client was closed before this request was sent");
    assert.ok(performance.now() - started < 1_000, "not after the 5 s the server asked for");
    assert.equal(throttled.received.length, 1);
  } finally {
    await rest.close();
    await throttled.close();
  }
});

test("the retries of one request stay within its time-out: a server that keeps saying 'later' is given up once the next wait would pass it", async () => {
  const busy = await scriptedServer([{ code: 429, retryAfter: "1" }]);
  const rest = new KubeRest(busy.kc);
  try {
    const started = performance.now();
    const error = await rest.get("/api/v1/namespaces/ns/configmaps/x", { timeoutMs: 2_500 }).catch((e: unknown) => e);
    const took = performance.now() - started;
    assert.ok(error instanceof KubeApiError && error.code === 429, "the last answer's error");
    assert.equal(busy.received.length, 3, "sent at 0, 1 and 2 s; a wait to 3 s would pass the 2.5 s");
    assert.ok(took < 2_500, `gave up within the time-out (${Math.round(took)} ms)`);
  } finally {
    await rest.close();
    await busy.close();
  }
});
