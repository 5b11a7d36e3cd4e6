/**
 * The <%= kind %> operator as one runnable unit: a runtime Manager with the <%= kind %> controller
 * (the primary kind, the kinds the schema's operator rules watch, the reconciler). `src/main.ts`
 * and the tests build it here, so they run the same wiring.
 */
import { Manager, type ManagerOptions } from "generator-mysqlop/runtime";
import { <%= constantPrefix %>_RESOURCE_TYPE, <%= constantPrefix %>_SENSITIVE_FIELDS, <%= constantPrefix %>_WATCHED_KINDS } from "../generated/<%= singular %>-constants.ts";
import { <%= kind %>Reconciler } from "./<%= singular %>-reconciler.ts";

/** The operator's name: field manager, Event source, lease name prefix and managed-by label value. */
export const OPERATOR_NAME = "<%= name %>";
/** Resources reconciled at once by default. */
export const DEFAULT_WORKERS = 4;

/** Manager options, plus how many resources may reconcile at once. */
export interface OperatorOptions extends Omit<ManagerOptions, "name"> {
  readonly concurrency?: number;
}

/** A Manager running the <%= kind %> controller; call `start()` on it (`npm start`, through `runOperator`, also stops it on SIGTERM). */
export function create<%= kind %>Operator(options: OperatorOptions = {}): Manager {
  const { concurrency, ...managerOptions } = options;
  const manager = new Manager({ sensitiveFields: <%= constantPrefix %>_SENSITIVE_FIELDS, ...managerOptions, name: OPERATOR_NAME });
  manager.addController({
    name: "<%= singular %>",
    resourceType: <%= constantPrefix %>_RESOURCE_TYPE,
    owns: <%= constantPrefix %>_WATCHED_KINDS,
    reconciler: new <%= kind %>Reconciler(),
    concurrency: concurrency ?? DEFAULT_WORKERS,
  });
  return manager;
}
