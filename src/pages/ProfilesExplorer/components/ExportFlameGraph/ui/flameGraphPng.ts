const LABEL_MIN_PX = 24;
const HEADER_PX = 28;

/**
 * The drawn flame graph as a PNG, painted on a canvas from the chart's frames (position, width, colour, name).
 * Not a rasterised copy of the SVG: its labels are HTML in foreignObject, which would taint the canvas.
 */
export function flameGraphToPng(svg: SVGSVGElement, title: string, background: string, text: string): Promise<Blob> {
  const width = Math.ceil(svg.getBoundingClientRect().width) || 1;
  const frames = Array.from(svg.querySelectorAll<SVGGElement>('g.frame'));
  const boxes = frames.map((g) => {
    const m = (g.getAttribute('transform') ?? '').match(/translate\(\s*([-\d.e]+)[ ,]+([-\d.e]+)\s*\)/);
    const rect = g.querySelector('rect');
    return {
      x: m ? Number(m[1]) : 0,
      y: m ? Number(m[2]) : 0,
      w: Number(rect?.getAttribute('width') ?? 0),
      h: Number(rect?.getAttribute('height') ?? 0),
      fill: rect?.getAttribute('fill') ?? '#999',
      name: g.getAttribute('name') ?? '',
    };
  });
  const height = Math.max(1, ...boxes.map((b) => b.y + b.h)) + HEADER_PX;
  const scale = 2;
  const canvas = document.createElement('canvas');
  canvas.width = width * scale;
  canvas.height = height * scale;
  const ctx = canvas.getContext('2d');
  if (!ctx) {
    return Promise.reject(new Error('no 2D canvas'));
  }
  ctx.scale(scale, scale);
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = text;
  ctx.font = '13px sans-serif';
  ctx.textBaseline = 'middle';
  ctx.fillText(title, 4, HEADER_PX / 2);
  ctx.font = '11px sans-serif';
  for (const b of boxes) {
    const y = b.y + HEADER_PX;
    ctx.fillStyle = b.fill;
    ctx.fillRect(b.x, y, Math.max(0, b.w - 0.5), Math.max(0, b.h - 0.5));
    if (b.w >= LABEL_MIN_PX) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(b.x, y, b.w - 2, b.h);
      ctx.clip();
      ctx.fillStyle = '#000';
      ctx.fillText(b.name, b.x + 3, y + b.h / 2);
      ctx.restore();
    }
  }
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('PNG encoding failed'))), 'image/png')
  );
}

export function downloadBlob(blob: Blob, fileName: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has started from the element; the URL is not needed after this tick.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
