import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { series } from './data.js';
const el = document.getElementById('app');
const stacked = (d) => {
  const s1 = d.a,
    s2 = d.a.map((v, i) => v + d.b[i]),
    s3 = s2.map((v, i) => v + d.c[i]);
  return [d.x, s1, s2, s3];
};
const t0 = performance.now();
const plot = new uPlot(
  {
    width: 600,
    height: 200,
    series: [
      {},
      { stroke: 'blue', fill: 'rgba(0,0,255,.3)' },
      { stroke: 'green', fill: 'rgba(0,255,0,.3)' },
      { stroke: 'red', fill: 'rgba(255,0,0,.3)' },
    ],
  },
  stacked(series(0)),
  el,
);
const first = performance.now() - t0;
const times = [];
for (let k = 1; k <= 100; k++) {
  const d = stacked(series(k));
  const s = performance.now();
  plot.batch(() => plot.setData(d));
  times.push(performance.now() - s);
}
window.result = { lib: 'uplot', first, times };
