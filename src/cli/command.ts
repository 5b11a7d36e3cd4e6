/** One `mysqlop` sub-command: each lives in its own folder under `src/cli/` and exports `run`. */
export interface CommandModule {
  /** Runs the command with the arguments after its name; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** How `main.ts` lists a command without loading it (keeps `mysqlop --help` and start-up fast). */
export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<CommandModule>;
}
