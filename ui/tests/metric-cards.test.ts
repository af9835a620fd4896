import { render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import { describe, expect, it } from 'vitest';
import uPlot from 'uplot';
import MetricCards from '../src/components/MetricCards.svelte';
import type { Metrics, Week } from '../src/lib/api';
import { setLanguage } from '../src/lib/i18n.svelte';

const metrics: Metrics = {
  IS: 0.6234,
  IV: 0.81,
  L5: 12.34,
  M10: 1234.5,
  RA: 0.9,
  l5_onset: '01:00:00',
  m10_onset: '08:30:00',
};

const weekly: Week[] = [
  { from: '2025-10-06', IS: 0.6, IV: 0.8, L5: 12, M10: 1200, RA: 0.9 },
  { from: '2025-10-13', IS: 0.62, IV: 0.85, L5: 14, M10: 1180, RA: 0.88 },
  { from: '2025-10-20', IS: 0.58, IV: 0.9, L5: 15, M10: 1100, RA: 0.86 },
];

type Recorder = { instances: { data: unknown }[] };

describe('<MetricCards>', () => {
  it('renders a card per metric with value, onset and meaning in English', () => {
    render(MetricCards, { props: { metrics, weekly } });
    for (const key of ['IS', 'IV', 'RA', 'L5', 'M10']) expect(screen.getByTestId(`metric-${key}`)).toBeTruthy();
    const is = screen.getByTestId('metric-IS');
    expect(is.textContent).toContain('Day-to-day regularity');
    expect(is.textContent).toContain('0.62');
    expect(is.textContent).toContain('How alike the days are');
    expect(screen.getByTestId('metric-L5').textContent).toContain('Starts at 01:00');
    expect(screen.getByTestId('metric-M10').textContent).toContain('Starts at 08:30');
    expect(screen.getByTestId('metric-M10').textContent).toContain('1,235');
  });

  it('renders localized meanings in Japanese and follows a language switch', async () => {
    setLanguage('ja', false);
    render(MetricCards, { props: { metrics, weekly } });
    expect(screen.getByTestId('metric-IS').textContent).toContain('日々の規則性');
    expect(screen.getByTestId('metric-IS').textContent).toContain('毎日の過ごし方がどれだけ似ているか');
    expect(screen.getByTestId('metric-RA').textContent).toContain('昼と夜のメリハリ');
    expect(screen.getByTestId('metric-L5').textContent).toContain('開始時刻 01:00');

    setLanguage('en', false);
    await tick();
    expect(screen.getByTestId('metric-IS').textContent).toContain('How alike the days are');
    expect(screen.getByTestId('metric-IS').textContent).not.toContain('日々の規則性');
  });

  it('draws a weekly trend sparkline per metric with uPlot', () => {
    const recorder = uPlot as unknown as Recorder;
    const before = recorder.instances.length;
    render(MetricCards, { props: { metrics, weekly } });
    const drawn = recorder.instances.slice(before);
    expect(drawn).toHaveLength(5);
    expect(drawn[0].data).toEqual([
      [0, 1, 2],
      [0.6, 0.62, 0.58],
    ]);
  });

  it('says when there is not enough data', () => {
    render(MetricCards, { props: { metrics: null, weekly: weekly.slice(0, 1) } });
    expect(screen.getByTestId('metric-IV').textContent).toContain('Not enough data');
    expect(screen.getByTestId('metric-IV').textContent).toContain('Trend appears after two weeks');
  });
});
