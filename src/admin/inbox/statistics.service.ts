import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export const STATISTICS_WEEKS = 12;

/** Inquiries per UK week (Monday to Sunday) and topic, spam left out. */
export interface WeeklyByTopic {
  /** Oldest first; `week` is the Monday it starts on (YYYY-MM-DD). */
  weeks: { week: string; counts: Record<string, number>; total: number }[];
  /** Topics in the form's order: the active ones, and inactive ones that still had inquiries in these weeks. */
  topics: { key: string; label: string; total: number }[];
  total: number;
  /** Every topic's label by key, inactive ones included (for §5's counts by topic). */
  labels: Record<string, string>;
}

interface Row {
  week: string;
  key: string;
  label: string;
  active: boolean;
  n: number;
}

/** The statistics page's own figures (§5's figures come from InboxListService.stats()). */
@Injectable()
export class StatisticsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One query: the last `weeks` UK weeks (this one included) × every topic, with the count of each cell. */
  async weeklyByTopic(weeks = STATISTICS_WEEKS): Promise<WeeklyByTopic> {
    const rows: Row[] = await this.db.query(
      `WITH first AS (
         SELECT date_trunc('week', now() AT TIME ZONE 'Europe/London') - make_interval(weeks => $1::int - 1) AS week),
       counts AS (
         SELECT date_trunc('week', i.created_at AT TIME ZONE 'Europe/London') AS week, i.topic_key, count(*)::int AS n
           FROM inquiries i, first f
          WHERE i.created_at >= (f.week AT TIME ZONE 'Europe/London') AND i.status <> 'spam'
          GROUP BY 1, 2)
       SELECT to_char(w.week, 'YYYY-MM-DD') AS week, t.key, t.label, t.active, coalesce(c.n, 0)::int AS n
         FROM first f
        CROSS JOIN generate_series(f.week, f.week + make_interval(weeks => $1::int - 1), interval '1 week') AS w(week)
        CROSS JOIN topics t
         LEFT JOIN counts c ON c.week = w.week AND c.topic_key = t.key
        ORDER BY w.week, t.sort_order, t.key`,
      [weeks],
    );
    const topics = new Map<string, { key: string; label: string; active: boolean; total: number }>();
    const byWeek = new Map<string, { week: string; counts: Record<string, number>; total: number }>();
    for (const r of rows) {
      const topic = topics.get(r.key) ?? { key: r.key, label: r.label, active: r.active, total: 0 };
      topic.total += r.n;
      topics.set(r.key, topic);
      const week = byWeek.get(r.week) ?? { week: r.week, counts: {}, total: 0 };
      week.counts[r.key] = r.n;
      week.total += r.n;
      byWeek.set(r.week, week);
    }
    const shown = [...topics.values()].filter((t) => t.active || t.total > 0).map(({ key, label, total }) => ({ key, label, total }));
    const all = [...byWeek.values()];
    return {
      weeks: all, topics: shown, total: all.reduce((sum, w) => sum + w.total, 0),
      labels: Object.fromEntries([...topics.values()].map((t) => [t.key, t.label])),
    };
  }
}

/**
 * Colours of the chart's topics: each at least 3:1 against white (WCAG 1.4.11), neighbours told apart by lightness
 * as well as hue. The chart is never the only way in: the table beside it carries every figure.
 */
export const CHART_COLOURS = ['#1d70b8', '#b58800', '#4b1f6f', '#0f6b54', '#d1006b', '#505a5f', '#7a4100', '#8a5fb3', '#003078', '#b3261e'];

const SHORT_DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const LONG_DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

export const shortWeek = (week: string) => SHORT_DATE.format(new Date(`${week}T12:00:00Z`));
export const longWeek = (week: string) => LONG_DATE.format(new Date(`${week}T12:00:00Z`));

/** A step for the y axis that gives at most five gridlines: 1, 2, 5, 10, 20, 50 … */
function niceStep(max: number): number {
  for (let magnitude = 1; ; magnitude *= 10) {
    for (const step of [1, 2, 5]) if (max / (step * magnitude) <= 5) return step * magnitude;
  }
}

/** The stacked bar chart of weeklyByTopic, as shapes for an inline SVG (drawn on the server, no JavaScript). */
export function stackedBarChart(data: WeeklyByTopic) {
  const width = 760;
  const height = 340;
  const left = 48;
  const right = 12;
  const top = 24;
  const bottom = 44;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const peak = Math.max(1, ...data.weeks.map((w) => w.total));
  const step = niceStep(peak);
  const max = Math.ceil(peak / step) * step;
  const y = (n: number) => top + plotHeight - (n / max) * plotHeight;
  const slot = plotWidth / Math.max(1, data.weeks.length);
  const barWidth = Math.round(slot * 0.64);
  const colour = new Map(data.topics.map((t, i) => [t.key, CHART_COLOURS[i % CHART_COLOURS.length]]));
  const ticks = [];
  for (let n = 0; n <= max; n += step) ticks.push({ value: n, y: round(y(n)) });
  const bars = data.weeks.map((w, i) => {
    const x = round(left + i * slot + (slot - barWidth) / 2);
    let base = 0;
    const segments = data.topics.filter((t) => (w.counts[t.key] ?? 0) > 0).map((t) => {
      const n = w.counts[t.key];
      const segment = { topic: t.label, n, fill: colour.get(t.key)!, y: round(y(base + n)), height: round(y(base) - y(base + n)) };
      base += n;
      return segment;
    });
    return { x, width: barWidth, centre: round(x + barWidth / 2), label: shortWeek(w.week), total: w.total, totalY: round(y(w.total) - 6), segments };
  });
  const busiest = data.weeks.reduce<WeeklyByTopic['weeks'][number] | null>((best, w) => (!best || w.total > best.total ? w : best), null);
  const first = data.weeks[0];
  const summary = data.total === 0
    ? `Bar chart of inquiries per week by topic for the last ${data.weeks.length} weeks: there were none. The table below gives every figure.`
    : `Stacked bar chart of inquiries per week by topic for the ${data.weeks.length} weeks from ${longWeek(first.week)}: `
      + `${data.total} inquir${data.total === 1 ? 'y' : 'ies'} in all, the most (${busiest!.total}) in the week of ${longWeek(busiest!.week)}. `
      + 'The table below gives every figure.';
  return {
    width, height, left, right, top, plotBottom: top + plotHeight, labelY: top + plotHeight + 20, ticks, bars, summary,
    legend: data.topics.map((t) => ({ label: t.label, total: t.total, fill: colour.get(t.key)! })),
  };
}

const round = (n: number) => Math.round(n * 10) / 10;
