import { describe, expect, it } from 'vitest';
import { IllegalTransitionError, StreamState, TRANSITIONS, nextState } from './stream-state.js';
import type { ConnectionState, StreamEvent } from './stream-state.js';

function walk(events: StreamEvent[]): ConnectionState {
  const s = new StreamState();
  for (const e of events) s.apply(e);
  return s.state;
}

describe('the stream state machine', () => {
  it('follows a classic login: STARTTLS, SASL, bind', () => {
    expect(walk(['starttls', 'tls-established', 'authenticated', 'bind-requested', 'bound'])).toBe(
      'bound',
    );
  });

  it('goes back to authenticated when a bind or resumption fails', () => {
    expect(walk(['authenticated', 'bind-requested', 'bind-failed'])).toBe('authenticated');
    expect(walk(['authenticated', 'bind-requested', 'bind-failed', 'bind-requested'])).toBe(
      'binding',
    );
  });

  it('closes from every open state, and ends closed', () => {
    for (const prefix of [
      [],
      ['starttls'],
      ['authenticated'],
      ['authenticated', 'bind-requested'],
    ] as StreamEvent[][]) {
      expect(walk([...prefix, 'close', 'closed'])).toBe('closed');
      expect(walk([...prefix, 'closed'])).toBe('closed');
    }
  });

  it('refuses what the table does not allow, and leaves the state as it was', () => {
    const s = new StreamState();
    expect(() => s.apply('bound')).toThrow(IllegalTransitionError);
    expect(s.state).toBe('negotiating');
    s.apply('authenticated');
    expect(() => s.apply('authenticated')).toThrow(
      "stream event 'authenticated' is not allowed in state 'authenticated'",
    );
    expect(() => s.apply('starttls')).toThrow(IllegalTransitionError);
    s.apply('close');
    expect(() => s.apply('close')).toThrow(IllegalTransitionError);
    s.apply('closed');
    for (const event of Object.keys(TRANSITIONS) as StreamEvent[]) {
      expect(nextState('closed', event), event).toBeUndefined();
    }
  });

  it('never leads into tls-handshake or out of it except through STARTTLS and its completion', () => {
    const into = (Object.entries(TRANSITIONS) as [StreamEvent, { to: ConnectionState }][])
      .filter(([, t]) => t.to === 'tls-handshake')
      .map(([e]) => e);
    expect(into).toEqual(['starttls']);
    expect(nextState('tls-handshake', 'authenticated')).toBeUndefined();
  });
});
