/** Constructors of {@link HookResult}: what a hook returns instead of sleeping or writing status. */
import type { HookResult } from "./types.ts";

/** The hook finished its work. */
export function done<S = Record<string, unknown>>(message?: string, status?: Partial<S>): HookResult<S> {
  return { kind: "done", message, status };
}

/** The hook is waiting for something (e.g. a Job): call it again after `afterMs`. */
export function waitFor<S = Record<string, unknown>>(afterMs: number, reason: string, message: string, status?: Partial<S>): HookResult<S> {
  return { kind: "wait", afterMs, reason, message, status };
}

/** The hook failed in a way that needs a person (or a back-off retry); `reason` is CamelCase. */
export function failed<S = Record<string, unknown>>(reason: string, message: string, status?: Partial<S>): HookResult<S> {
  return { kind: "failed", reason, message, status };
}

/** {@link done}, {@link waitFor} and {@link failed} bound to one status type, for hooks written as plain functions. */
export interface HookResults<S> {
  done(message?: string, status?: Partial<S>): HookResult<S>;
  waitFor(afterMs: number, reason: string, message: string, status?: Partial<S>): HookResult<S>;
  failed(reason: string, message: string, status?: Partial<S>): HookResult<S>;
}

/** The result constructors typed for status `S`: a status fact the schema does not declare is a compile error. */
export function hookResults<S>(): HookResults<S> {
  return { done: (message, status) => done(message, status), waitFor: (...args) => waitFor(...args), failed: (...args) => failed(...args) };
}
