/**
 * The root password protocol. `NAME-credentials` always holds the password the server has; a
 * change runs as a Job that connects with that one and sets the one the spec asks for (inline or
 * from `passwordSecretRef`), both read from a temporary Secret, never from argv or the Job spec.
 * The Job is tied to its target by a digest keyed with a nonce kept in that Secret, so a newer
 * change replaces an older Job, and a Job that succeeded is recorded before anything replaces it.
 */
import { randomBytes } from "node:crypto";
import type { V1Job, V1Secret } from "@kubernetes/client-node";
import type { ReconcileContext } from "../runtime/index.ts";
import {
  buildCredentialsSecret,
  buildPasswordChangeJob,
  buildPasswordChangeSecret,
  PASSWORD_CHANGE_KEYS,
  PASSWORD_KEY,
  passwordChangeDigest,
  secretValue,
} from "./desired/index.ts";
import type { MySQLInstance } from "./instance.ts";
import { EARLIER_RESOURCE, removeEndedJob } from "./job-removal.ts";
import { PASSWORD_TARGET_ANNOTATION } from "./names.ts";
import { controlledBy, jobState, orphaned } from "./observe.ts";
import { describeNotStarting, jobNotStarting } from "./pod-diagnosis.ts";
import { done, failed, POLL_MS, waitFor, type Result } from "./result.ts";

/** The longest root password, in UTF-8 bytes: the schema's limit of spec.password (MySQL 8's). */
const MAX_PASSWORD_BYTES = 256;

/** A password, or the result the hook must return because it cannot be had yet. */
type PasswordOrResult = { readonly password: string } | { readonly result: Result };

function secret(instance: MySQLInstance, ctx: ReconcileContext, name: string): V1Secret | undefined {
  return ctx.cache.get<V1Secret>("v1", "Secret", instance.namespace, name);
}

/**
 * The root password the spec asks for (inline, or from the referenced Secret). That Secret is the user's, so no cache
 * holds it: it is read from the API server, and watched while it is read, so that its creation ends a wait for it.
 */
async function targetPassword(instance: MySQLInstance, ctx: ReconcileContext): Promise<PasswordOrResult> {
  const spec = instance.resource.spec;
  let password = spec.password;
  if (password === undefined && spec.passwordSecretRef !== undefined) {
    const ref = spec.passwordSecretRef;
    const referenced = await ctx.read<V1Secret>(
      { apiVersion: "v1", kind: "Secret", metadata: { name: ref.name, namespace: instance.namespace } },
      { watch: true },
    );
    password = secretValue(referenced, ref.key);
    if (password === undefined) {
      return {
        result: waitFor(POLL_MS * 2, "PasswordSecretMissing", `waiting for Secret ${ref.name} with key ${JSON.stringify(ref.key)} (spec.passwordSecretRef)`),
      };
    }
  }
  if (password === undefined || password === "") return { result: failed("PasswordMissing", "set spec.password or spec.passwordSecretRef") };
  if (password.includes("\0")) return { result: failed("PasswordInvalid", "the root password cannot contain a NUL character") };
  // The schema holds spec.password to this; a Secret's value is checked here. A longer one would also make the
  // option-file lines of the password-change Secret longer than the reader takes whole (see clientOptionFile).
  const bytes = Buffer.byteLength(password, "utf8");
  if (bytes > MAX_PASSWORD_BYTES)
    return {
      result: failed(
        "PasswordInvalid",
        `the root password ${spec.passwordSecretRef === undefined ? "" : `in Secret ${spec.passwordSecretRef.name}, key ${JSON.stringify(spec.passwordSecretRef.key)}, `}is ${bytes} bytes: at most ${MAX_PASSWORD_BYTES} bytes in UTF-8 (MySQL 8's caching_sha2_password refuses longer passwords)`,
      ),
    };
  return { password };
}

/**
 * What makes sure `NAME-credentials` exists: the Secret to apply (owned by the resource), none when it holds the
 * server's password already, or the result when the hook must stop here.
 */
