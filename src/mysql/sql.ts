/**
 * Quoting for the places where a value from a resource meets MySQL syntax. Every value
 * is quoted here, once, and tested with hostile input.
 */

/** `'text'` as a SQL string literal; callers set `sql_mode=''` first so backslash escapes hold. */
export function sqlString(text: string): string {
  if (text.includes("\0")) throw new Error("a SQL string cannot carry a NUL character");
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/**
 * A value for a MySQL option file (`key="value"`): double-quoted so `#`, quotes and
 * surrounding spaces survive, with the option file's escapes (\\ \" \n \r), the same
 * encoding as the backup scripts' `option_line`.
 */
export function optionFileValue(text: string): string {
  if (text.includes("\0")) throw new Error("an option file value cannot carry a NUL character");
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n").replaceAll("\r", "\\r")}"`;
}

/**
 * The database name for the official images' `MYSQL_DATABASE`: their entrypoints run
 * ``CREATE DATABASE IF NOT EXISTS `$MYSQL_DATABASE` `` without escaping, so a backtick in
 * the name is doubled here and the statement creates exactly the named database.
 */
export function databaseForEntrypoint(database: string): string {
  return database.replaceAll("`", "``");
}

/** SQL that sets the root password of every root account to `password` (run by the password-change Job). */
export function passwordChangeSql(password: string): string {
  const literal = sqlString(password);
  return [
    "SET SESSION sql_mode = '';",
    `ALTER USER IF EXISTS 'root'@'%' IDENTIFIED BY ${literal};`,
    `ALTER USER IF EXISTS 'root'@'localhost' IDENTIFIED BY ${literal};`,
    "FLUSH PRIVILEGES;",
    "",
  ].join("\n");
}

/**
 * A client option file connecting as root to `host`:`port` with `password`. Each of `fallbacks` gets a group of its own
 * (`[client_1]`, `[client_2]`, …) that only sets the password: `--defaults-group-suffix=_1` connects with the first.
 */
export function clientOptionFile(host: string, password: string, port = 3306, fallbacks: readonly string[] = []): string {
  return [
    "[client]",
    `user=${optionFileValue("root")}`,
    `password=${optionFileValue(password)}`,
    `host=${optionFileValue(host)}`,
    `port=${port}`,
    "connect-timeout=10",
    ...fallbacks.flatMap((fallback, i) => [`[client_${i + 1}]`, `password=${optionFileValue(fallback)}`]),
    "",
  ].join("\n");
}
