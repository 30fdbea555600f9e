/**
 * Signal handling for commands that run a job: the first SIGINT or SIGTERM stops
 * the job gracefully (the batch in flight finishes, a final checkpoint is taken,
 * sinks are closed); a second one exits at once.
 */
/** What can be run and stopped gracefully: a `Job`, or `LinkedJobs`. */
export interface Stoppable {
  run(): Promise<void>;
  stop(): void;
}

/** Exit code of a process stopped by a second signal (128 + SIGINT). */
export const FORCED_EXIT_CODE = 130;

export interface SignalOptions {
  /** Receives one line per signal. Default: standard error. */
  readonly log?: (line: string) => void;
  /** Called once the signal handlers are in place, before the job starts. */
  readonly ready?: () => void;
}

/** Runs `job` until it ends or a signal stops it; resolves when it has stopped. */
export async function runUntilSignal(job: Stoppable, options: SignalOptions = {}): Promise<void> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      log(
        `${signal}: stopping after the batch in flight, with a final checkpoint (again to exit at once)`,
      );
      job.stop();
    } else {
      log(`${signal}: exiting now, without a final checkpoint`);
      process.exit(FORCED_EXIT_CODE);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  options.ready?.();
  try {
    await job.run();
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
