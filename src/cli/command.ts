export interface Command {
  name: string;
  summary: string;
  help: string;
  /** Returns the process exit status. */
  run(args: string[]): Promise<number>;
}
