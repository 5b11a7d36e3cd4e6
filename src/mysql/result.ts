/** What the MySQL handlers return: the runtime's hook results, typed for the MySQL status. */
import type { MySQLStatus } from "../../generated/mysql-models.ts";
import { hookResults, type HookResult } from "../runtime/index.ts";

/** A hook's outcome for a MySQL resource. */
export type Result = HookResult<MySQLStatus>;

/** `done`, `waitFor` and `failed`, typed so that a status fact the schema does not declare is a compile error. */
export const { done, waitFor, failed } = hookResults<MySQLStatus>();

/** How often to look again while a Job runs or a rollout proceeds. */
export const POLL_MS = 5_000;
