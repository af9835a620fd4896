import { render } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import Actogram, { layoutActogram } from '../src/components/Actogram.svelte';
import type { Actogram as ActogramData } from '../src/lib/api';

/** Two days of hourly epochs: day 1 00:00–06:00 missing, zeros elsewhere. */
function twoDays(): ActogramData {
  const counts: (number | null)[] = Array.from({ length: 48 }, () => 0);
  for (let h = 0; h < 6; h++) counts[h] = null;
  counts[10] = 50; // day 1, 10:00
  counts[30] = 100; // day 2, 06:00
  return { start: '2025-11-03T00:00:00', epoch_minutes: 60, counts };
}

describe('layoutActogram', () => {
  it('keeps missing (null) and zero apart', () => {
    const layout = layoutActogram(twoDays());
    expect(layout.days).toHaveLength(2);
    expect(layout.binMinutes).toBe(60);
    expect(layout.days[0].slice(0, 7)).toEqual([null, null, null, null, null, null, 0]);
    expect(layout.days[0][10]).toBe(50);
    expect(layout.days[1][6]).toBe(100);
  });

  it('averages recorded epochs into bins and marks a bin missing only when all are', () => {
    const counts: (number | null)[] = Array.from({ length: 1440 }, () => 0);
    counts[0] = 10;
    counts[1] = null;
    counts[2] = 20; // bin 0 (minutes 0–4): mean of 10, 0, 20, 0 = 7.5
    for (let i = 5; i < 10; i++) counts[i] = null; // bin 1 entirely missing
    const layout = layoutActogram({ start: '2025-11-03T00:00:00', epoch_minutes: 1, counts }, 5);
    expect(layout.binMinutes).toBe(5);
    expect(layout.days).toHaveLength(1);
    expect(layout.days[0]).toHaveLength(288);
    expect(layout.days[0][0]).toBe(7.5);
    expect(layout.days[0][1]).toBeNull();
    expect(layout.days[0][2]).toBe(0);
  });
});

describe('<Actogram>', () => {
  it('renders one double-plotted row per day', () => {
    const { container, getByTestId } = render(Actogram, { props: { data: twoDays() } });
    expect(getByTestId('actogram')).toBeTruthy();
    const rows = container.querySelectorAll('.acto-row');
    expect(rows).toHaveLength(2);
    expect(rows[0].getAttribute('data-day')).toBe('2025-11-03');
    expect(rows[1].getAttribute('data-day')).toBe('2025-11-04');
    expect(rows[0].textContent).toContain('Mon 3 Nov');
  });

  it('draws missing epochs as hatched rects and zeros as nothing', () => {
    const { container } = render(Actogram, { props: { data: twoDays() } });
    const rows = container.querySelectorAll('.acto-row');
    const first = rows[0].querySelectorAll('rect.missing');
    // Only the six null hours of day 1, on the left half of row 1.
    expect(first).toHaveLength(1);
    expect(first[0].getAttribute('x')).toBe('0');
    expect(first[0].getAttribute('width')).toBe('360');
    expect(first[0].getAttribute('fill')).toMatch(/^url\(#.+-hatch\)$/);
    // Day 2 has zeros but nothing missing: no hatching anywhere in row 2.
    expect(rows[1].querySelectorAll('rect.missing')).toHaveLength(0);
    // The right half of the last row lies after the period: shown as such, not as missing.
    expect(rows[0].querySelectorAll('rect.outside')).toHaveLength(0);
    const outside = rows[1].querySelectorAll('rect.outside');
    expect(outside).toHaveLength(1);
    expect(outside[0].getAttribute('x')).toBe('1440');
    expect(outside[0].getAttribute('width')).toBe('1440');
  });

  it('plots day d+1 on the right of row d and again on the left of row d+1', () => {
    const { container } = render(Actogram, { props: { data: twoDays() } });
    const rows = container.querySelectorAll('.acto-row');
    const bars0 = rows[0].querySelector('path.bars')?.getAttribute('d') ?? '';
    const bars1 = rows[1].querySelector('path.bars')?.getAttribute('d') ?? '';
    expect(bars0).toContain('M600 '); // day 1, 10:00
    expect(bars0).toContain('M1800 '); // day 2, 06:00 on the right half
    expect(bars1).toContain('M360 '); // day 2, 06:00 on the left half
    // Bars only where counts are above zero: two in row 1, one in row 2.
    expect(bars0.match(/M/g)).toHaveLength(2);
    expect(bars1.match(/M/g)).toHaveLength(1);
  });

  it('describes the chart, including days with gaps', () => {
    const { getByRole } = render(Actogram, { props: { data: twoDays() } });
    const img = getByRole('img');
    expect(img.getAttribute('aria-label')).toContain('(days: 2)');
    expect(img.getAttribute('aria-label')).toContain('Days with gaps in the data: 1.');
  });

  it('says so when there is nothing to draw', () => {
    const { container, getByText } = render(Actogram, {
      props: { data: { start: '2025-11-03T00:00:00', epoch_minutes: 1, counts: [] } },
    });
    expect(container.querySelectorAll('.acto-row')).toHaveLength(0);
    expect(getByText('No activity recorded in this period.')).toBeTruthy();
  });
});
