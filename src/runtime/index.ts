/**
 * The public API of the controller runtime: what generated reconcilers, hand-written handlers,
 * the operator's `run` command and scaffolded projects import; code outside the runtime imports
 * nothing else of it (eslint.config.js), except `schema-validation.ts`, the second entry point,
 * which generated validators import so that an offline `validate` command loads no API client.
 * Generic: knows no particular resource.
 */
export { ResourceReconciler, ReconcileFailedError, FIELD_IMMUTABLE_REASON, INVALID_SPEC_REASON, type ChangeHooks } from "./resource-reconciler.ts";
export { done, waitFor, failed, hookResults, type HookResults } from "./hook-result.ts";
export {
  appliedValue,
  canonicalJson,
  decodeFingerprint,
  fingerprintSpec,
  sensitiveFingerprint,
  type AppliedValue,
  type ChangePolicy,
  type FieldChange,
  type SensitiveFieldChange,
  type SpecFieldInfo,
} from "./spec-fields.ts";
export type {
  AnyResource,
  CacheReader,
  Condition,
  CustomResource,
  DeleteOptions,
  EventRecorder,
  HookResult,
  ListOptions,
  Logger,
  ObjectReference,
  ApplyOptions,
  ApplyAllOptions,
  ReadOptions,
  ReconcileContext,
  ReconcileRequest,
  ReconcileResult,
  Reconciler,
  ResourceType,
  SpecOf,
  StandardStatus,
  StatusOf,
} from "./types.ts";
export { Manager, KubeConfigError, LeadershipLostError, type ManagerOptions, type LeaderElectionOptions } from "./manager.ts";
export { Controller, kindInfoOf, labelOwnerKey, objectKey, ownerKeys, parseKey, type ControllerOptions, type OwnerLabels } from "./controller.ts";
export { findCondition, isConditionTrue, mergeConditions, setCondition, formatConditionTime, type ConditionUpdate } from "./conditions.ts";
export { computeStatusPatch, changedFields, ConditionType, LoopReason, type Readiness } from "./reconcile-status.ts";
export { MANAGED_BY_LABEL, managedBySelector, appliedHashAnnotation } from "./managed-objects.ts";
export { compareQuantities } from "./quantity.ts";
export {
  ObjectWriter,
  ApplyRefusedError,
  AlreadyOwnedError,
  NotManagedError,
  notManagedSentence,
  NotLeaderError,
  controllerReference,
  createReconcileContext,
} from "./reconcile-context.ts";
export {
  KubeRest,
  KubeApiError,
  isConflict,
  isInvalid,
  isNotFound,
  resourcePath,
  splitApiVersion,
  PatchType,
  WatchTimeoutError,
  DEFAULT_MAX_CONNECTIONS,
  type KindInfo,
  type WatchOptions,
} from "./kube-rest.ts";
export { Informer, type InformerEvent, type InformerEventType, type InformerOptions } from "./informer.ts";
export { InformerCache } from "./cache-reader.ts";
export { WorkQueue, type WorkQueueOptions, type WorkQueueObserver } from "./work-queue.ts";
export { TokenBucket, type RateLimit } from "./rate-limiter.ts";
export { backoffDelay, defaultBackoff, type BackoffOptions } from "./backoff.ts";
export {
  LeaderElector,
  decideLeaseAction,
  mustStepDown,
  defaultLeaderElectionTimings,
  type LeaseAction,
  type LeaseSpec,
  type LeaderElectionTimings,
} from "./leader-election.ts";
export { KubeEventRecorder } from "./event-recorder.ts";
export { createJsonLogger, parseLogLevel, parseLogFormat, describeError, type JsonLogger, type LogFormat, type LogLevel } from "./logger.ts";
export { createRuntimeMetrics, type RuntimeMetrics } from "./metrics.ts";
export { startHealthServer, type HealthServer, type Probe } from "./health-server.ts";
