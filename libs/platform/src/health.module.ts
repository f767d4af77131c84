import {
  Controller,
  DynamicModule,
  FactoryProvider,
  Get,
  Inject,
  Module,
  ModuleMetadata,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
  TerminusModule,
} from '@nestjs/terminus';

/** Resolves when the app can do its work (its stream backend answers); rejects with why not. */
export type ReadinessCheck = () => Promise<void>;
/** Named checks, each reported under its name in `/health/ready`; all must pass. */
export type ReadinessChecks = Record<string, ReadinessCheck>;
export const READINESS_CHECK = Symbol('READINESS_CHECK');

@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly checks: Array<[string, ReadinessCheck]>;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_CHECK) ready: ReadinessCheck | ReadinessChecks,
  ) {
    // A lone check is the stream check.
    this.checks = Object.entries(typeof ready === 'function' ? { stream: ready } : ready);
  }

  /** 200 while the process runs. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** 200 when every check passes (the stream backend answers, ...), 503 otherwise. */
  @Get('ready')
  @HealthCheck()
  readiness() {
    return this.health.check(
      this.checks.map(
        ([name, check]) =>
          () =>
            this.run(name, check),
      ),
    );
  }

  private async run(name: string, check: ReadinessCheck): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(name);
    try {
      await check();
      return session.up();
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }
}

@Module({})
export class HealthModule {
  static forRoot(check: {
    imports?: ModuleMetadata['imports'];
    inject: NonNullable<FactoryProvider['inject']>;
    useFactory: (...args: never[]) => ReadinessCheck | ReadinessChecks;
  }): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false }), ...(check.imports ?? [])],
      controllers: [HealthController],
      providers: [{ provide: READINESS_CHECK, inject: check.inject, useFactory: check.useFactory }],
    };
  }
}
