// Docker HEALTHCHECK: GET /health/ready of the app this container runs, on 127.0.0.1.
// The app is the argument after the entrypoint in PID 1's command line (tini -- entrypoint.sh
// <app>); its port comes from the same variables the app reads. Exit 0 healthy, 1 not.
import { readFileSync } from 'node:fs';

const APPS = {
  ingest: ['INGEST_PORT', 3000],
  gateway: ['GATEWAY_PORT', 8765],
  history: ['HISTORY_PORT', 4000],
  'all-in-one': ['GATEWAY_PORT', 8765],
};

let args = [];
try {
  args = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
} catch {
  // not Linux: fall back to the image's default app
}
const app = args.find((arg) => arg in APPS) ?? 'all-in-one';
const [variable, fallback] = APPS[app];
const port = Number(process.env[variable] || fallback);

try {
  const response = await fetch(`http://127.0.0.1:${port}/health/ready`, {
    signal: AbortSignal.timeout(2500),
  });
  if (response.status !== 200) {
    console.error(`${app}: /health/ready answered ${response.status}: ${await response.text()}`);
    process.exit(1);
  }
} catch (error) {
  console.error(`${app}: /health/ready on port ${port} failed: ${error.message}`);
  process.exit(1);
}
