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
export const READINESS_CHECK = Symbol('READINESS_CHECK');

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_CHECK) private readonly ready: ReadinessCheck,
  ) {}

  /** 200 while the process runs. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** 200 when the stream backend answers, 503 otherwise. */
  @Get('ready')
  @HealthCheck()
  readiness() {
    return this.health.check([() => this.stream()]);
  }

  private async stream(): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('stream');
    try {
      await this.ready();
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
    useFactory: (...args: never[]) => ReadinessCheck;
  }): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false }), ...(check.imports ?? [])],
      controllers: [HealthController],
      providers: [{ provide: READINESS_CHECK, inject: check.inject, useFactory: check.useFactory }],
    };
  }
}
