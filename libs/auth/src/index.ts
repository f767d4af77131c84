export * from './principal';
export * from './credential-verifier';
export * from './jwt-options';
export * from './jwks-key-store';
export * from './auth.module';
