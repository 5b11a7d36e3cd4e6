/**
 * How a manager marks what it makes. Every object it applies carries {@link MANAGED_BY_LABEL} with the
 * manager's name, and the informers of the kinds its controllers own select on that label: unrelated
 * objects of those kinds (every other Secret in the cluster) never reach this process's memory. The
 * flip side: a cache miss no longer means that no object of the name exists, only that none of ours does.
 */

/** The label on every object a manager applies; its value is the manager's name. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";

/** The label selector of the informers of owned kinds: what the manager named `managerName` made. */
export function managedBySelector(managerName: string): string {
  return `${MANAGED_BY_LABEL}=${managerName}`;
}

/** The annotation on every applied object that holds the hash of what the manager applied last (see applied-state.ts). */
export function appliedHashAnnotation(managerName: string): string {
  return `${managerName}/applied-hash`;
}
