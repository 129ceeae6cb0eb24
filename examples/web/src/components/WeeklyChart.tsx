import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'react';
import { formatDuration } from '../format.js';

// Only what a bar chart needs, so the bundle carries no other chart type.
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

/** The bars' colour: the app's accent (`--accent` in styles.css). */
const BAR_COLOUR = '#4338ca';

/** What the chart shows, as written on its canvas's `data-chart` for tests and tools. */
export interface WeeklyChartData {
  labels: string[];
  /** Minutes studied per label, to the tenth. */
  minutes: number[];
}

/**
 * A bar chart of study time per day, drawn by Chart.js on a canvas. The chart is made once per
 * mount and fed new data on every change (no re-creation, so no flicker between weeks), and
 * destroyed on unmount. The canvas is an image to assistive technology, named by `label`; the
 * page lists the same figures as text beside it. After each update the canvas carries the
 * chart's own data as JSON in `data-chart` ({@link WeeklyChartData}).
 */
export function WeeklyChart({ label, labels, seconds }: { label: string; labels: string[]; seconds: number[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar', number[], string>>(undefined);

  useEffect(() => {
    if (!canvas.current) return undefined;
    const made = new Chart<'bar', number[], string>(canvas.current, {
      type: 'bar',
      data: { labels: [], datasets: [{ label: 'Minutes studied', data: [], backgroundColor: BAR_COLOUR, borderRadius: 6 }] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          y: { beginAtZero: true, title: { display: true, text: 'Minutes' }, ticks: { precision: 0 } },
          x: { grid: { display: false } },
        },
        plugins: {
          tooltip: { callbacks: { label: (item) => formatDuration(Math.round((item.parsed.y ?? 0) * 60)) } },
        },
      },
    });
    chart.current = made;
    return () => {
      made.destroy();
      chart.current = undefined;
    };
  }, []);

  useEffect(() => {
    const made = chart.current;
    if (!made || !canvas.current) return;
    made.data.labels = labels;
    made.data.datasets[0]!.data = seconds.map((s) => Math.round(s / 6) / 10);
    made.update();
    const shown: WeeklyChartData = { labels: made.data.labels, minutes: made.data.datasets[0]!.data };
    canvas.current.dataset.chart = JSON.stringify(shown);
  }, [labels, seconds]);

  return (
    <div className="chart">
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}
