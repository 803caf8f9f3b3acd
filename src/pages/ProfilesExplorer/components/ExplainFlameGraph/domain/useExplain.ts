import { useCallback, useEffect, useRef, useState } from 'react';
import { Subscription } from 'rxjs';
import { ChatMessage, LlmAvailability, llmAvailability, streamAnswer } from '../infrastructure/llmClient';
import { ExplainInput, ExplainPrompt, buildExplainPrompt } from './explainPrompt';

export interface ExplainState {
  availability?: LlmAvailability;
  open: boolean;
  prompt?: ExplainPrompt;
  /** the conversation after the system and first user message: answers and follow-up questions */
  turns: ChatMessage[];
  /** the answer being streamed, undefined when none is */
  partial?: string;
  error?: string;
}

export interface ExplainActions {
  explain: () => void;
  askFollowUp: (question: string) => void;
  close: () => void;
}

/** Explain: build the prompt from the current flame graph, stream answers, keep the conversation. */
export function useExplain(getInput: () => ExplainInput | undefined): { data: ExplainState; actions: ExplainActions } {
  const [state, setState] = useState<ExplainState>({ open: false, turns: [] });
  const subscription = useRef<Subscription | undefined>(undefined);

  useEffect(() => {
    let alive = true;
    llmAvailability().then((availability) => alive && setState((s) => ({ ...s, availability })));
    return () => {
      alive = false;
      subscription.current?.unsubscribe();
    };
  }, []);

  const run = useCallback((prompt: ExplainPrompt, turns: ChatMessage[]) => {
    subscription.current?.unsubscribe();
    const messages: ChatMessage[] = [
      { role: 'system', content: prompt.system },
      { role: 'user', content: prompt.user },
      ...turns,
    ];
    setState((s) => ({ ...s, open: true, prompt, turns, partial: '', error: undefined }));
    let answer = '';
    subscription.current = streamAnswer(messages).subscribe({
      next: (text) => {
        answer = text;
        setState((s) => ({ ...s, partial: text }));
      },
      error: (e: unknown) =>
        setState((s) => ({
          ...s,
          partial: undefined,
          error: (e as Error)?.message ?? String(e),
          turns: answer ? [...s.turns, { role: 'assistant', content: answer }] : s.turns,
        })),
      complete: () =>
        setState((s) => ({ ...s, partial: undefined, turns: [...s.turns, { role: 'assistant', content: answer }] })),
    });
  }, []);

  const explain = useCallback(() => {
    const input = getInput();
    if (!input || !state.availability?.enabled) {
      return;
    }
    run(buildExplainPrompt(input), []);
  }, [getInput, run, state.availability]);

  const askFollowUp = useCallback(
    (question: string) => {
      if (!state.prompt || state.partial !== undefined || !question.trim()) {
        return;
      }
      run(state.prompt, [...state.turns, { role: 'user', content: question.trim() }]);
    },
    [run, state.prompt, state.partial, state.turns]
  );

  const close = useCallback(() => {
    subscription.current?.unsubscribe();
    setState((s) => ({ ...s, open: false, partial: undefined }));
  }, []);

  return { data: state, actions: { explain, askFollowUp, close } };
}
