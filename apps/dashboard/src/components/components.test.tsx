// @vitest-environment happy-dom
/**
 * Components with their interactions, rendered into a DOM (happy-dom) with React Testing Library:
 * the feed's pause/resume and search, the filter form, the banners and the token form. What needs
 * a real browser (layout, canvas charts, the virtualized scroll, axe) is the e2e tests' part.
 */
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StreamedEvent } from '../contracts';
import { LiveStore } from '../live/store';
import type { Banner } from '../live/connection';
import { Banners } from '../app/Banners';
import { FilterBar } from '../app/FilterBar';
import { Login } from '../app/Login';
import { parseUrlState } from '../url-state';
import { Feed } from './Feed';

const NOW = Date.now();
let seq = 0;
function event(agent: string, type = 'llm_call'): StreamedEvent {
  seq++;
  return {
    event_id: `c-${seq}`,
    event_type: type,
    timestamp: new Date(NOW - 1000 + seq).toISOString(),
    received_at: new Date(NOW - 1000 + seq).toISOString(),
    source_agent: { id: agent },
    payload: {},
    metadata: {},
    stream_id: `${NOW}-${seq}`,
  } as StreamedEvent;
}

/** A store whose flushes run when the test says. */
function manualStore(capacity = 1000) {
  const queued: Array<() => void> = [];
  const store = new LiveStore(capacity, (flush) => queued.push(flush));
  const add = (events: StreamedEvent[]) =>
    act(() => {
      store.enqueue(events);
      queued.splice(0).forEach((flush) => flush());
    });
  return { store, add };
}

const count = (testId = 'feed') =>
  Number(screen.getByTestId(`${testId}-count`).getAttribute('data-count'));

afterEach(cleanup);

describe('Feed', () => {
  it('pauses without losing events: holds new ones, counts them, shows them all on resume', async () => {
    const { store, add } = manualStore();
    add([event('a'), event('b')]);
    render(<Feed store={store} query="" onQuery={() => {}} onOpen={() => {}} emptyText="none" />);
    await waitFor(() => expect(count()).toBe(2));

    fireEvent.click(screen.getByTestId('feed-pause'));
    expect(screen.getByTestId('feed-pause').getAttribute('aria-pressed')).toBe('true');
    add([event('c'), event('d'), event('e')]);
    await waitFor(() =>
      expect(screen.getByTestId('feed-paused').getAttribute('data-waiting')).toBe('3'),
    );
    expect(count()).toBe(2);
    expect(screen.getByTestId('feed-pause').textContent).toBe('Resume (3 new)');

    fireEvent.click(screen.getByTestId('feed-pause'));
    await waitFor(() => expect(count()).toBe(5));
    expect(screen.queryByTestId('feed-paused')).toBeNull();
  });

  it('says how many events left the buffer while paused', async () => {
    const { store, add } = manualStore(3);
    add([event('a'), event('b'), event('c')]);
    render(<Feed store={store} query="" onQuery={() => {}} onOpen={() => {}} emptyText="none" />);
    await waitFor(() => expect(count()).toBe(3));
    fireEvent.click(screen.getByTestId('feed-pause'));
    add([event('d'), event('e')]);
    await waitFor(() =>
      expect(screen.getByTestId('feed-paused').textContent).toContain(
        '2 older ones left the 3-event buffer',
      ),
    );
  });

  it('searches type, agent and id; an empty result says so', async () => {
    const { store, add } = manualStore();
    add([event('planner', 'tool_usage'), event('writer'), event('planner')]);
    const onQuery = vi.fn();
    const { rerender } = render(
      <Feed store={store} query="" onQuery={onQuery} onOpen={() => {}} emptyText="none" />,
    );
    fireEvent.change(screen.getByLabelText('Search the feed'), { target: { value: 'plan' } });
    expect(onQuery).toHaveBeenCalledWith('plan');
    rerender(
      <Feed store={store} query="planner" onQuery={onQuery} onOpen={() => {}} emptyText="none" />,
    );
    await waitFor(() => expect(count()).toBe(2));
    rerender(
      <Feed
        store={store}
        query="TOOL_USAGE"
        onQuery={onQuery}
        onOpen={() => {}}
        emptyText="none"
      />,
    );
    await waitFor(() => expect(count()).toBe(1));
    rerender(
      <Feed store={store} query="nobody" onQuery={onQuery} onOpen={() => {}} emptyText="none" />,
    );
    await waitFor(() => expect(screen.getByText('No event matches the search')).toBeTruthy());
  });

  it('shows its empty state with no events', () => {
    const { store } = manualStore();
    render(
      <Feed store={store} query="" onQuery={() => {}} onOpen={() => {}} emptyText="Nothing yet" />,
    );
    expect(screen.getByText('Nothing yet')).toBeTruthy();
    expect(count()).toBe(0);
  });
});

