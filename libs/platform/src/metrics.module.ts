import { Controller, Get, Global, Header, Headers, Inject, Module } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { AUREN_CONFIG, type AurenConfig } from '@auren/config';
import { ApiError } from './api-error';
import { metricsAccess } from './metrics-access';

/**
 * `/metrics` on the app's port: 404 when AUREN_METRICS_PORT moves it to a port of its own, 401
 * without the Bearer token when AUREN_METRICS_TOKEN is set (docs/configuration.md, "Metrics").
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly registry: Registry,
    @Inject(AUREN_CONFIG) private readonly config: AurenConfig,
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async metrics(@Headers('authorization') authorization?: string): Promise<string> {
    const { metrics } = this.config;
    if (metrics.port !== undefined)
      throw new ApiError(404, 'metrics are served on AUREN_METRICS_PORT', 'not_found');
    if (metricsAccess(metrics.token, authorization) === 'unauthorized')
      throw new ApiError(
        401,
        'send Authorization: Bearer <AUREN_METRICS_TOKEN> to read /metrics',
        'unauthorized',
        undefined,
        { 'WWW-Authenticate': 'Bearer realm="metrics"' },
      );
    return this.registry.metrics();
  }
}

/** One Prometheus registry per app, so that two apps in one process never collide. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    {
      provide: Registry,
      useFactory: () => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry, prefix: 'auren_' });
        return registry;
      },
    },
  ],
  exports: [Registry],
})
export class MetricsModule {}
