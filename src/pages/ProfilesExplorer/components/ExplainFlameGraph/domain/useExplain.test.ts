import { act, renderHook, waitFor } from '@testing-library/react';
import { Subject } from 'rxjs';
import { flamebearerToTree } from '../../../../../shared/domain/converters/flamebearer';
import { valueFormatter } from '../../../../../shared/components/FlameGraph/domain/formatValue';
import type { ChatMessage } from '../infrastructure/llmClient';
import { ExplainInput } from './explainPrompt';
import { useExplain } from './useExplain';

const streams: Array<{ messages: ChatMessage[]; subject: Subject<string> }> = [];
let available = { enabled: true, reason: undefined as string | undefined };

jest.mock('../infrastructure/llmClient', () => ({
  llmAvailability: async () => available,
  streamAnswer: (messages: ChatMessage[]) => {
    const subject = new Subject<string>();
    streams.push({ messages, subject });
    return subject.asObservable();
  },
}));

const input: ExplainInput = {
  kind: 'single',
  tree: flamebearerToTree({
    names: ['total', 'main'],
    levels: [
      [0, 10, 0, 0],
      [0, 10, 10, 1],
    ],
  }),
  serviceName: 'checkout',
  profileMetricId: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
  window: { start: 0, end: 60_000 },
  format: valueFormatter('ns'),
};

describe('useExplain', () => {
  beforeEach(() => {
    streams.length = 0;
    available = { enabled: true, reason: undefined };
  });

  it('streams the answer, keeps it, and sends follow-ups with the whole conversation', async () => {
    const { result } = renderHook(() => useExplain(() => input));
    await waitFor(() => expect(result.current.data.availability?.enabled).toBe(true));
    act(() => result.current.actions.explain());
    expect(result.current.data.open).toBe(true);
    expect(streams[0].messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(streams[0].messages[1].content).toContain('service "checkout"');
    act(() => streams[0].subject.next('Hello'));
    expect(result.current.data.partial).toBe('Hello');
    act(() => streams[0].subject.next('Hello world'));
    expect(result.current.data.partial).toBe('Hello world');
    act(() => streams[0].subject.complete());
    expect(result.current.data.partial).toBeUndefined();
    expect(result.current.data.turns).toEqual([{ role: 'assistant', content: 'Hello world' }]);

    act(() => result.current.actions.askFollowUp('  and then?  '));
    expect(streams[1].messages.slice(2)).toEqual([
      { role: 'assistant', content: 'Hello world' },
      { role: 'user', content: 'and then?' },
    ]);
    // A question while an answer streams is not sent.
    act(() => result.current.actions.askFollowUp('too early'));
    expect(streams).toHaveLength(2);
    act(() => streams[1].subject.error(new Error('model overloaded')));
    expect(result.current.data.error).toBe('model overloaded');
    expect(result.current.data.partial).toBeUndefined();
  });

  it('does nothing when the LLM app is not available', async () => {
    available = { enabled: false, reason: 'The Grafana LLM app is not installed.' };
    const { result } = renderHook(() => useExplain(() => input));
    await waitFor(() => expect(result.current.data.availability?.reason).toBe('The Grafana LLM app is not installed.'));
    act(() => result.current.actions.explain());
    expect(streams).toHaveLength(0);
    expect(result.current.data.open).toBe(false);
  });
});
