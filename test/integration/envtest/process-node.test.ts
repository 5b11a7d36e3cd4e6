// The process node on a real control plane: pods scheduled by kube-scheduler, Jobs and Deployments driven by
// kube-controller-manager, and every container really running on this machine. What a container sees (env,
// volumes, user, hostname, Service names), what the API shows (phase, exit codes, restarts, readiness, logs through
// kubectl), how it ends (grace period), and that nothing of a pod outlives it or touches the machine's files.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AppsV1Api, BatchV1Api, CoreV1Api, type V1Container, type V1Pod } from "@kubernetes/client-node";
import { PROCESS_NODE_NAME, startControlPlane, type ControlPlane } from "../../../src/envtest/index.ts";
import { kubectl } from "../../helpers/control-plane.ts";
import { eventually } from "../../helpers/eventually.ts";
import { containerProcesses, isDone, isReady, podWhere, processNodeSkip, stillRunning } from "../../helpers/process-node.ts";

const NS = "default";

describe("the process node", { skip: processNodeSkip(), timeout: 300_000 }, () => {
  let cp: ControlPlane;
  let core: CoreV1Api;

  const pod = async (
    name: string,
    spec: Partial<NonNullable<V1Pod["spec"]>> & { containers: V1Container[] },
    namespace = NS,
    labels: Record<string, string> = {},
  ): Promise<void> => {
    await core.createNamespacedPod({ namespace, body: { metadata: { name, labels }, spec: { terminationGracePeriodSeconds: 5, ...spec } } });
  };
  const logs = async (name: string, ...args: string[]): Promise<string> => {
    const out = await kubectl(cp, ["logs", "-n", NS, name, ...args]);
    assert.equal(out.code, 0, out.stderr);
    return out.stdout;
  };

  before(async () => {
    cp = await startControlPlane({ workloads: "process" });
    core = cp.kubeConfig.makeApiClient(CoreV1Api);
  });
  after(() => cp?.stop());

  test("a Job's command really runs: exit 0 completes the Job, exit 3 fails its pod with that code, output via kubectl logs", async () => {
    const batch = cp.kubeConfig.makeApiClient(BatchV1Api);
    const job = (name: string, script: string) =>
      batch.createNamespacedJob({
        namespace: NS,
        body: {
          metadata: { name },
          spec: {
            backoffLimit: 0,
            template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox", command: ["sh", "-c", script] }] } },
          },
        },
      });
    await job("ok", "echo done by $(hostname)");
    await job("bad", "echo failing >&2; exit 3");
    await eventually(
      "Job ok Complete",
      async () => (await batch.readNamespacedJob({ namespace: NS, name: "ok" })).status?.conditions?.some((c) => c.type === "Complete"),
      60_000,
    );
    await eventually(
      "Job bad Failed",
      async () => (await batch.readNamespacedJob({ namespace: NS, name: "bad" })).status?.conditions?.some((c) => c.type === "Failed"),
      60_000,
    );
    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: "job-name in (ok,bad)" });
    const byJob = new Map(pods.items.map((p) => [p.metadata?.labels?.["job-name"], p]));
    const ok = byJob.get("ok");
    const bad = byJob.get("bad");
    assert.equal(ok?.spec?.nodeName, PROCESS_NODE_NAME);
    assert.equal(ok?.status?.phase, "Succeeded");
    assert.equal(ok?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
    assert.equal(bad?.status?.phase, "Failed");
    assert.equal(bad?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 3);
    assert.equal(bad?.status?.containerStatuses?.[0]?.state?.terminated?.reason, "Error");
    assert.equal((await logs(ok?.metadata?.name ?? "")).trim(), `done by ${ok?.metadata?.name}`);
    assert.equal((await logs(bad?.metadata?.name ?? "")).trim(), "failing");
    assert.equal((await logs(ok?.metadata?.name ?? "", "--follow")).trim(), `done by ${ok?.metadata?.name}`, "following a finished container's log ends");
  });

  test("a container sees its env, volumes at their mount paths with their modes, its user, hostname and pod IP; the machine's / is not written", async () => {
    const marker = `process-node-test-${randomBytes(4).toString("hex")}`;
    await core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: "env-secret" }, stringData: { password: "it's $(NOT) a var", "file.txt": "from a secret" } },
    });
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "env-config" }, data: { color: "blue", "app.conf": "key=value\n" } } });
    await core.createPersistentVolume({
      body: {
        metadata: { name: "check-pv" },
        spec: {
          capacity: { storage: "1Gi" },
          accessModes: ["ReadWriteOnce"],
          storageClassName: "",
          hostPath: { path: "/var/lib/check-data", type: "DirectoryOrCreate" },
          claimRef: { namespace: NS, name: "check-pvc" },
        },
      },
    });
    await core.createNamespacedPersistentVolumeClaim({
      namespace: NS,
      body: {
        metadata: { name: "check-pvc" },
        spec: { accessModes: ["ReadWriteOnce"], storageClassName: "", volumeName: "check-pv", resources: { requests: { storage: "1Gi" } } },
      },
    });
    const script = [
      'echo "user=$(id -u):$(id -g) groups=$(id -G)"',
      'echo "hostname=$(hostname) ip=$POD_IP name=$POD_NAME mix=$MIX pw=$PASSWORD"',
      'echo "config=$(cat /etc/app/app.conf) secret=$(cat /etc/secret/file.txt)"',
      'echo "modes=$(stat -c %a /etc/secret/file.txt) $(stat -c %a /etc/app/app.conf)"',
      'echo "hosts=$(getent hosts "$(hostname)" | cut -d" " -f1)"',
      "echo shared > /shared/note",
      'echo data > /data/kept && echo "data=$(cat /data/kept)"',
      `if echo x > /${marker} 2>/dev/null; then echo root=writable; else echo root=read-only; fi`,
      'echo "cwd=$(pwd)"',
    ].join("\n");
    await pod("check", {
      restartPolicy: "Never",
      securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 2000 },
      volumes: [
        { name: "app", configMap: { name: "env-config", items: [{ key: "app.conf", path: "app.conf" }] } },
        { name: "secret", secret: { secretName: "env-secret", defaultMode: 0o400, items: [{ key: "file.txt", path: "file.txt" }] } },
        { name: "shared", emptyDir: {} },
        { name: "data", persistentVolumeClaim: { claimName: "check-pvc" } },
      ],
      // A hostPath volume keeps its owner (root), as on a kubelet: an init container running as root hands it over.
      initContainers: [
        {
          name: "init",
          image: "busybox",
          command: ["sh", "-c", "echo from-init > /shared/init && chown 1000 /data"],
          securityContext: { runAsUser: 0 },
          volumeMounts: [
            { name: "shared", mountPath: "/shared" },
            { name: "data", mountPath: "/data" },
          ],
        },
      ],
      containers: [
        {
          name: "main",
          image: "busybox",
          command: ["sh", "-c", `${script}\necho "init=$(cat /shared/init)"`],
          workingDir: "/work/here",
          env: [
            { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
            { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            { name: "COLOR", valueFrom: { configMapKeyRef: { name: "env-config", key: "color" } } },
            { name: "MIX", value: "$(COLOR)-$(POD_NAME)" },
            { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "env-secret", key: "password" } } },
          ],
          securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
          volumeMounts: [
            { name: "app", mountPath: "/etc/app" },
            { name: "secret", mountPath: "/etc/secret" },
            { name: "shared", mountPath: "/shared" },
            { name: "data", mountPath: "/data" },
            { name: "shared", mountPath: "/work/here", subPath: "cwd" },
          ],
        },
      ],
    });
    const done = await podWhere(core, NS, "check", "done", isDone);
    const out = await logs("check", "-c", "main");
    assert.equal(done.status?.phase, "Succeeded", out);
    const ip = done.status?.podIP ?? "";
    assert.match(ip, /^127\.\d+\.\d+\.\d+$/);
    assert.notEqual(ip, "127.0.0.1");
    assert.match(out, /^user=1000:1000 groups=1000 2000$/m);
    assert.match(out, new RegExp(`^hostname=check ip=${ip.replaceAll(".", "\\.")} name=check mix=blue-check pw=it's \\$\\(NOT\\) a var$`, "m"));
    assert.match(out, /^config=key=value secret=from a secret$/m);
    assert.match(out, /^modes=440 644$/m, "defaultMode 0400 plus fsGroup read, as the kubelet sets it");
    assert.match(out, new RegExp(`^hosts=${ip.replaceAll(".", "\\.")}$`, "m"));
    assert.match(out, /^data=data$/m);
    assert.match(out, /^root=read-only$/m);
    assert.match(out, /^cwd=\/work\/here$/m);
    assert.match(out, /^init=from-init$/m);
    assert.ok(!existsSync(`/${marker}`), "nothing written to the machine's /");
    assert.ok(!existsSync("/var/lib/check-data"), "the hostPath lives under the node's directory, not the machine's /var/lib");
  });

  test("an image's own accounts and directories: a restricted pod of the mysql image is the image's mysql user (999); other images see the machine's", async () => {
    const restricted = {
      runAsNonRoot: true,
      runAsUser: 999,
      runAsGroup: 999,
      fsGroup: 999,
      seccompProfile: { type: "RuntimeDefault" },
    };
    const script = [
      'echo "user=$(id -un):$(id -gn) $(id -u):$(id -g)"',
      'echo "passwd=$(getent passwd 999)"',
      "echo \"run=$(stat -c '%a %u:%g' /run/mysqld 2>&1)\"",
      'touch /run/mysqld/probe && echo "socket-dir=writable"',
    ].join("\n");
    const container = (image: string): V1Container => ({
      name: "main",
      image,
      command: ["sh", "-c", script],
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
    });
    await pod("image-mysql", {
      restartPolicy: "Never",
      securityContext: restricted,
      automountServiceAccountToken: false,
      containers: [container("mysql:8.4")],
    });
    await pod("image-busybox", { restartPolicy: "Never", securityContext: restricted, containers: [container("busybox")] });
    const mysql = await podWhere(core, NS, "image-mysql", "done", isDone);
    const mysqlOut = await logs("image-mysql");
    assert.equal(mysql.status?.phase, "Succeeded", mysqlOut);
    assert.match(mysqlOut, /^user=mysql:mysql 999:999$/m);
    assert.match(mysqlOut, /^passwd=mysql:x:999:999::\/var\/lib\/mysql:/m);
    assert.match(mysqlOut, /^run=1777 999:999$/m);
    assert.match(mysqlOut, /^socket-dir=writable$/m);
    const busybox = await podWhere(core, NS, "image-busybox", "done", isDone);
    const busyboxOut = await logs("image-busybox");
    assert.equal(busybox.status?.phase, "Failed", "no /run/mysqld outside the mysql image");
    assert.doesNotMatch(busyboxOut, /^passwd=mysql:x:999/m);
    assert.match(busyboxOut, /^run=.*No such file/m);
  });

  test("Service names resolve to ready pods' IPs (full names across namespaces, short names within); a readiness probe decides", async () => {
    await core.createNamespace({ body: { metadata: { name: "other" } } });
    const server = (namespace: string): Promise<void> =>
      pod(
        "web",
        {
          containers: [
            {
              name: "web",
              image: "busybox",
              // Ready only once the file exists: a probe that ran before the shell made a "not yet" file would pass.
              command: ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 3600"],
              readinessProbe: { exec: { command: ["sh", "-c", "test -e /tmp/ready"] }, periodSeconds: 1 },
            },
          ],
        },
        namespace,
        { app: "web" },
      );
    await Promise.all([server(NS), server("other")]);
    for (const namespace of [NS, "other"]) {
      await core.createNamespacedService({ namespace, body: { metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ port: 8080 }] } } });
    }
    const [mine, theirs] = await Promise.all([podWhere(core, NS, "web", "Ready", isReady), podWhere(core, "other", "web", "Ready", isReady)]);
    assert.ok(
      Date.parse(String(mine.status?.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime)) > Date.parse(String(mine.status?.startTime)),
      "not ready before the probe passed",
    );
    await pod("resolver", {
      restartPolicy: "Never",
      containers: [
        {
          name: "main",
          image: "busybox",
          command: [
            "sh",
            "-c",
            "for n in web web.default.svc.cluster.local web.other web.other.svc.cluster.local; do echo \"$n=$(getent hosts $n | cut -d' ' -f1)\"; done",
          ],
        },
      ],
    });
    await podWhere(core, NS, "resolver", "done", isDone);
    const out = await logs("resolver");
    assert.match(out, new RegExp(`^web=${mine.status?.podIP}$`, "m"));
    assert.match(out, new RegExp(`^web.default.svc.cluster.local=${mine.status?.podIP}$`, "m"));
    assert.match(out, new RegExp(`^web.other=${theirs.status?.podIP}$`, "m"));
    assert.match(out, new RegExp(`^web.other.svc.cluster.local=${theirs.status?.podIP}$`, "m"));
  });

  test("an image without a command that the image table does not know: CreateContainerError saying why, and an Event", async () => {
    await pod("imageonly", { containers: [{ name: "web", image: "nginx:1.27" }] });
    const waiting = await podWhere(
      core,
      NS,
      "imageonly",
      "waiting with a reason",
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === "CreateContainerError",
    );
    assert.match(
      waiting.status?.containerStatuses?.[0]?.state?.waiting?.message ?? "",
      /image "nginx:1\.27" has no local program on the process node .*LOCAL_IMAGES/,
    );
    assert.equal(waiting.status?.phase, "Pending");
    // The node sends the Event beside the status update, not before it.
    await eventually("the Failed Event", async () =>
      (await core.listNamespacedEvent({ namespace: NS, fieldSelector: "involvedObject.name=imageonly,reason=Failed" })).items.some((e) =>
        /no local program/.test(e.message ?? ""),
      ),
    );
    await core.deleteNamespacedPod({ namespace: NS, name: "imageonly" });
  });

  test("restartPolicy Always: a crashing container is restarted with back-off, restartCount counts, kubectl logs --previous shows the last run", async () => {
    const apps = cp.kubeConfig.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: "crasher" },
        spec: {
          selector: { matchLabels: { app: "crasher" } },
          template: {
            metadata: { labels: { app: "crasher" } },
            spec: { containers: [{ name: "main", image: "busybox", command: ["sh", "-c", "echo run at $(date +%s%N); exit 1"] }] },
          },
        },
      },
    });
    const crashing = await eventually(
      "two restarts and back-off",
      async () => {
        const [p] = (await core.listNamespacedPod({ namespace: NS, labelSelector: "app=crasher" })).items;
        const status = p?.status?.containerStatuses?.[0];
        return (status?.restartCount ?? 0) >= 2 && status?.state?.waiting?.reason === "CrashLoopBackOff" && p;
      },
      90_000,
    );
    const status = crashing.status?.containerStatuses?.[0];
    assert.equal(status?.lastState?.terminated?.exitCode, 1);
    assert.equal(crashing.status?.phase, "Running");
    const previous = await logs(crashing.metadata?.name ?? "", "--previous");
    assert.match(previous, /^run at \d+$/m);
    // Sent beside the CrashLoopBackOff status, not before it.
    await eventually("a BackOff event from the node", async () =>
      (await core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${crashing.metadata?.name}` })).items.some(
        (e) => e.reason === "BackOff" && e.source?.host === PROCESS_NODE_NAME,
      ),
    );
    await apps.deleteNamespacedDeployment({ namespace: NS, name: "crasher" });
  });

  test("deletion: SIGTERM and the grace period (a handler runs), then SIGKILL for one that ignores it; nothing of the pod keeps running", async () => {
    await pod("graceful", {
      volumes: [{ name: "out", hostPath: { path: "/var/lib/grace", type: "DirectoryOrCreate" } }],
      containers: [
        {
          name: "main",
          image: "busybox",
          command: ["sh", "-c", "trap 'echo got TERM > /out/term; exit 0' TERM; while :; do sleep 0.1; done"],
          volumeMounts: [{ name: "out", mountPath: "/out" }],
        },
      ],
    });
    await pod("stubborn", {
      terminationGracePeriodSeconds: 2,
      containers: [{ name: "main", image: "busybox", command: ["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"] }],
    });
    const [graceful, stubborn] = await Promise.all([
      podWhere(core, NS, "graceful", "Running", (p) => p.status?.phase === "Running"),
      podWhere(core, NS, "stubborn", "Running", (p) => p.status?.phase === "Running"),
    ]);
    const processes = [graceful, stubborn].map((p) => containerProcesses(p));
    assert.ok(
      processes.every((list) => list.length >= 2),
      "each pod has its own PID namespace with its processes",
    );
    const started = Date.now();
    const [g, s] = await Promise.all([
      kubectl(cp, ["delete", "pod", "-n", NS, "graceful", "--wait=true", "--timeout=60s"]),
      kubectl(cp, ["delete", "pod", "-n", NS, "stubborn", "--wait=true", "--timeout=60s"]),
    ]);
    assert.equal(g.code, 0, g.stderr);
    assert.equal(s.code, 0, s.stderr);
    assert.ok(Date.now() - started >= 2_000, "the stubborn pod had its grace period before SIGKILL");
    for (const list of processes) assert.deepEqual(stillRunning(list), [], "no process of the pod left");
    assert.equal(readFileSync(join(cp.nodeHostPath("/var/lib/grace") ?? "", "term"), "utf8"), "got TERM\n", "the TERM handler ran");
    // Sent as the stop begins, on its own: the pod may be gone before it is stored.
    await eventually("the Killing Event", async () =>
      (await core.listNamespacedEvent({ namespace: NS, fieldSelector: "involvedObject.name=graceful" })).items.some((e) => e.reason === "Killing"),
    );
  });
});
