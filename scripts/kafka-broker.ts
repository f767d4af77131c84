/**
 * Starts a single-node Apache Kafka (KRaft) for trying the Kafka and hybrid backends by hand,
 * with the same jars and settings the tests use (fetched once with mvn). Ctrl-C stops it.
 */
import { KafkaBroker, KAFKA_VERSION } from '../test/harness/kafka';

const HELP = `usage: npm run kafka -- [--version <x.y.z>]

Starts a single-node Apache Kafka ${KAFKA_VERSION} broker (KRaft) on a free port, from jars fetched
with mvn on first use (cached in ~/.cache/auren), and prints its address for KAFKA_BROKERS.
Needs java (17+) and mvn. Data lives in a temp directory, removed when you stop it (Ctrl-C).

  --version <v>   another Kafka release (default ${KAFKA_VERSION}, or AUREN_KAFKA_VERSION)
  --help          this text`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(HELP);
    return;
  }
  const at = args.indexOf('--version');
  const version = at >= 0 ? args[at + 1] : undefined;
  if (at >= 0 && !version) throw new Error('--version needs a value, e.g. --version 4.4.0');
  console.error(
    `starting Kafka ${version ?? KAFKA_VERSION} (the first run fetches its jars with mvn) ...`,
  );
  const broker = await KafkaBroker.start({ version, startTimeoutMs: 120_000 });
  console.log(`Kafka is up: KAFKA_BROKERS=${broker.bootstrapServers}`);
  console.log(
    `try: AUREN_STREAM_BACKEND=kafka KAFKA_BROKERS=${broker.bootstrapServers} npm start   (Ctrl-C here stops the broker)`,
  );
  const stop = () => {
    console.error('stopping Kafka ...');
    void broker.dispose().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: Error) => {
  console.error(`kafka: ${error.message}`);
  process.exit(1);
});
