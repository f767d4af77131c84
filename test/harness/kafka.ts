import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { ensureBinary } from './binaries';
import { freePort } from './ports';

/**
 * A real single-node Apache Kafka broker (KRaft, broker and controller in one JVM) for the tests,
 * run from the official jars that Maven fetches from Maven Central once (see docs/testing.md).
 *
 * 4.4.0 is the newest release served here, and kafkajs 2.2.4 works against it for everything the
 * project uses (idempotent produce with acks -1, consumer groups with subscribe/seek/commit, admin
 * createTopics/fetchTopicOffsets/deleteTopics, transactions): see docs/testing.md for what was checked.
 */
export const KAFKA_VERSION = '4.4.0';

const POM = join(__dirname, 'kafka', 'pom.xml');

const JAVA_HINT =
  'Java 17 or newer is needed to run the Kafka broker for the tests. Install it (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless maven; macOS: brew install openjdk@17 maven), set AUREN_KAFKA_JAVA=/path/to/bin/java, or set KAFKA_BROKERS to a Kafka you can use for tests.';
const MAVEN_HINT =
  'mvn (Apache Maven) is needed to fetch the Kafka jars for the tests (first run only). Install it (Debian/Ubuntu: sudo apt-get install maven openjdk-17-jre-headless; macOS: brew install maven), set AUREN_KAFKA_LIBS to a directory holding the jars of a Kafka distribution (its libs/), or set KAFKA_BROKERS to a Kafka you can use for tests.';

function log(message: string): void {
  process.stderr.write(`test harness: ${message}\n`);
}

/** The colour codes mvn prints, even with -B. */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