describe('FilterBar', () => {
  it('applies agents (trimmed, once each), ticked subscriptions and the threshold', () => {
    const onApply = vi.fn();
    render(<FilterBar state={parseUrlState('')} knownAgents={['planner']} onApply={onApply} />);
    fireEvent.change(screen.getByRole('combobox', { name: /Agents/ }), {
      target: { value: ' planner, writer ,planner,, ' },
    });
    fireEvent.click(screen.getByRole('checkbox', { name: 'llm_usage' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'tool_usage' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'llm_usage' })); // unticked again
    fireEvent.change(screen.getByRole('spinbutton', { name: /Minimum confidence/ }), {
      target: { value: '0.7' },
    });
    fireEvent.submit(screen.getByTestId('filter-form'));
    expect(onApply).toHaveBeenCalledWith({
      agents: ['planner', 'writer'],
      subs: ['tool_usage'],
      threshold: 0.7,
    });
  });

  it('treats a threshold outside (0, 1] as none', () => {
    const onApply = vi.fn();
    render(<FilterBar state={parseUrlState('')} knownAgents={[]} onApply={onApply} />);
    fireEvent.change(screen.getByRole('spinbutton', { name: /Minimum confidence/ }), {
      target: { value: '5' },
    });
    fireEvent.submit(screen.getByTestId('filter-form'));
    expect(onApply).toHaveBeenLastCalledWith({ agents: [], subs: [], threshold: 0 });
  });

  it('summarises the filters in force, and follows the URL when it changes', () => {
    const { rerender } = render(
      <FilterBar state={parseUrlState('')} knownAgents={[]} onApply={() => {}} />,
    );
    expect(screen.getByTestId('filter-summary').textContent).toBe('all agents · all events');
    rerender(
      <FilterBar
        state={parseUrlState('?agents=planner&subs=llm_usage&threshold=0.5')}
        knownAgents={[]}
        onApply={() => {}}
      />,
    );
    expect(screen.getByTestId('filter-summary').textContent).toBe(
      'agents: planner · llm_usage · confidence ≥ 0.5',
    );
    expect(screen.getByRole<HTMLInputElement>('combobox', { name: /Agents/ }).value).toBe(
      'planner',
    );
  });
});

describe('Banners', () => {
  it('shows each notice with its level; dismiss and the reload action call back', () => {
    const banners: Banner[] = [
      { id: 1, level: 'warning', text: 'Missed 12 events', action: 'reload-recent' },
      { id: 2, level: 'error', text: 'RATE_LIMITED: slow down' },
    ];
    const onDismiss = vi.fn();
    const onAction = vi.fn();
    render(<Banners banners={banners} onDismiss={onDismiss} onAction={onAction} />);
    const shown = screen.getAllByTestId('banner');
    expect(shown.map((b) => [b.getAttribute('data-level'), b.textContent])).toEqual([
      ['warning', 'Missed 12 eventsReload recent events✕'],
      ['error', 'RATE_LIMITED: slow down✕'],
    ]);
    fireEvent.click(screen.getByRole('button', { name: 'Reload recent events' }));
    expect(onAction).toHaveBeenCalledWith('reload-recent');
    fireEvent.click(screen.getAllByRole('button', { name: 'Dismiss notice' })[1]);
    expect(onDismiss).toHaveBeenCalledWith(2);
  });

  it('renders nothing without notices', () => {
    const { container } = render(<Banners banners={[]} onDismiss={() => {}} onAction={() => {}} />);
    expect(container.innerHTML).toBe('');
  });
});

describe('Login', () => {
  it('connects only with a token, trimmed', () => {
    const onToken = vi.fn();
    render(<Login onToken={onToken} reason="The gateway refused the token (AUTH_FAILED)" />);
    const connect = screen.getByRole<HTMLButtonElement>('button', { name: 'Connect' });
    expect(connect.disabled).toBe(true);
    expect(screen.getByText('The gateway refused the token (AUTH_FAILED)')).toBeTruthy();
    fireEvent.change(screen.getByLabelText(/JWT/), { target: { value: '  eyJ.abc.def \n' } });
    expect(connect.disabled).toBe(false);
    fireEvent.submit(screen.getByTestId('login'));
    expect(onToken).toHaveBeenCalledWith('eyJ.abc.def');
  });
});
