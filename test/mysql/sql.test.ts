/** Quoting of resource values where they meet MySQL syntax: given/want, hostile input included. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { clientOptionFile, databaseForEntrypoint, optionFileValue, passwordChangeSql, sqlString } from "../../src/mysql/sql.ts";

test("sqlString: a literal that stays one literal", () => {
  const table: [string, string][] = [
    ["otuspassword", "'otuspassword'"],
    ["it's", "'it''s'"],
    ["back\\slash", "'back\\\\slash'"],
    ["'; DROP DATABASE x; --", "'''; DROP DATABASE x; --'"],
    ["\\'", "'\\\\'''"],
    ["new\nline", "'new\nline'"],
    ["", "''"],
  ];
  for (const [given, want] of table) assert.equal(sqlString(given), want, JSON.stringify(given));
  assert.throws(() => sqlString("nul\0"), /NUL/);
});

test("optionFileValue: double-quoted with the option file's escapes", () => {
  const table: [string, string][] = [
    ["root", '"root"'],
    ["has # hash", '"has # hash"'],
    ['quote"d', '"quote\\"d"'],
    ["back\\slash", '"back\\\\slash"'],
    ["two\nlines\r", '"two\\nlines\\r"'],
    ["  spaces  ", '"  spaces  "'],
  ];
  for (const [given, want] of table) assert.equal(optionFileValue(given), want, JSON.stringify(given));
  assert.throws(() => optionFileValue("\0"), /NUL/);
});

test("databaseForEntrypoint doubles backticks for the images' unescaped CREATE DATABASE", () => {
  const table: [string, string][] = [
    ["otus-database", "otus-database"],
    ["back`tick", "back``tick"],
    ["``", "````"],
    ["it's $HOME", "it's $HOME"],
  ];
  for (const [given, want] of table) assert.equal(databaseForEntrypoint(given), want);
});

test("passwordChangeSql and clientOptionFile carry the password only as a quoted value", () => {
  const sql = passwordChangeSql("p'w\\d");
  assert.equal(
    sql,
    "SET SESSION sql_mode = '';\nALTER USER IF EXISTS 'root'@'%' IDENTIFIED BY 'p''w\\\\d';\nALTER USER IF EXISTS 'root'@'localhost' IDENTIFIED BY 'p''w\\\\d';\nFLUSH PRIVILEGES;\n",
  );
  assert.equal(
    clientOptionFile("mysql-instance", 'o"ld#'),
    '[client]\nuser="root"\npassword="o\\"ld#"\nhost="mysql-instance"\nport=3306\nconnect-timeout=10\n',
  );
});
