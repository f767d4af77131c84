import { Global, Module } from '@nestjs/common';
import { AUREN_CONFIG, AurenConfig } from '@auren/config';
import { CredentialVerifier } from './credential-verifier';

@Global()
@Module({
  providers: [
    {
      provide: CredentialVerifier,
      inject: [AUREN_CONFIG],
      useFactory: (config: AurenConfig) => new CredentialVerifier(config),
    },
  ],
  exports: [CredentialVerifier],
})
export class AuthModule {}
