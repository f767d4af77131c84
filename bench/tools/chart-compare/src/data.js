export const N = 3600;
export function series(shift) {
  const x = new Float64Array(N),
    a = new Float64Array(N),
    b = new Float64Array(N),
    c = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const t = i + shift;
    x[i] = 1.7e9 + t;
    a[i] = 5 + 3 * Math.sin(t / 30);
    b[i] = 3 + 2 * Math.cos(t / 17);
    c[i] = 2 + Math.sin(t / 7);
  }
  return { x, a, b, c };
}
