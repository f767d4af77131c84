/** Exit code of a start that cannot bind one of its ports (sysexits EX_UNAVAILABLE). */
export const EXIT_PORT_UNAVAILABLE = 69;

/** A listening socket of an app, and the variables a user changes when it cannot be bound. */
export interface Door {
  /** The variable that sets the port, e.g. `INGEST_PORT`. */
  variable: string;
  port: number;
  host: string;
  /** The variable that sets the host (`AUREN_HOST` unless the door has its own). */
  hostVariable?: string;
  /** Appended to the advice, e.g. `(0 picks one) or AUREN_GRPC_ENABLED=false`. */
  alternative?: string;
}

/** Why a socket could not listen, when it is one a user can fix by changing a variable. */
export type ListenFailure = 'EADDRINUSE' | 'EACCES' | 'EADDRNOTAVAIL';
const FAILURES: ListenFailure[] = ['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL'];

/**
 * The failure behind a listen error: Node sets `code`; grpc-js only names it in the message
 * ("No address added ... [listen EADDRINUSE: ...]").
 */
export function listenFailure(error: unknown): ListenFailure | undefined {
  // Duck-typed: errors from Node's core may come from another realm (Jest), failing instanceof.
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (FAILURES.includes(code as ListenFailure)) return code as ListenFailure;
  if (typeof message !== 'string') return undefined;
  return FAILURES.find((failure) => message.includes(failure));
}

/** The one line that tells a user which variable to change. */
export function describeListenFailure(door: Door, failure: ListenFailure): string {
  const alternative = door.alternative ? ` ${door.alternative}` : '';
  const hostVariable = door.hostVariable ?? 'AUREN_HOST';
  switch (failure) {
    case 'EADDRINUSE':
      return `${door.variable} ${door.port} is in use by another process: set ${door.variable} to a free port${alternative}`;
    case 'EACCES':
      return `${door.variable} ${door.port} needs privileges this process does not have (ports below 1024): set ${door.variable} to a port above 1023${alternative}`;
    case 'EADDRNOTAVAIL':
      return `${hostVariable} ${door.host} is not an address of this machine (${door.variable} ${door.port}): set ${hostVariable} to one of its addresses, or 0.0.0.0 for all`;
  }
}

/** A port the app could not listen on; its message is the one line for the user. */
export class ListenError extends Error {
  readonly exitCode = EXIT_PORT_UNAVAILABLE;

  constructor(
    readonly door: Door,
    readonly failure: ListenFailure,
    cause: unknown,
  ) {
    super(describeListenFailure(door, failure), { cause });
    this.name = 'ListenError';
  }
}

/**
 * Runs `listen` and turns the errors a user can fix (port in use, privileged port, unknown host)
 * into a {@link ListenError} naming the variable. The listen error itself is the truth: no probe
 * beforehand, which another process could beat anyway.
 */
export async function listenOn<T>(door: Door, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    const failure = listenFailure(error);
    if (failure) throw new ListenError(door, failure, error);
    throw error;
  }
}
