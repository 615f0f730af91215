/**
 * ChartComponent — small dependency-free SVG charts (bar, donut, burndown line) for the iteration dashboard.
 *
 * NOTE: the dashboard was postponed to release 1.3; main.js does not import this module yet, so the production
 * bundle drops it (tree shaking). It stays in the source tree with its tests because the dashboard branch uses it.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/** "Nice" axis maximum and tick step for a data maximum (1, 2, 5 × 10^n). */
export function niceScale(maxValue, tickCount = 5) {
  if (!(maxValue > 0)) return { max: 1, step: 0.2 };
  const rough = maxValue / tickCount;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const residual = rough / magnitude;
  const nice = residual > 5 ? 10 : residual > 2 ? 5 : residual > 1 ? 2 : 1;
  const step = nice * magnitude;
  return { max: Math.ceil(maxValue / step) * step, step };
}

/** Converts donut segments into SVG arc paths (angles in radians, starting at 12 o'clock). */
export function donutArcs(values, { radius = 50, thickness = 16 } = {}) {
  const total = values.reduce((sum, v) => sum + Math.max(0, v.value), 0);
  if (!total) return [];
  let angle = -Math.PI / 2;
  const inner = radius - thickness;
  return values.map((segment) => {
    const sweep = (Math.max(0, segment.value) / total) * Math.PI * 2;
    // A full circle cannot be drawn as one arc; stop just short of it.
    const end = angle + Math.min(sweep, Math.PI * 2 - 1e-4);
    const large = sweep > Math.PI ? 1 : 0;
    const p = (r, a) => `${(r * Math.cos(a)).toFixed(3)} ${(r * Math.sin(a)).toFixed(3)}`;
    const d = `M ${p(radius, angle)} A ${radius} ${radius} 0 ${large} 1 ${p(radius, end)} L ${p(inner, end)} A ${inner} ${inner} 0 ${large} 0 ${p(inner, angle)} Z`;
    angle += sweep;
    return { ...segment, d, share: segment.value / total };
  });
}

export class ChartComponent {
  constructor(container, { width = 480, height = 240, title = '' } = {}) {
    this.container = container;
    this.width = width;
    this.height = height;
    this.title = title;
  }

  #svg(viewBox) {
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', viewBox);
    svg.setAttribute('role', 'img');
    svg.setAttribute('class', 'umig-chart');
    if (this.title) {
      const title = document.createElementNS(SVG_NS, 'title');
      title.textContent = this.title;
      svg.append(title);
    }
    return svg;
  }

  #node(name, attrs) {
    const el = document.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    return el;
  }

  /** Vertical bars: data = [{ label, value, color }]. */
  bar(data) {
    const margin = { top: 10, right: 10, bottom: 30, left: 40 };
    const innerW = this.width - margin.left - margin.right;
    const innerH = this.height - margin.top - margin.bottom;
    const { max, step } = niceScale(Math.max(0, ...data.map((d) => d.value)));
    const svg = this.#svg(`0 0 ${this.width} ${this.height}`);
    const g = this.#node('g', { transform: `translate(${margin.left},${margin.top})` });
    for (let tick = 0; tick <= max + 1e-9; tick += step) {
      const y = innerH - (tick / max) * innerH;
      g.append(this.#node('line', { x1: 0, x2: innerW, y1: y, y2: y, class: 'umig-chart__grid' }));
      const label = this.#node('text', { x: -6, y: y + 4, 'text-anchor': 'end', class: 'umig-chart__tick' });
      label.textContent = String(Math.round(tick * 100) / 100);
      g.append(label);
    }
    const band = innerW / Math.max(1, data.length);
    data.forEach((d, i) => {
      const h = (d.value / max) * innerH;
      const rect = this.#node('rect', { x: i * band + band * 0.15, y: innerH - h, width: band * 0.7, height: h, fill: d.color ?? '#0052CC' });
      const tip = this.#node('title', {});
      tip.textContent = `${d.label}: ${d.value}`;
      rect.append(tip);
      const label = this.#node('text', { x: i * band + band / 2, y: innerH + 18, 'text-anchor': 'middle', class: 'umig-chart__label' });
      label.textContent = d.label;
      g.append(rect, label);
    });
    svg.append(g);
    this.container.replaceChildren(svg);
    return svg;
  }

  /** Donut of status shares: data = [{ label, value, color }]. */
  donut(data) {
    const svg = this.#svg('-60 -60 120 120');
    for (const arc of donutArcs(data)) {
      const path = this.#node('path', { d: arc.d, fill: arc.color ?? '#6B778C' });
      const tip = this.#node('title', {});
      tip.textContent = `${arc.label}: ${arc.value} (${Math.round(arc.share * 100)}%)`;
      path.append(tip);
      svg.append(path);
    }
    const total = data.reduce((s, d) => s + d.value, 0);
    const text = this.#node('text', { x: 0, y: 5, 'text-anchor': 'middle', class: 'umig-chart__total' });
    text.textContent = String(total);
    svg.append(text);
    this.container.replaceChildren(svg);
    return svg;
  }

  /** Burndown: planned vs actual remaining minutes over time; points = [{ t, planned, actual }]. */
  burndown(points) {
    const margin = { top: 10, right: 10, bottom: 24, left: 44 };
    const innerW = this.width - margin.left - margin.right;
    const innerH = this.height - margin.top - margin.bottom;
    if (!points.length) {
      this.container.textContent = 'No data yet.';
      return null;
    }
    const t0 = points[0].t;
    const t1 = points[points.length - 1].t || t0 + 1;
    const { max } = niceScale(Math.max(...points.map((p) => Math.max(p.planned ?? 0, p.actual ?? 0))));
    const x = (t) => ((t - t0) / (t1 - t0 || 1)) * innerW;
    const y = (v) => innerH - (v / max) * innerH;
    const line = (key) =>
      points
        .filter((p) => typeof p[key] === 'number')
        .map((p, i) => `${i ? 'L' : 'M'} ${x(p.t).toFixed(1)} ${y(p[key]).toFixed(1)}`)
        .join(' ');
    const svg = this.#svg(`0 0 ${this.width} ${this.height}`);
    const g = this.#node('g', { transform: `translate(${margin.left},${margin.top})` });
    g.append(
      this.#node('path', { d: line('planned'), class: 'umig-chart__planned', fill: 'none', stroke: '#6B778C', 'stroke-dasharray': '4 3' }),
      this.#node('path', { d: line('actual'), class: 'umig-chart__actual', fill: 'none', stroke: '#0052CC', 'stroke-width': 2 }),
    );
    svg.append(g);
    this.container.replaceChildren(svg);
    return svg;
  }
}

export default ChartComponent;
