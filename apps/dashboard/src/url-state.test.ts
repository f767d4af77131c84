import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STATE,
  parseUrlState,
  serializeUrlState,
  serverFiltersDiffer,
  subscriptionsFor,
} from './url-state';

describe('url state', () => {
  it('is empty for the defaults and parses an empty query to them', () => {
    expect(serializeUrlState(DEFAULT_STATE)).toBe('');
    expect(parseUrlState('')).toEqual(DEFAULT_STATE);
  });

  it('round-trips a view with filters', () => {
    const state = {
      ...DEFAULT_STATE,
      view: 'agent' as const,
      agent: 'neuroscientist',
      agents: ['neuroscientist', 'training_coach'],
      subs: ['llm_usage' as const, 'tool_usage' as const],
      threshold: 0.8,
      range: 60 as const,
      q: 'gpt 4o',
    };
    const query = serializeUrlState(state);
    expect(query).toContain('view=agent');
    expect(parseUrlState(query)).toEqual(state);
  });

  it('drops what it does not know', () => {
    const state = parseUrlState(
      '?view=nope&range=7&threshold=3&subs=llm_usage,bogus,alerts,all_events&agents=a,,a,b',
    );
    expect(state.view).toBe('overview');
    expect(state.range).toBe(15);
    expect(state.threshold).toBe(0);
    expect(state.subs).toEqual(['llm_usage']);
    expect(state.agents).toEqual(['a', 'b']);
  });

  it('always asks for alerts, and all_events when no type is chosen', () => {
    expect(subscriptionsFor([])).toEqual(['all_events', 'alerts']);
    expect(subscriptionsFor(['llm_usage'])).toEqual(['llm_usage', 'alerts']);
  });

  it('tells server-side filter changes from view changes', () => {
    expect(serverFiltersDiffer(DEFAULT_STATE, { ...DEFAULT_STATE, view: 'agent', q: 'x' })).toBe(
      false,
    );
    expect(serverFiltersDiffer(DEFAULT_STATE, { ...DEFAULT_STATE, agents: ['a'] })).toBe(true);
    expect(serverFiltersDiffer(DEFAULT_STATE, { ...DEFAULT_STATE, threshold: 0.5 })).toBe(true);
    expect(serverFiltersDiffer(DEFAULT_STATE, { ...DEFAULT_STATE, subs: ['tool_usage'] })).toBe(
      true,
    );
  });
});
