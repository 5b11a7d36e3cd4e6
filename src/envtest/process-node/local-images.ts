/**
 * The process node's image table: what runs for a container whose image has no `command` in the pod spec.
 * There is no image to pull or unpack: a container with a command runs that command with the machine's own
 * tools; one without a command runs the local program its image maps to here, or fails with
 * `CreateContainerError` when its image is not in this table. Each program is a file beside this one, mounted
 * read-only into the container at {@link IMAGE_PROGRAMS_MOUNT}.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** An account an image's `/etc/passwd` and `/etc/group` hold (user and group of one name). */
export interface ImageUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** A directory an image ships, with its owner and mode (a socket directory writable by any user, say). */
export interface ImageDirectory {
  readonly path: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** One row: images that map to one local program. */
export interface LocalImage {
  /** What the program is, for messages and the README. */
  readonly description: string;
  /** Repository names as on Docker Hub (registry and `library/` stripped), matched exactly; any tag or digest. */
  readonly repositories: readonly string[];
  /** The program and its leading arguments, relative to {@link IMAGE_PROGRAMS_MOUNT}; the container's `args` follow. */
  readonly entrypoint: readonly string[];
  /** Programs it needs on the machine; a missing one is named when such a container starts. */
  readonly requires: readonly string[];
  /**
   * The image's own accounts: every container of the image sees them in its `/etc/passwd` and `/etc/group` (instead of
   * the machine's accounts of the same name or id), so a pod that runs as the image's user by number is that user.
   */
  readonly users?: readonly ImageUser[];
  /** Directories of the image that its programs expect (created in every container of the image). */
  readonly directories?: readonly ImageDirectory[];
}

/** Where the programs are inside every container (read-only). */
export const IMAGE_PROGRAMS_MOUNT = "/.process-node/images";

/** The directory on the machine that holds the programs. */
export const IMAGE_PROGRAMS_DIR = fileURLToPath(new URL("./images/", import.meta.url));

/** The table. */
export const LOCAL_IMAGES: readonly LocalImage[] = [
  {
    description:
      "MySQL and MariaDB server: the local mariadbd with the official images' environment contract (MYSQL_ROOT_PASSWORD, MYSQL_DATABASE, MYSQL_USER, MYSQL_PASSWORD, their MARIADB_ and _FILE forms), data in /var/lib/mysql",
    repositories: ["mysql", "mariadb", "mysql/mysql-server"],
    entrypoint: ["mysql-server.sh"],
    requires: ["mariadbd", "mariadb-install-db", "mariadb"],
    // Both official images: mysql is uid and gid 999, and the socket directory is open to any user of the server.
    users: [{ name: "mysql", uid: 999, gid: 999, home: "/var/lib/mysql" }],
    directories: [{ path: "/run/mysqld", mode: 0o1777, uid: 999, gid: 999 }],
  },
];

/** `docker.io/library/mysql:5.7` → `mysql`; `registry.example:5000/team/app@sha256:…` → `team/app` (registry dropped). */
export function imageRepository(image: string): string {
  let name = image.split("@")[0] ?? "";
  const lastSlash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  if (colon > lastSlash) name = name.slice(0, colon);
  const parts = name.split("/");
  // A first part with a dot or a port, or "localhost", is a registry host (the Docker reference grammar).
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0] ?? "")) parts.shift();
  if (parts.length > 1 && parts[0] === "library") parts.shift();
  return parts.join("/");
}

/** The table's row for `image`, if any. */
export function localImageFor(image: string, table: readonly LocalImage[] = LOCAL_IMAGES): LocalImage | undefined {
  const repository = imageRepository(image);
  return table.find((row) => row.repositories.includes(repository));
}

/** The row's programs that are not on this machine's PATH. */
export function missingPrograms(row: LocalImage): string[] {
  return row.requires.filter((tool) => spawnSync("sh", ["-c", 'command -v "$1"', "sh", tool], { stdio: "ignore" }).status !== 0);
}
