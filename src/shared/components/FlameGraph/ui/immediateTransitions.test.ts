import { select } from 'd3-selection';
import 'd3-transition';
import { withImmediateTransitions } from './immediateTransitions';

function frames(values: number[]) {
  const svg = select(document.body).append('svg');
  return svg
    .selectAll('g')
    .data(values)
    .enter()
    .append('g')
    .attr('transform', 'translate(0,0)')
    .each(function () {
      select(this).append('rect');
      select(this).append('foreignObject').append('xhtml:div');
    });
}

describe('withImmediateTransitions', () => {
  afterEach(() => document.body.replaceChildren());

  it('writes what a zero-length transition would write, before it returns', () => {
    const g = frames([1, 2, 3]);
    withImmediateTransitions(() => {
      g.transition()
        .duration(0)
        .ease((t) => t)
        .attr('transform', (d) => `translate(${d * 10},0)`);
      g.select('rect')
        .transition()
        .delay(0)
        .attr('width', (d) => d * 2);
      g.select('div')
        .transition()
        .delay(0)
        .text((d) => `frame ${d}`);
      g.select('foreignObject').transition().style('opacity', '0.5');
    });
    const nodes = g.nodes();
    expect(nodes.map((n) => n.getAttribute('transform'))).toEqual([
      'translate(10,0)',
      'translate(20,0)',
      'translate(30,0)',
    ]);
    expect(nodes.map((n) => n.querySelector('rect')!.getAttribute('width'))).toEqual(['2', '4', '6']);
    expect(nodes.map((n) => n.querySelector('div')!.textContent)).toEqual(['frame 1', 'frame 2', 'frame 3']);
    expect(nodes.map((n) => (n.querySelector('foreignObject') as SVGElement).style.opacity)).toEqual([
      '0.5',
      '0.5',
      '0.5',
    ]);
  });

  it('leaves transitions outside the call as d3 makes them, also after a failed draw', () => {
    const g = frames([1]);
    expect(() =>
      withImmediateTransitions(() => {
        throw new Error('draw failed');
      })
    ).toThrow('draw failed');
    // a real transition applies nothing until d3's timer runs
    g.transition().duration(0).attr('transform', 'translate(99,0)');
    expect(g.attr('transform')).toBe('translate(0,0)');
    expect(typeof g.transition().tween).toBe('function');
  });
});