export async function planCredentials(
  instance: MySQLInstance,
  ctx: ReconcileContext,
): Promise<{ readonly secret: V1Secret | undefined } | { readonly result: Result }> {
  const existing = secret(instance, ctx, instance.names.credentials);
  const existingPassword = secretValue(existing, PASSWORD_KEY);
  // Created once, then changed only by a password change that succeeded: it must hold what the server has.
  // One of an earlier resource of this name (another uid) says nothing about this server.
  if (existing !== undefined && controlledBy(existing, instance) && existingPassword !== undefined) return { secret: undefined };
  // One this operator made that no resource controls any more: an earlier resource of this name deleted with
  // --cascade=orphan left it beside its claim and server, which this resource adopts with their data. That server has
  // this password, so the Secret is adopted as it is; the spec's password follows by a password change (step 8 of
  // creation), never by writing it here behind the server's back.
  if (existing !== undefined && existingPassword !== undefined && orphaned(existing)) {
    return { secret: buildCredentialsSecret(instance, existingPassword) };
  }
  const target = await targetPassword(instance, ctx);
  if ("result" in target) return target;
  return { secret: buildCredentialsSecret(instance, target.password) };
}

/**
 * The server's root password now: NAME-credentials, after recording the password a
 * password-change Job of this resource set, if one succeeded (the server has that one,
 * whatever the spec says meanwhile). `changed` tells that such a Job set it.
 */
async function serverPassword(
  instance: MySQLInstance,
  ctx: ReconcileContext,
): Promise<{ readonly password: string; readonly changed: boolean } | { readonly result: Result }> {
  const { names } = instance;
  const recorded = secretValue(secret(instance, ctx, names.credentials), PASSWORD_KEY);
  const outcome = jobState(instance, ctx, names.passwordJob);
  if (outcome.state === "succeeded") {
    const changeSecret = secret(instance, ctx, names.passwordChange);
    // Deleted only once its password was recorded: then NAME-credentials hold it already.
    if (changeSecret !== undefined) {
      const set = secretValue(changeSecret, PASSWORD_CHANGE_KEYS.target);
      const nonce = secretValue(changeSecret, PASSWORD_CHANGE_KEYS.nonce);
      if (set === undefined || nonce === undefined || outcome.job.metadata?.annotations?.[PASSWORD_TARGET_ANNOTATION] !== passwordChangeDigest(nonce, set)) {
        return {
          result: failed(
            "PasswordChangeUnverifiable",
            `${names.passwordJob} succeeded, but Secret ${names.passwordChange} no longer says which password it set; make Secret ${names.credentials} hold the server's root password, then delete the Job`,
          ),
        };
      }
      if (set !== recorded) await ctx.apply(buildCredentialsSecret(instance, set), { owner: instance.resource });
      return { password: set, changed: true };
    }
  }
  if (recorded === undefined)
    return {
      result: failed("CredentialsMissing", `Secret ${names.credentials} with the server's current root password is missing; restore it to change the password`),
    };
  return { password: recorded, changed: false };
}

/**
 * Before a backup: a password change under way finishes first and one that succeeded is
 * recorded, so the backup Job connects with the password the server has.
 */
export async function settlePasswordChange(instance: MySQLInstance, ctx: ReconcileContext): Promise<Result | undefined> {
  const { names } = instance;
  const outcome = jobState(instance, ctx, names.passwordJob);
  if (outcome.state === "running") {
    const stuck = await passwordJobNotStarting(instance, ctx, outcome.job);
    if (stuck !== undefined) return stuck;
    return waitFor(POLL_MS, "PasswordChanging", `${names.passwordJob} is still setting the root password; the backup starts once it finished`);
  }
  if (outcome.state !== "succeeded") return undefined;
  const server = await serverPassword(instance, ctx);
  return "result" in server ? server.result : undefined;
}

/** `PasswordChangeNotStarting` when the password-change Job's pod does not start (see pod-diagnosis.ts). */
async function passwordJobNotStarting(instance: MySQLInstance, ctx: ReconcileContext, job: V1Job): Promise<Result | undefined> {
  const stuck = await jobNotStarting(instance, ctx, job);
  if (stuck === undefined) return undefined;
  return failed(
    "PasswordChangeNotStarting",
    `${instance.names.passwordJob}: ${describeNotStarting(stuck)}; the server keeps its old password, which Secret ${instance.names.credentials} holds`,
  );
}

/**
 * The passwords a change Secret still here names besides `recorded`: its target and its own earlier ones. A change
 * whose Job failed, was cut short or vanished (deleted by hand, or as stale for a newer change) may have set its
 * password on the server before it ended, so a later Job tries them too (see buildPasswordChangeSecret); the Secret
 * is deleted only once the server's password is known, so none is dropped before.
 */
