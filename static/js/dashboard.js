// Charts of the dashboards. Each <canvas data-chart="ID"> draws the JSON that the page put
// in <script type="application/json" id="ID"> (json_script); the same figures are on the
// page as a table, so nothing is lost without JavaScript or when printing.
(() => {
  "use strict";

  const COLORS = ["#0d6efd", "#dc3545", "#198754", "#fd7e14"];
  const lang = document.documentElement.lang || "vi";
  const number = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });

  function axisFor(spec, dataset) {
    return dataset.yAxisID === "rate" || spec.percent ? "percent" : "count";
  }

  function buildConfig(spec) {
    const datasets = spec.datasets.map((dataset, index) => {
      const color = COLORS[index % COLORS.length];
      const line = dataset.type === "line";
      return {
        type: dataset.type,
        label: dataset.label,
        data: dataset.data,
        yAxisID: dataset.yAxisID || "y",
        backgroundColor: line ? color : `${color}b3`,
        borderColor: color,
        borderWidth: line ? 2 : 0,
        borderDash: line && spec.percent ? [6, 4] : [],
        pointRadius: line ? 4 : 0,
        spanGaps: false,
        // A marker at 100% (or 0) is drawn whole, not cut by the edge of the chart area.
        clip: false,
        order: line ? 0 : 1,
      };
    });
    const percentTick = (value) => `${number.format(value)}%`;
    const scales = {
      y: {
        beginAtZero: true,
        max: spec.percent ? 100 : undefined,
        ticks: { callback: spec.percent ? percentTick : (v) => number.format(v), precision: 0 },
      },
    };
    if (spec.datasets.some((d) => d.yAxisID === "rate")) {
      scales.rate = {
        position: "right",
        min: 0,
        max: 100,
        grid: { drawOnChartArea: false },
        ticks: { callback: percentTick },
      };
    }
    return {
      data: { labels: spec.labels, datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        // Drawn at once: a chart caught mid-animation would print (or screenshot) half-drawn.
        animation: false,
        // Room above the 100% line for the markers drawn on it.
        layout: { padding: { top: 8, right: 4 } },
        scales,
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: (ctx) => {
                const value = ctx.parsed.y;
                if (value === null || value === undefined) return `${ctx.dataset.label}: —`;
                const shown = axisFor(spec, ctx.dataset) === "percent" ? `${number.format(value)}%` : number.format(value);
                return `${ctx.dataset.label}: ${shown}`;
              },
            },
          },
        },
      },
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (typeof window.Chart === "undefined") return;
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      const spec = JSON.parse(source.textContent);
      // eslint-disable-next-line no-new
      new window.Chart(canvas, buildConfig(spec));
    });
  });
})();
