import * as echarts from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { series } from './data.js';
echarts.use([LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);
const el = document.getElementById('app');
el.style.width = '600px';
el.style.height = '200px';
const option = (d) => ({
  animation: false,
  tooltip: { trigger: 'axis' },
  legend: {},
  xAxis: { type: 'time' },
  yAxis: { type: 'value' },
  series: ['a', 'b', 'c'].map((k) => ({
    name: k,
    type: 'line',
    stack: 's',
    areaStyle: {},
    showSymbol: false,
    sampling: 'lttb',
    data: Array.from(d.x, (x, i) => [x * 1000, d[k][i]]),
  })),
});
const t0 = performance.now();
const chart = echarts.init(el, null, { renderer: 'canvas' });
chart.setOption(option(series(0)));
chart.getZr().refreshImmediately();
const first = performance.now() - t0;
const times = [];
for (let k = 1; k <= 100; k++) {
  const d = series(k);
  const s = performance.now();
  chart.setOption(option(d));
  chart.getZr().refreshImmediately();
  times.push(performance.now() - s);
}
window.result = { lib: 'echarts', first, times };
