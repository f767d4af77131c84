import { DynamicModule, Global, Module } from '@nestjs/common';
import { AurenConfig } from './config';

export const AUREN_CONFIG = Symbol('AUREN_CONFIG');

/** Provides the validated {@link AurenConfig} under {@link AUREN_CONFIG} to the whole app. */
@Global()
@Module({})
export class AurenConfigModule {
  static forRoot(config: AurenConfig): DynamicModule {
    return {
      module: AurenConfigModule,
      providers: [{ provide: AUREN_CONFIG, useValue: config }],
      exports: [AUREN_CONFIG],
    };
  }
}
