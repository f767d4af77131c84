import { ConsoleLogger, Logger, LogLevel } from '@nestjs/common';
import { ListenError } from './ports';

type Held = { level: LogLevel; message: unknown; params: unknown[] };

/**
 * Nest's logger, holding every line while the app starts: a start that fails on a port prints its
 * one line and nothing of Nest's "successfully started" before it (docs/troubleshooting.md).
 * {@link release} prints what was held; an exit while still holding prints it too, so nothing
 * logged before a `process.exit` is lost.
 */
export class StartupLogger extends ConsoleLogger {
  private held: Held[] | undefined = [];
  private readonly onExit = () => this.release();
  private readonly timer: NodeJS.Timeout;

  /**
   * @param holdMs a start still going after this long (waiting for a backend, say) prints what it
   *   held and logs as usual from then on: a slow start is never a silent one.
   */
  constructor(holdMs = 30_000) {
    super();
    process.once('exit', this.onExit);
    this.timer = setTimeout(() => {
      if (!this.held) return;
      this.print('warn', `Still starting after ${holdMs / 1000} s; the start-up log so far:`, [
        'Startup',
      ]);
      this.release();
    }, holdMs);
    this.timer.unref();
  }

  /** Prints what was held, and every later line as it comes. */
  release(): void {
    const held = this.held;
    this.held = undefined;
    clearTimeout(this.timer);
    process.removeListener('exit', this.onExit);
    for (const { level, message, params } of held ?? []) this.print(level, message, params);
  }

  /** Forgets what was held (a failed start says why in its own line), and prints later lines. */
  discard(): void {
    this.held = [];
    this.release();
  }

  /** Forgets held lines that mention `text` (an error the start handles and reports itself). */
  forget(text: string): void {
    this.held = this.held?.filter((h) => !JSON.stringify([h.message, h.params]).includes(text));
  }

  override log(message: unknown, ...params: unknown[]): void {
    this.hold('log', message, params);
  }
  override warn(message: unknown, ...params: unknown[]): void {
    this.hold('warn', message, params);
  }
  override error(message: unknown, ...params: unknown[]): void {
    this.hold('error', message, params);
  }
  override debug(message: unknown, ...params: unknown[]): void {
    this.hold('debug', message, params);
  }
  override verbose(message: unknown, ...params: unknown[]): void {
    this.hold('verbose', message, params);
  }
  override fatal(message: unknown, ...params: unknown[]): void {
    this.hold('fatal', message, params);
  }

  private hold(level: LogLevel, message: unknown, params: unknown[]): void {
    if (this.held) this.held.push({ level, message, params });
    else this.print(level, message, params);
  }

  private print(level: LogLevel, message: unknown, params: unknown[]): void {
    super[level](message, ...params);
  }
}

/** An error that ends the start with its own message and exit code (a refusal, not a crash). */
interface Refusal {
  message: string;
  exitCode: number;
  /** The message says everything: the start-up lines held so far are dropped, not printed. */
  alone?: boolean;
}

function isRefusal(error: unknown): error is Refusal {
  return error instanceof Error && typeof (error as Partial<Refusal>).exitCode === 'number';
}

/**
 * Runs an entry point's start with a {@link StartupLogger} as Nest's logger. A port it cannot
 * bind ({@link ListenError}) ends the process with the one line naming the variable and exit code
 * 69; another refusal (an error with an `exitCode`, e.g. a volatile Redis) with its message and
 * code, after the held lines; anything else crashes as before, after the held lines.
 */
export async function runStartup(start: (logger: StartupLogger) => Promise<void>): Promise<void> {
  const logger = new StartupLogger();
  Logger.overrideLogger(logger);
  try {
    await start(logger);
    logger.release();
  } catch (error) {
    if (error instanceof ListenError) {
      logger.discard();
      process.stderr.write(`${error.message}\n`);
      process.exit(error.exitCode);
    }
    if (isRefusal(error) && error.alone) logger.discard();
    else logger.release();
    if (isRefusal(error)) {
      process.stderr.write(`${error.message}\n`);
      process.exit(error.exitCode);
    }
    throw error;
  }
}
