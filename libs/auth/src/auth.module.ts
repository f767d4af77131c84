import { Global, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { AUREN_CONFIG, AurenConfig } from '@auren/config';
import { CredentialVerifier } from './credential-verifier';
import { JwksKeyStore } from './jwks-key-store';

@Global()
@Module({
  providers: [
    {
      provide: CredentialVerifier,
      inject: [AUREN_CONFIG, { token: Registry, optional: true }],
      useFactory: (config: AurenConfig, registry?: Registry) => {
        const jwks = config.auth.jwks;
        if (!jwks) return new CredentialVerifier(config);
        const keyStore = new JwksKeyStore({ ...jwks, registry });
        // Loads the keys while the app starts, so that the first tokens need not wait for them.
        void keyStore.refresh();
        return new CredentialVerifier(config, keyStore);
      },
    },
  ],
  exports: [CredentialVerifier],
})
export class AuthModule {}
