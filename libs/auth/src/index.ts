export * from './principal';
export * from './credential-verifier';
export * from './auth.module';
