import React, { useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, renderMarkdown } from '@grafana/data';
import { Alert, Button, Drawer, Input, LoadingPlaceholder, Stack, Tooltip, useStyles2 } from '@grafana/ui';
import { ValueFormatter } from '../../../../../shared/components/FlameGraph/domain/formatValue';
import { ExplainInput, formatChangeRow } from '../domain/explainPrompt';
import { useExplain } from '../domain/useExplain';

export interface ExplainFlameGraphProps {
  /** the flame graph as it is now, read when the button is pressed */
  getInput: () => ExplainInput | undefined;
  format: ValueFormatter;
}

/** "Explain this flame graph": the button, and a side panel streaming the model's answer with follow-ups. */
export function ExplainFlameGraph({ getInput, format }: ExplainFlameGraphProps) {
  const styles = useStyles2(getStyles);
  const { data, actions } = useExplain(getInput);
  const [question, setQuestion] = useState('');
  const { availability, open, prompt, turns, partial, error } = data;
  const streaming = partial !== undefined;
  const unavailable = availability && !availability.enabled;
  return (
    <>
      <Stack gap={1} alignItems="center">
        <Button
          size="sm"
          variant="secondary"
          icon="comment-alt"
          disabled={!availability?.enabled}
          onClick={actions.explain}
          data-testid="explain-button"
        >
          Explain this flame graph
        </Button>
        {unavailable && (
          <Tooltip content={availability.reason ?? ''}>
            <span className={styles.reason} data-testid="explain-unavailable">
              {availability.reason}
            </span>
          </Tooltip>
        )}
      </Stack>
      {open && (
        <Drawer title="Explain this flame graph" size="md" onClose={actions.close}>
          <div className={styles.panel} data-testid="explain-panel">
            {prompt?.changes && (
              <div className={styles.changes} data-testid="explain-changes">
                <div className={styles.heading}>Computed from the diff (what the model was given)</div>
                {prompt.changes.map((g) => (
                  <div key={g.title}>
                    <div className={styles.groupTitle}>{g.title}</div>
                    {g.rows.length ? (
                      <ul className={styles.list}>
                        {g.rows.map((r) => (
                          <li key={`${r.metric}:${r.name}`} data-testid="explain-change-row" data-name={r.name}>
                            {formatChangeRow(r, format)}
                          </li>
                        ))}
                      </ul>
                    ) : (
                      <div className={styles.none}>none</div>
                    )}
                  </div>
                ))}
              </div>
            )}
            {turns.map((t, i) =>
              t.role === 'assistant' ? (
                <Answer key={i} text={t.content} testId="explain-answer" />
              ) : (
                <div key={i} className={styles.question} data-testid="explain-question">
                  {t.content}
                </div>
              )
            )}
            {streaming &&
              (partial ? (
                <Answer text={partial} testId="explain-streaming" />
              ) : (
                <LoadingPlaceholder text="Waiting for the model..." />
              ))}
            {error && (
              <Alert title="The LLM request failed" severity="error">
                {error}
              </Alert>
            )}
            <form
              className={styles.followUp}
              onSubmit={(e) => {
                e.preventDefault();
                actions.askFollowUp(question);
                setQuestion('');
              }}
            >
              <Input
                placeholder="Ask a follow-up question"
                value={question}
                onChange={(e) => setQuestion(e.currentTarget.value)}
                disabled={streaming}
                data-testid="explain-followup"
              />
              <Button type="submit" disabled={streaming || !question.trim()} data-testid="explain-ask">
                Ask
              </Button>
            </form>
          </div>
        </Drawer>
      )}
    </>
  );
}

function Answer({ text, testId }: { text: string; testId: string }) {
  const styles = useStyles2(getStyles);
  // renderMarkdown sanitises its output, as everywhere in Grafana.
  return (
    <div className={styles.answer} data-testid={testId} dangerouslySetInnerHTML={{ __html: renderMarkdown(text) }} />
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  reason: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    maxWidth: 360,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  }),
  panel: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2) }),
  changes: css({
    padding: theme.spacing(1),
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  heading: css({ fontWeight: theme.typography.fontWeightMedium, marginBottom: theme.spacing(1) }),
  groupTitle: css({ color: theme.colors.text.secondary, marginTop: theme.spacing(0.5) }),
  list: css({ margin: 0, paddingLeft: theme.spacing(2), fontFamily: theme.typography.fontFamilyMonospace }),
  none: css({ color: theme.colors.text.disabled, paddingLeft: theme.spacing(2) }),
  answer: css({ lineHeight: 1.5, 'p:last-child': { marginBottom: 0 } }),
  question: css({
    alignSelf: 'flex-end',
    padding: theme.spacing(1),
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
  }),
  followUp: css({ display: 'flex', gap: theme.spacing(1) }),
});