function run(
  file: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`.replace(ANSI_COLOUR, '') || (error?.message ?? '');
        resolve({ code: !error ? 0 : typeof error.code === 'number' ? error.code : 1, output });
      },
    );
  });
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Java and the jars

let javaFound: Promise<string> | undefined;

/** A `java` of version 17 or newer: AUREN_KAFKA_JAVA, $JAVA_HOME/bin/java, or `java` on PATH. */
export function ensureJava(): Promise<string> {
  javaFound ??= (async () => {
    const java =
      process.env.AUREN_KAFKA_JAVA ??
      (process.env.JAVA_HOME && existsSync(join(process.env.JAVA_HOME, 'bin', 'java'))
        ? join(process.env.JAVA_HOME, 'bin', 'java')
        : ensureBinary({
            binary: 'java',
            debianPackage: 'openjdk-17-jre-headless',
            hint: JAVA_HINT,
          }));
    const { code, output } = await run(java, ['-version'], 30_000);
    const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
    if (code !== 0 || !match) {
      throw new Error(`${java} -version failed: ${tail(output, 5)}\n${JAVA_HINT}`);
    }
    const major = match[1] === '1' ? Number(match[2]) : Number(match[1]);
    if (major < 17) {
      throw new Error(`${java} is Java ${major}. ${JAVA_HINT}`);
    }
    return java;
  })();
  // A failed lookup is not cached: the next caller sees the same clear error, after a new try.
  javaFound.catch(() => (javaFound = undefined));
  return javaFound;
}

/** Where the jars of Kafka `version` are kept between runs. */
export function kafkaCacheDir(version = KAFKA_VERSION): string {
  const base =
    process.env.AUREN_KAFKA_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'auren');
  return join(base, `kafka-${version}`, 'libs');
}

const jarsFetched = new Map<string, Promise<string>>();

/**
 * The directory of Kafka `version`'s jars: AUREN_KAFKA_LIBS when set, else the cache, filled by
 * `mvn dependency:copy-dependencies` on the first run. Runs at the same time each fetch into a
 * directory of their own and rename it into place; the first rename wins.
 */
export function ensureKafkaJars(version = KAFKA_VERSION): Promise<string> {
  const given = process.env.AUREN_KAFKA_LIBS;
  if (given) {
    if (!existsSync(given) || !readdirSync(given).some((name) => /^kafka_2\.1\d-/.test(name))) {
      return Promise.reject(
        new Error(
          `AUREN_KAFKA_LIBS=${given} holds no kafka_2.13-*.jar; point it at a Kafka distribution's libs/ or unset it`,
        ),
      );
    }
    return Promise.resolve(given);
  }
  const libs = kafkaCacheDir(version);
  const ready = () => existsSync(join(libs, `kafka_2.13-${version}.jar`));
  let fetching = jarsFetched.get(version);
  if (!fetching) {
    fetching = (async () => {
      if (ready()) return libs;
      const mvn = ensureBinary({ binary: 'mvn', debianPackage: 'maven', hint: MAVEN_HINT });
      const partial = `${libs}.partial-${process.pid}-${randomBytes(3).toString('hex')}`;
      mkdirSync(partial, { recursive: true });
      log(`fetching Kafka ${version} jars with mvn into ${libs} (first run only)...`);
      const started = Date.now();
      const { code, output } = await run(
        mvn,
        [
          '-q',
          '-B',
          '-f',
          POM,
          `-Dkafka.version=${version}`,
          `-Dkafka.libs=${partial}`,
          'dependency:copy-dependencies',
        ],
        10 * 60_000,
      );
      if (code !== 0 || !existsSync(join(partial, `kafka_2.13-${version}.jar`))) {
        rmSync(partial, { recursive: true, force: true });
        throw new Error(
          `mvn could not fetch org.apache.kafka:kafka_2.13:${version} (exit ${code}):\n${tail(output, 25)}\n` +
            'Check that Maven Central is reachable (proxy settings go in ~/.m2/settings.xml), or set AUREN_KAFKA_LIBS ' +
            "to a Kafka distribution's libs/ directory, or KAFKA_BROKERS to a running Kafka.",
        );
      }
      try {
        renameSync(partial, libs);
      } catch (error) {
        rmSync(partial, { recursive: true, force: true });
        if (!ready()) throw error; // another run won the race: its jars are as good
      }
      log(`fetched Kafka ${version} jars in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return libs;
    })();
    jarsFetched.set(version, fetching);
    fetching.catch(() => jarsFetched.delete(version));
  }
  return fetching;
}

// ---------------------------------------------------------------------------------------------
// Probing a broker

/** Resolves when the brokers answer a metadata request (an admin client lists the topics). */
export async function pingKafka(brokers: string[], timeoutMs = 5000): Promise<string[]> {
  const kafka = new Kafka({
    clientId: 'auren-test-harness',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await admin.listTopics();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The brokers of the shared test Kafka (set by the global setup), as a kafkajs `brokers` list. */
export function testKafkaBrokers(): string[] {
  const value = process.env.AUREN_TEST_KAFKA_BROKERS;
  if (!value) {
    throw new Error(
      'AUREN_TEST_KAFKA_BROKERS is not set: run the tests through jest (its global setup starts the Kafka broker)',
    );
  }
  return value.split(',').map((broker) => broker.trim());
}

// ---------------------------------------------------------------------------------------------
// The broker

export interface KafkaBrokerOptions {
  /** Kafka release to run (default AUREN_KAFKA_VERSION, else KAFKA_VERSION). */
  version?: string;
  /** server.properties entries added to, or replacing, the test defaults. */
  properties?: Record<string, string | number | boolean>;
  /** JVM heap limit (default 384m). */
  heap?: string;
  /** More JVM flags, after the defaults (so `-XX:TieredStopAtLevel=4` gives back the full JIT). */
  jvmArgs?: string[];
  /** How long start() and restart() wait for the broker to answer (default 60 s). */
  startTimeoutMs?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A JVM must not outlive a test process that exits without disposing of its broker. */
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => live.forEach((each) => each.kill('SIGKILL')));
  }
}

export class KafkaBroker {
  private child?: ChildProcess;
  /** Milliseconds the last start() or restart() took until the broker answered. */
  lastStartMs = 0;

  private constructor(
    readonly version: string,
    readonly port: number,
    readonly controllerPort: number,
    /** Temporary directory: server.properties, log4j2.properties, broker.log, jvm.out, data/. */
    readonly dir: string,
    private readonly java: string,
    private readonly libs: string,
    private readonly options: KafkaBrokerOptions,
  ) {}

  /**
   * Fetches the jars if needed, formats a fresh data directory with a random cluster id and starts
   * the broker on free ports; resolves once an admin client can list topics and the group
   * coordinator is up.
   */
  static async start(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
    const version = options.version ?? process.env.AUREN_KAFKA_VERSION ?? KAFKA_VERSION;
    const [java, libs] = await Promise.all([ensureJava(), ensureKafkaJars(version)]);
    const port = await freePort();
    let controllerPort = await freePort();
    while (controllerPort === port) controllerPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'auren-kafka-'));
    const broker = new KafkaBroker(version, port, controllerPort, dir, java, libs, options);
    const started = Date.now();
    broker.writeConfig();
    await broker.format();
    await broker.launch();
    await broker.warmUp();
    broker.lastStartMs = Date.now() - started;
    return broker;
  }

  /** kafkajs `brokers`: `['127.0.0.1:<port>']`. */
  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  /** The same as a `bootstrap.servers` / KAFKA_BROKERS string: `127.0.0.1:<port>`. */
  get bootstrapServers(): string {
    return this.brokers.join(',');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get logFile(): string {
    return join(this.dir, 'broker.log');
  }

  get running(): boolean {
    const child = this.child;
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  private writeConfig(): void {
    const properties: Record<string, string | number | boolean> = {
      'process.roles': 'broker,controller',
      'node.id': 1,
      'controller.quorum.voters': `1@127.0.0.1:${this.controllerPort}`,
      listeners: `PLAINTEXT://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${this.controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${this.port}`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'log.dirs': join(this.dir, 'data'),
      // One node: every internal topic has one replica, and one partition (fast to create and load).
      'offsets.topic.replication.factor': 1,
      'offsets.topic.num.partitions': 1,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
      'transaction.state.log.num.partitions': 1,
      'share.coordinator.state.topic.replication.factor': 1,
      'share.coordinator.state.topic.min.isr': 1,
      'default.replication.factor': 1,
      'min.insync.replicas': 1,
      // Tests create their topics; a typo must not create one silently.
      'auto.create.topics.enable': false,
      'group.initial.rebalance.delay.ms': 0,
      // After a kill, the restarted controller keeps the dead broker's registration until its
      // session times out (9 s by default) and refuses the new one meanwhile: keep that short.
      'broker.session.timeout.ms': 3000,
      'broker.heartbeat.interval.ms': 500,
      // Few threads and small buffers: the machine has 2 cores that the tests share.
      'num.network.threads': 1,
      'num.io.threads': 2,
      'background.threads': 2,
      'num.replica.fetchers': 1,
      'num.recovery.threads.per.data.dir': 1,
      'log.cleaner.threads': 1,
      'log.cleaner.dedupe.buffer.size': 4 * 1024 * 1024,
      ...this.options.properties,
    };
    writeFileSync(
      join(this.dir, 'server.properties'),
      Object.entries(properties)
        .map(([key, value]) => `${key}=${String(value)}\n`)
        .join(''),
    );
    writeFileSync(
      join(this.dir, 'log4j2.properties'),
      [
        'status = warn',
        'appender.file.type = File',
        'appender.file.name = file',
        `appender.file.fileName = ${this.logFile}`,
        'appender.file.append = true',
        'appender.file.layout.type = PatternLayout',
        'appender.file.layout.pattern = [%d] %p %m (%c)%n',
        'rootLogger.level = info',
        'rootLogger.appenderRef.file.ref = file',
        '',
      ].join('\n'),
    );
  }

  private jvm(heap: string, mainClass: string, args: string[]): string[] {
    return [
      '-Xms64m',
      `-Xmx${heap}`,
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1', // C1 only: quicker start, less CPU; plenty for tests
      '-XX:-UsePerfData',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(this.dir, 'log4j2.properties')}`,
      ...(this.options.jvmArgs ?? []),
      '-cp',
      join(this.libs, '*'),
      mainClass,
      ...args,
    ];
  }

  private async format(): Promise<void> {
    let clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
    const { code, output } = await run(
      this.java,
      this.jvm('128m', 'kafka.tools.StorageTool', [
        'format',
        '--cluster-id',
        clusterId,
        '--config',
        join(this.dir, 'server.properties'),
      ]),
      120_000,
    );
    if (code !== 0) {
      throw new Error(
        `Kafka ${this.version}: formatting ${this.dir} failed (exit ${code}):\n${tail(output, 30)}`,
      );
    }
  }

  /** Starts the JVM (again, on the same ports and data) and waits until it answers. */
  private async launch(): Promise<void> {
    const out = openSync(join(this.dir, 'jvm.out'), 'a');
    const child = spawn(
      this.java,
      this.jvm(this.options.heap ?? '384m', 'kafka.Kafka', [join(this.dir, 'server.properties')]),
      { stdio: ['ignore', out, out] },
    );
    closeSync(out);
    this.child = child;
    track(child);
    const timeoutMs = this.options.startTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw this.failure(
          `exited (${child.signalCode ?? `code ${child.exitCode}`}) while starting`,
        );
      }
      try {
        await pingKafka(this.brokers, 1000);
        return;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw this.failure(
          `did not answer within ${timeoutMs} ms (${lastError instanceof Error ? lastError.message : String(lastError)})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Has the broker create and load __consumer_offsets now (finding a group's coordinator does) and
   * hand out a first producer id, so that the first consumer group and the first idempotent
   * producer of a test do not meet "coordinator is loading" answers.
   */
  private async warmUp(): Promise<void> {
    const kafka = new Kafka({
      clientId: 'auren-test-harness',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 1000 },
    });
    const admin = kafka.admin();
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    try {
      await admin.connect();
      await admin.describeGroups(['auren-test-harness-warm-up']);
      await producer.connect();
    } catch (error) {
      throw this.failure(`coordinators not ready: ${(error as Error).message}`);
    } finally {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  }

  private failure(what: string): Error {
    const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
    const jvmOut = tail(read(join(this.dir, 'jvm.out')), 15);
    const brokerLog = read(this.logFile);
    const errors = brokerLog
      .split('\n')
      .filter((line) => /\] (ERROR|FATAL) /.test(line))
      .slice(-8)
      .join('\n');
    return new Error(
      [
        `Kafka ${this.version} broker on 127.0.0.1:${this.port} ${what}. Its files are in ${this.dir}.`,
        jvmOut && `--- ${join(this.dir, 'jvm.out')} (last lines) ---\n${jvmOut}`,
        errors && `--- errors in ${this.logFile} ---\n${errors}`,
        `--- ${this.logFile} (last lines) ---\n${tail(brokerLog, 25) || '(empty)'}`,
      ]
        .filter(Boolean)
        .join('\n'),
    );
  }

  private async signal(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** SIGKILL: a crash, for fault tests. Data stays; restart() brings the broker back. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL', 0);
  }

  /** Clean shutdown (SIGTERM; SIGKILL after 20 s). Data stays; restart() brings the broker back. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM', 20_000);
  }

  /** Stops the broker if it runs, then starts it again on the same port with the same data. */
  async restart(): Promise<void> {
    await this.stop();
    const started = Date.now();
    await this.launch();
    this.lastStartMs = Date.now() - started;
  }

  /** Ends the broker (SIGKILL: its data is thrown away anyway) and removes its directory. */
  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
