import { AurenConfig, ConfigError, loadConfig } from './config';

/**
 * For entry points: the validated config, or a message naming each bad variable on stderr and
 * exit code 78 (EX_CONFIG).
 */
export function loadConfigOrExit(): AurenConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(
        `${error.message}\nFix the variables above and start again (see docs/configuration.md).\n`,
      );
      process.exit(78);
    }
    throw error;
  }
}
