import { describe, expect, it } from "vitest";
import { niceMax, perSecond, timelineSvg } from "./plot";

describe("timelineSvg", () => {
  const svg = timelineSvg({
    title: "switchover <nginx>",
    yLabel: "requests/s",
    series: [
      { name: "ok", points: [[0, 100], [1, 950], [2, 1000]], color: "steelblue" },
      { name: "failed", points: [[1, 3], [2, 0]], color: "crimson", bars: true },
    ],
    markers: [{ t: 1.2, label: "v2 acknowledged" }],
  });
  it("draws one polyline per line series, a bar per non-zero failure bucket, and every marker", () => {
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(svg.match(/fill="crimson"/g)).toHaveLength(2); // one bar + the legend swatch
    expect(svg).toContain("v2 acknowledged");
  });
  it("escapes text and is well-formed enough to start and end as SVG", () => {
    expect(svg).toContain("switchover &lt;nginx&gt;");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trim().endsWith("</svg>")).toBe(true);
  });
  it("scales the y axis to a nice bound above the maximum", () => {
    expect(niceMax(1000)).toBe(1000);
    expect(niceMax(1001)).toBe(2000);
    expect(niceMax(3)).toBe(5);
    expect(niceMax(0)).toBe(1);
  });
});

describe("perSecond", () => {
  it("counts events per one-second bucket, centred on the half second", () => {
    expect(perSecond([0, 10, 999, 1000, 2500], 3)).toEqual([[0.5, 3], [1.5, 1], [2.5, 1]]);
  });
});
