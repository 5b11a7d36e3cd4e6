// What the process node hands to sandbox.sh and setpriv: every value quoted, identities as asked.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { renderPlan, setprivArgs, shellQuote } from "../../../src/envtest/process-node/container-process.ts";
import { imageRepository, localImageFor } from "../../../src/envtest/process-node/local-images.ts";
import { processIdentity } from "../../../src/envtest/process-node/security.ts";
import { tailLines } from "../../../src/envtest/process-node/kubelet-server.ts";

describe("shellQuote and renderPlan", () => {
  test("hostile paths survive sh unchanged", () => {
    for (const hostile of ["/var/lib/my sql", "/x/'; rm -rf / #", "/a/$(id)/`id`", "/new\nline", "/back\\slash"]) {
      const out = spawnSync("sh", ["-c", `printf '%s' ${shellQuote(hostile)}`], { encoding: "utf8" });
      assert.equal(out.stdout, hostile);
    }
  });

  test("the plan lists the calls in order", () => {
    const plan = renderPlan({
      containerDir: "/n/c",
      readOnlyRoot: true,
      mounts: [{ source: "/n/v", target: "/data", readOnly: true }],
      workingDir: "/w",
      hostname: "pod-1",
    });
    assert.equal(plan, "container_dir '/n/c'\nread_only_root\nroot_fs\nmount_volume '/n/v' '/data' ro\nworking_dir '/w'\nhost_name 'pod-1'\n");
  });

  test("an image's accounts and directories come right after the root, before the volumes (mode in octal)", () => {
    const plan = renderPlan({
      containerDir: "/n/c",
      readOnlyRoot: false,
      mounts: [{ source: "/n/v", target: "/var/lib/mysql", readOnly: false }],
      workingDir: "/",
      hostname: "db-0",
      users: [{ name: "mysql", uid: 999, gid: 999, home: "/var/lib/mysql" }],
      directories: [{ path: "/run/mysqld", mode: 0o1777, uid: 999, gid: 999 }],
    });
    assert.equal(
      plan,
      "container_dir '/n/c'\nroot_fs\nimage_user 'mysql' 999 999 '/var/lib/mysql'\nimage_dir '/run/mysqld' 1777 999 999\n" +
        "mount_volume '/n/v' '/var/lib/mysql' rw\nworking_dir '/'\nhost_name 'db-0'\n",
    );
  });
});

describe("processIdentity", () => {
  const pod = (podContext: NonNullable<V1Pod["spec"]>["securityContext"] = {}): V1Pod => ({ spec: { containers: [], securityContext: podContext } });
  const c = (securityContext: V1Container["securityContext"] = {}): V1Container => ({ name: "c", securityContext });

  test("root with the runtime's default capabilities when nothing is asked", () => {
    const id = processIdentity(pod(), c());
    assert.equal(id.uid, 0);
    assert.ok(Array.isArray(id.capabilities) && id.capabilities.includes("chown") && !id.capabilities.includes("sys_admin"));
    assert.equal(id.noNewPrivileges, false);
  });

  test("the container's fields win over the pod's; fsGroup joins the groups", () => {
    const id = processIdentity(
      pod({ runAsUser: 1000, runAsGroup: 1000, fsGroup: 2000, supplementalGroups: [3000] }),
      c({ runAsUser: 1001, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } }),
    );
    assert.deepEqual(
      { uid: id.uid, gid: id.gid, groups: id.groups, nnp: id.noNewPrivileges, caps: id.capabilities },
      { uid: 1001, gid: 1000, groups: [3000, 2000], nnp: true, caps: [] },
    );
    assert.deepEqual(setprivArgs(id), ["--reuid=1001", "--regid=1000", "--groups=3000,2000", "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "--"]);
  });

  test("runAsNonRoot without a user is refused, as for an image whose user is root", () => {
    assert.throws(() => processIdentity(pod({ runAsNonRoot: true }), c()), /runAsNonRoot and image will run as root/);
    assert.equal(processIdentity(pod({ runAsNonRoot: true, runAsUser: 999 }), c()).uid, 999);
  });

  test("privileged keeps every capability", () => {
    assert.equal(processIdentity(pod(), c({ privileged: true })).capabilities, "all");
  });
});

describe("local images", () => {
  const cases: [string, string][] = [
    ["mysql", "mysql"],
    ["mysql:5.7", "mysql"],
    ["docker.io/library/mysql:8.0", "mysql"],
    ["docker.io/mariadb@sha256:abc", "mariadb"],
    ["localhost:5000/team/app:1", "team/app"],
    ["mysql/mysql-server:8.0", "mysql/mysql-server"],
  ];
  for (const [image, repo] of cases) test(`${image} is ${repo}`, () => assert.equal(imageRepository(image), repo));
  test("MySQL and MariaDB images map to the local server; others to nothing", () => {
    assert.ok(localImageFor("mysql:5.7")?.entrypoint.includes("mysql-server.sh"));
    assert.deepEqual(localImageFor("mariadb:11.4")?.users, [{ name: "mysql", uid: 999, gid: 999, home: "/var/lib/mysql" }], "the official images' mysql user");
    assert.ok(localImageFor("mariadb:11")?.entrypoint.includes("mysql-server.sh"));
    assert.equal(localImageFor("mysqlx:1"), undefined);
    assert.equal(localImageFor("busybox"), undefined);
  });
});

describe("tailLines", () => {
  test("the last N lines, a final newline kept", () => {
    assert.equal(tailLines("a\nb\nc\n", 2), "b\nc\n");
    assert.equal(tailLines("a\nb\nc", 5), "a\nb\nc");
    assert.equal(tailLines("a\n", 0), "");
  });
});
