import { resolve } from 'node:path';
export default {
  build: {
    outDir: 'dist',
    rollupOptions: {
      input: { uplot: resolve('uplot/index.html'), echarts: resolve('echarts/index.html') },
    },
  },
};
