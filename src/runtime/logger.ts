/**
 * Structured logs, one record per line, with the fields bound by the caller (controller, key):
 * JSON for log collectors, or `TIME LEVEL message key=value …` for a person at a terminal.
 */
import type { Logger } from "./types.ts";

/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const levelRank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Parses a level name (e.g. from `--log-level`); throws on anything else. */
export function parseLogLevel(value: string): LogLevel {
  if (value === "debug" || value === "info" || value === "warn" || value === "error") return value;
  throw new Error(`unknown log level '${value}' (debug, info, warn, error)`);
}

/** How lines look: one JSON object, or text for a person. */
export type LogFormat = "json" | "text";

/** Parses a format name (e.g. from `--log-format`); throws on anything else. */
export function parseLogFormat(value: string): LogFormat {
  if (value === "json" || value === "text") return value;
  throw new Error(`unknown log format '${value}' (json, text)`);
}

/** A {@link Logger} that can bind more fields, e.g. `log.child({ controller, key })`. */
export interface JsonLogger extends Logger {
  child(fields: Record<string, unknown>): JsonLogger;
}

/** Options of {@link createJsonLogger}. */
export interface JsonLoggerOptions {
  readonly level?: LogLevel;
  /** `json` (default) or `text`. */
  readonly format?: LogFormat;
  /** Where lines go; stderr by default, so stdout stays free for a command's output. */
  readonly write?: (line: string) => void;
  readonly fields?: Record<string, unknown>;
  readonly now?: () => Date;
  /**
   * Keys whose string values are secrets wherever they appear in a logged object: the fields the
   * resource's schema marks sensitive (e.g. a custom resource's `spec.password`).
   */
  readonly sensitiveKeys?: readonly string[];
}

/**
 * A line logger: `{"ts","level","msg",...bound fields,...call fields}` as JSON, or the same record
 * as text (see {@link formatText}). Errors become their message (never a request or response
 * body); Secret data and the values of sensitive keys are redacted in either format.
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): JsonLogger {
  const level = options.level ?? "info";
  const format = options.format ?? "json";
  const write = options.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const now = options.now ?? (() => new Date());
  const bound = options.fields ?? {};
  const sensitiveKeys = options.sensitiveKeys ?? [];
  const redact = redactor(new Set(sensitiveKeys));
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (levelRank[lvl] < levelRank[level]) return;
    const record: Record<string, unknown> = { ts: now().toISOString(), level: lvl, msg, ...bound };
    for (const [key, value] of Object.entries(fields ?? {})) record[key] = value instanceof Error ? describeError(value) : value;
    write(format === "text" ? formatText(record, redact) : safeStringify(record, redact));
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createJsonLogger({ level, format, write, now, sensitiveKeys, fields: { ...bound, ...fields } }),
  };
}

/** A short, loggable form of an error (API errors keep their HTTP status). */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    // Only HTTP statuses: a DOMException (e.g. a fetch timeout) has a legacy numeric code too.
    const http = typeof code === "number" && code >= 100 && code <= 599;
    let text = http ? `${apiErrorMessage(error)} (HTTP ${code})` : error.message;
    // undici's "fetch failed" hides the useful part (ECONNREFUSED, ECONNRESET, …) in `cause`.
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    if (cause !== undefined && cause !== null)
      text += `: ${typeof cause.code === "string" ? `${cause.code} ` : ""}${typeof cause.message === "string" ? cause.message : String(cause)}`.trimEnd();
    return text;
  }
  return String(error);
}

/**
 * client-node's ApiException puts the whole answer into its message ("HTTP-Code: …\nBody: {json}\n
 * Headers: {json}"): logs, status messages and Events get the API server's own message instead.
 */
function apiErrorMessage(error: Error): string {
  if (!error.message.startsWith("HTTP-Code:")) return error.message;
  const message = (error as { body?: { message?: unknown } }).body?.message;
  return typeof message === "string" && message !== "" ? message : "the API server refused the request";
}

const redacted = "[redacted]";
/** kubectl's client-side apply copy of the whole object, Secret data and spec.password included. */
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration";

type Redact = (key: string, value: unknown) => unknown;

/**
 * A safety net for fields logged whole (a resource, a child list): Secret values, string values
 * under the sensitive keys and kubectl's last-applied copy never reach a log line. Keys stay
 * visible so that a line still says which secret was involved.
 */
const redactor =
  (sensitiveKeys: ReadonlySet<string>): Redact =>
  (key, value) => {
    if (typeof value === "string") return key === lastApplied || sensitiveKeys.has(key) ? redacted : value;
    if (typeof value === "object" && value !== null && !Array.isArray(value) && (value as { kind?: unknown }).kind === "Secret") {
      const secret = { ...(value as Record<string, unknown>) };
      for (const field of ["data", "stringData"]) {
        const values = secret[field];
        if (typeof values === "object" && values !== null) secret[field] = Object.fromEntries(Object.keys(values).map((k) => [k, redacted]));
      }
      return secret;
    }
    return value;
  };

const bareValue = /^[^\s"=]+$/;

/**
 * `2026-01-01T00:00:00.000Z INFO  message  key=value key2="two words" obj={"a":1}`: the record that
 * the JSON format would write, redacted the same way, with the fields as logfmt-style pairs.
 */
function formatText(record: Record<string, unknown>, redact: Redact): string {
  const { ts, level, msg, ...fields } = JSON.parse(safeStringify(record, redact)) as Record<string, unknown>;
  const pairs = Object.entries(fields).map(([key, value]) => {
    if (typeof value !== "string") return `${key}=${JSON.stringify(value)}`;
    return `${key}=${bareValue.test(value) ? value : JSON.stringify(value)}`;
  });
  const head = `${String(ts)} ${String(level).toUpperCase().padEnd(5)} ${String(msg)}`;
  return pairs.length === 0 ? head : `${head}  ${pairs.join(" ")}`;
}

function safeStringify(record: Record<string, unknown>, redact: Redact): string {
  try {
    return JSON.stringify(record, redact);
  } catch {
    return JSON.stringify({ ts: record.ts, level: record.level, msg: record.msg, logError: "fields not serialisable" });
  }
}
