import { BaseType, Selection, ValueFn, selection } from 'd3-selection';

type AnySelection = Selection<BaseType, unknown, BaseType, unknown>;
type Value = string | number | boolean | null;
type AttrValue = Value | ValueFn<BaseType, unknown, Value>;

/** What d3-flame-graph calls on its transitions, applied to the selection at once. */
interface ImmediateTransition {
  duration(ms?: number): ImmediateTransition;
  delay(ms?: number): ImmediateTransition;
  ease(fn?: unknown): ImmediateTransition;
  attr(name: string, value: AttrValue): ImmediateTransition;
  style(name: string, value: AttrValue, priority?: 'important' | null): ImmediateTransition;
  text(value: AttrValue): ImmediateTransition;
}

function immediate(target: AnySelection): ImmediateTransition {
  const t: ImmediateTransition = {
    duration: () => t,
    delay: () => t,
    ease: () => t,
    attr: (name, value) => {
      target.attr(name, value);
      return t;
    },
    style: (name, value, priority) => {
      if (value === null) {
        target.style(name, null);
      } else if (typeof value === 'function') {
        // d3's overloads take a constant or a function, not their union
        target.style(name, value, priority ?? null);
      } else {
        target.style(name, value, priority ?? null);
      }
      return t;
    },
    text: (value) => {
      target.text(value);
      return t;
    },
  };
  return t;
}

/**
 * Runs `draw` with d3 transitions that are the selection itself. d3-flame-graph moves, resizes and labels its
 * frames through transitions even at a duration of 0: each is scheduled on d3's timer, interpolated (every
 * transform parsed through an SVG element) and applied on a later tick, which was over a third of a 16k-node
 * zoom's JavaScript. The app draws without animation, so the same attributes and texts are written at once;
 * transitions started outside `draw` are untouched.
 */
export function withImmediateTransitions<T>(draw: () => T): T {
  const proto = selection.prototype as unknown as { transition: (this: AnySelection) => unknown };
  const original = proto.transition;
  proto.transition = function (this: AnySelection) {
    return immediate(this);
  };
  try {
    return draw();
  } finally {
    proto.transition = original;
  }
}
