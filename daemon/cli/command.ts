/** One `sd-studio` subcommand. `run` returns the exit code: 0 ok, 1 failed, 2 usage. */
export interface CliCommand {
  name: string;
  summary: string;
  usage(): string;
  run(argv: string[]): Promise<number>;
}
