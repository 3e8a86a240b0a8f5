/**
 * A small SVG timeline for benchmark results: lines over time (e.g. requests/s), bars for failures, and
 * vertical markers for events (e.g. the steps of a switchover). Pure: data in, SVG text out, so it is unit
 * tested and needs no browser or canvas.
 */

export interface Series {
  name: string;
  /** [seconds since start, value] */
  points: [number, number][];
  color: string;
  /** Bars instead of a line (used for failures per second). */
  bars?: boolean;
}

export interface Marker {
  t: number;
  label: string;
}

export interface TimelineSpec {
  title: string;
  yLabel: string;
  series: Series[];
  markers?: Marker[];
  width?: number;
  height?: number;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten. */
export function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= x)!;
}

export function timelineSvg(spec: TimelineSpec): string {
  const W = spec.width ?? 900;
  const H = spec.height ?? 360;
  const m = { left: 70, right: 20, top: 40, bottom: 60 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const all = spec.series.flatMap((s) => s.points);
  const tMax = Math.max(1, ...all.map((p) => p[0]), ...(spec.markers ?? []).map((k) => k.t));
  const yMax = niceMax(Math.max(0, ...all.map((p) => p[1])));
  const x = (t: number) => m.left + (t / tMax) * pw;
  const y = (v: number) => m.top + ph - (v / yMax) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(spec.title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const v = (yMax / 5) * i;
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${y(v) + 4}" text-anchor="end">${Number(v.toPrecision(3))}</text>`);
  }
  const tStep = niceMax(tMax / 10);
  for (let t = 0; t <= tMax + 1e-9; t += tStep) out.push(`<text x="${x(t)}" y="${m.top + ph + 16}" text-anchor="middle">${Number(t.toPrecision(3))}</text>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 30}" text-anchor="middle">seconds</text>`);
  out.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="black"/>`);
  out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="black"/>`);
  for (const s of spec.series) {
    if (s.bars) {
      const bw = Math.max(2, pw / Math.max(1, tMax) / 2);
      for (const [t, v] of s.points) if (v > 0) out.push(`<rect x="${x(t) - bw / 2}" y="${y(v)}" width="${bw}" height="${m.top + ph - y(v)}" fill="${s.color}"/>`);
    } else if (s.points.length) {
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ")}"/>`);
    }
  }
  (spec.markers ?? []).forEach((k, i) => {
    out.push(`<line x1="${x(k.t)}" x2="${x(k.t)}" y1="${m.top}" y2="${m.top + ph}" stroke="#555" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${x(k.t) + 3}" y="${m.top + 12 + (i % 4) * 13}" fill="#333">${esc(k.label)}</text>`);
  });
  spec.series.forEach((s, i) => {
    const lx = m.left + i * 200;
    out.push(`<rect x="${lx}" y="${H - 16}" width="12" height="8" fill="${s.color}"/><text x="${lx + 16}" y="${H - 8}">${esc(s.name)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}

/** Buckets event timestamps (ms since start) into per-second counts: [second, count][]. */
export function perSecond(timesMs: number[], durationS: number): [number, number][] {
  const buckets = new Array(Math.max(1, Math.ceil(durationS))).fill(0) as number[];
  for (const t of timesMs) {
    const b = Math.floor(t / 1000);
    if (b >= 0 && b < buckets.length) buckets[b]++;
  }
  return buckets.map((c, i) => [i + 0.5, c]);
}
