export default async function globalTeardown(): Promise<void> {
  await globalThis.__AUREN_REDIS__?.dispose();
  await globalThis.__AUREN_KAFKA__?.dispose();
  await globalThis.__AUREN_POSTGRES__?.dispose();
}
