import { Logger } from '@nestjs/common';
import { loadConfigOrExit } from '@auren/config';
import { createIngestApp } from './ingest.app';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await createIngestApp(config);
  await app.listen(config.ingestPort, config.host);
  new Logger('Ingest').log(
    `Ingest listening on http://${config.host}:${config.ingestPort} (stream: ${config.stream.backend}, ${config.production ? 'production' : 'development'} mode)`,
  );
}

void bootstrap();
