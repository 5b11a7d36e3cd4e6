/**
 * An Event as the demo shows it: one line, and for the Warnings every first run shows, a word that they are expected,
 * so that a newcomer does not stop at them (the README says the same at more length).
 */
import type { CoreV1Event } from "@kubernetes/client-node";

/** Warnings a healthy start shows, by reason, with what makes them harmless: the message must contain the key. */
const EXPECTED_WARNINGS: readonly { reason: RegExp; says: string; why: string }[] = [
  {
    reason: /^FailedScheduling$/,
    says: "unbound immediate PersistentVolumeClaims",
    why: "expected: the scheduler places the pod once kube-controller-manager has bound its claim",
  },
  {
    reason: /^FailedTo(Create|Update)Endpoint(Slices)?$/,
    says: "loopback range",
    why: "expected on the process node: pods have loopback addresses, which EndpointSlices refuse; the node resolves Service names itself",
  },
];

/** `TYPE REASON  KIND/NAME: MESSAGE`, with `(expected: …)` after the Warnings a normal start shows. */
export function eventLine(event: Pick<CoreV1Event, "type" | "reason" | "message" | "involvedObject">): string {
  const type = event.type ?? "";
  const reason = event.reason ?? "";
  const message = event.message ?? "";
  const line = `${type.padEnd(7)} ${reason}  ${event.involvedObject?.kind ?? ""}/${event.involvedObject?.name ?? ""}: ${message}`;
  const expected = type === "Warning" ? EXPECTED_WARNINGS.find((w) => w.reason.test(reason) && message.includes(w.says)) : undefined;
  return expected === undefined ? line : `${line}  (${expected.why})`;
}
