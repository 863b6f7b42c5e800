/** The environment variable through which each server is handed to Tonegraph. */
export type UrlVar = 'DATABASE_URL' | 'MONGO_URL' | 'NEO4J_URL' | 'REDIS_URL' | 'AMQP_URL';

/** One local server the stack manages. Every method is idempotent. */
export interface Service {
  readonly name: string;
  readonly urlVar: UrlVar;
  /** The URL of the local instance. */
  readonly url: string;
  /** The file to read when the server misbehaves. */
  readonly logFile: string;
  /** Debian packages whose absence means "install first". */
  missingPackages(): Promise<string[]>;
  /** Builds what is not built yet or has changed (cached). */
  build(): Promise<void>;
  /** Starts the server; called only when it is not running. */
  start(): Promise<void>;
  /** The pid of the running server, if any. */
  pid(): Promise<number | undefined>;
  /** Connects with the driver Tonegraph uses; resolves to the server's version. */
  ping(url: string): Promise<string>;
  stop(): Promise<void>;
}
