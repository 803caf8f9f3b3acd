// d3-flame-graph 5 ships no types: the part of its API this app uses.
declare module 'd3-flame-graph' {
  import type { HierarchyRectangularNode } from 'd3-hierarchy';

  export interface FlameGraphTooltip {
    (selection: unknown): void;
    show(event: MouseEvent, d: HierarchyRectangularNode<unknown>): void;
    hide(): void;
  }

  export interface FlameGraph<Datum> {
    (selection: unknown): void;
    width(w: number): FlameGraph<Datum>;
    height(h: number | null): FlameGraph<Datum>;
    minHeight(h: number): FlameGraph<Datum>;
    cellHeight(h: number): FlameGraph<Datum>;
    transitionDuration(ms: number): FlameGraph<Datum>;
    minFrameSize(px: number): FlameGraph<Datum>;
    sort(s: boolean | ((a: unknown, b: unknown) => number)): FlameGraph<Datum>;
    inverted(i: boolean): FlameGraph<Datum>;
    selfValue(s: boolean): FlameGraph<Datum>;
    resetHeightOnZoom(r: boolean): FlameGraph<Datum>;
    tooltip(t: FlameGraphTooltip | boolean): FlameGraph<Datum>;
    setColorMapper(f: (d: HierarchyRectangularNode<Datum>, originalColor?: string) => string): FlameGraph<Datum>;
    setDetailsHandler(f: (text: string | null) => void): FlameGraph<Datum>;
    onClick(f: (d: HierarchyRectangularNode<Datum>) => void): FlameGraph<Datum>;
    update(data?: Datum): FlameGraph<Datum>;
    destroy(): FlameGraph<Datum>;
  }

  export default function flamegraph<Datum = unknown>(): FlameGraph<Datum>;
}