function unfinishedPasswords(changeSecret: V1Secret | undefined, recorded: string): string[] {
  if (changeSecret === undefined) return [];
  const target = secretValue(changeSecret, PASSWORD_CHANGE_KEYS.target);
  let earlier: unknown;
  try {
    earlier = JSON.parse(secretValue(changeSecret, PASSWORD_CHANGE_KEYS.earlier) ?? "[]");
  } catch {
    earlier = [];
  }
  const passwords = [target, ...(Array.isArray(earlier) ? earlier : [])].filter((p): p is string => typeof p === "string" && p !== "" && p !== recorded);
  return [...new Set(passwords)];
}

/** Makes the server's root password the one the spec asks for (see the module comment); done once it has it. */
export async function changePassword(instance: MySQLInstance, ctx: ReconcileContext): Promise<Result> {
  const { names } = instance;
  const target = await targetPassword(instance, ctx);
  if ("result" in target) return target.result;
  const server = await serverPassword(instance, ctx);
  if ("result" in server) return server.result;
  const changeSecret = secret(instance, ctx, names.passwordChange);
  const changeSecretRef = { apiVersion: "v1", kind: "Secret", metadata: { name: names.passwordChange, namespace: instance.namespace } };
  const outcome = jobState(instance, ctx, names.passwordJob);
  if (server.password === target.password) {
    // A Job still running (of a change reverted meanwhile) may set its password on the server yet: its Secret must
    // outlive it, so that what it set is recorded once it succeeded, and then changed back by a new Job.
    if (outcome.state === "running")
      return (
        (await passwordJobNotStarting(instance, ctx, outcome.job)) ??
        waitFor(POLL_MS, "PasswordChanging", `waiting for ${names.passwordJob}, of an earlier password change, to end (it may still set its password)`)
      );
    // A change that did not finish (its Job failed, or vanished) may have set its password on the server: then a Job
    // sets this one again, trying those, and the Secret that holds them goes only once one succeeded.
    const unfinished = outcome.state === "succeeded" ? [] : unfinishedPasswords(changeSecret, server.password);
    if (unfinished.length === 0) {
      if (changeSecret !== undefined) await ctx.delete(changeSecretRef);
      return done(server.changed ? "root password changed" : "root password unchanged");
    }
  }
  const nonce = secretValue(changeSecret, PASSWORD_CHANGE_KEYS.nonce);
  if (outcome.state !== "absent") {
    // Its Secret not in the cache yet (it is written first): not enough to call the Job stale.
    if (outcome.state === "running" && changeSecret === undefined)
      return waitFor(POLL_MS, "PasswordChanging", `${names.passwordJob} sets the new root password`);
    const forTarget = nonce !== undefined && outcome.job.metadata?.annotations?.[PASSWORD_TARGET_ANNOTATION] === passwordChangeDigest(nonce, target.password);
    // One that still runs may have set its password on the server already: it is waited for, never cut short.
    if (outcome.state === "foreign") return removeEndedJob(instance, ctx, outcome.job, names.passwordJob, "PasswordChanging", EARLIER_RESOURCE);
    if (outcome.state === "succeeded" || !forTarget)
      return removeEndedJob(instance, ctx, outcome.job, names.passwordJob, "PasswordChanging", "of an earlier password change");
  }
  switch (outcome.state) {
    case "absent": {
      const key = nonce ?? randomBytes(32).toString("hex");
      await ctx.apply(buildPasswordChangeSecret(instance, server.password, target.password, key, unfinishedPasswords(changeSecret, server.password)), {
        owner: instance.resource,
      });
      await ctx.apply(buildPasswordChangeJob(instance, passwordChangeDigest(key, target.password)), { owner: instance.resource });
      return waitFor(POLL_MS, "PasswordChanging", `${names.passwordJob} sets the new root password`);
    }
    case "failed":
      return failed(
        "PasswordChangeFailed",
        `${names.passwordJob} failed (${outcome.reason}: ${outcome.message}); the server has its old password, which Secret ${names.credentials} holds, or the new one if the Job set it before it failed (the next attempt tries both). Fix the cause, then delete the Job to retry.`,
      );
    default:
      return (
        (await passwordJobNotStarting(instance, ctx, outcome.job)) ?? waitFor(POLL_MS, "PasswordChanging", `${names.passwordJob} sets the new root password`)
      );
  }
}
