/** The demo's Event lines: the Warnings every healthy first run shows say that they are expected; others do not. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { eventLine } from "../../../src/cli/demo/event-line.ts";

const pod = { kind: "Pod", name: "mysql-instance-68f8788745-ck7w5" };

test("the scheduler's wait for an unbound claim is marked expected, with why", () => {
  const line = eventLine({
    type: "Warning",
    reason: "FailedScheduling",
    message: "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found",
    involvedObject: pod,
  });
  assert.equal(
    line,
    "Warning FailedScheduling  Pod/mysql-instance-68f8788745-ck7w5: 0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found  (expected: the scheduler places the pod once kube-controller-manager has bound its claim)",
  );
});

test("the process node's loopback endpoints are marked expected", () => {
  const line = eventLine({
    type: "Warning",
    reason: "FailedToUpdateEndpointSlices",
    message: "Error updating Endpoint Slices for Service default/mysql-instance: may not be in the loopback range",
    involvedObject: { kind: "Service", name: "mysql-instance" },
  });
  assert.match(line, /\(expected on the process node: /);
});

test("the endpoints controller's create of a loopback endpoint is marked expected too (a new user met it on a delete)", () => {
  const line = eventLine({
    type: "Warning",
    reason: "FailedToCreateEndpoint",
    message:
      'Failed to create endpoint for service default/mysql-instance: Endpoints "mysql-instance" is invalid: subsets[0].addresses[0].ip: Invalid value: "127.164.89.2": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    involvedObject: { kind: "Endpoints", name: "mysql-instance" },
  });
  assert.match(line, /\(expected on the process node: /);
});

test("any other Warning, a FailedScheduling for another cause, and a Normal Event are shown as they are", () => {
  const insufficient = "0/1 nodes are available: 1 Insufficient cpu.";
  assert.equal(
    eventLine({ type: "Warning", reason: "FailedScheduling", message: insufficient, involvedObject: pod }),
    `Warning FailedScheduling  Pod/mysql-instance-68f8788745-ck7w5: ${insufficient}`,
  );
  assert.equal(
    eventLine({ type: "Warning", reason: "BackOff", message: "Back-off pulling image", involvedObject: pod }),
    "Warning BackOff  Pod/mysql-instance-68f8788745-ck7w5: Back-off pulling image",
  );
  assert.equal(
    eventLine({
      type: "Normal",
      reason: "Created",
      message: "mysql-instance created without restore-job",
      involvedObject: { kind: "MySQL", name: "mysql-instance" },
    }),
    "Normal  Created  MySQL/mysql-instance: mysql-instance created without restore-job",
  );
});
