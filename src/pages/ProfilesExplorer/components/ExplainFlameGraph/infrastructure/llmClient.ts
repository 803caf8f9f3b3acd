import { isAppPluginInstalled } from '@grafana/runtime';
import { llm } from '@grafana/llm';
import { Observable } from 'rxjs';

export interface LlmAvailability {
  enabled: boolean;
  /** why Explain cannot be used, in the user's terms */
  reason?: string;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

const CHECK_TTL_MS = 30_000;
const LLM_APP_ID = 'grafana-llm-app';
let check: { at: number; promise: Promise<LlmAvailability> } | undefined;

/**
 * Whether the Grafana LLM app is installed, enabled and has a working provider. Never throws: a missing app
 * (its settings route answers 404) is a reason to show, not an error.
 */
export function llmAvailability(): Promise<LlmAvailability> {
  const now = Date.now();
  if (!check || now - check.at > CHECK_TTL_MS) {
    // Grafana lists every installed app, enabled or not: without the LLM app there is nothing to ask (its
    // routes would answer 404).
    const promise = isAppPluginInstalled(LLM_APP_ID)
      .catch(() => true)
      .then((installed) =>
        installed ? health() : { enabled: false, reason: 'The Grafana LLM app is not installed.' }
      );
    check = { at: now, promise };
  }
  return check.promise;
}

function health(): Promise<LlmAvailability> {
  return llm
    .health()
    .then((h): LlmAvailability => {
      if (h.configured && h.ok) {
        return { enabled: true };
      }
      return {
        enabled: false,
        reason: h.error || 'The Grafana LLM app has no working LLM provider configured.',
      };
    })
    .catch((e: unknown) => ({ enabled: false, reason: `The Grafana LLM app could not be reached: ${String(e)}` }));
}

/** The answer so far, growing with every streamed chunk (over Grafana Live, as @grafana/llm streams). */
export function streamAnswer(messages: ChatMessage[]): Observable<string> {
  return llm.streamChatCompletions({ model: llm.Model.BASE, messages }).pipe(llm.accumulateContent());
}
