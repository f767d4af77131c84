import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { loadDashboardConfig } from './app/config';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

loadDashboardConfig().then(
  (config) => root.render(<App config={config} />),
  (error: Error) =>
    root.render(
      <div className="state state-error" role="alert">
        <strong>The dashboard cannot start</strong>
        <p>{error.message}. Is this page served by an AUREN gateway?</p>
      </div>,
    ),
);
