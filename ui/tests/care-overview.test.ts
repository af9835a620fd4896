import { render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { invoke } from '@tauri-apps/api/core';
import CareOverview from '../src/components/CareOverview.svelte';
import type { CaredPerson } from '../src/lib/api';
import { byNeed } from '../src/lib/care';
import { setLanguage } from '../src/lib/i18n.svelte';

vi.mock('@tauri-apps/api/core', () => ({
  invoke: vi.fn(),
  Channel: class {
    onmessage: (message: unknown) => void = () => {};
  },
}));

const mockedInvoke = vi.mocked(invoke);

function person(id: number, name: string, extra: Partial<CaredPerson>): CaredPerson {
  return {
    id,
    name,
    role: 'cared_for',
    time_zone: 'Asia/Tokyo',
    last_day: '2025-11-02',
    open_alerts: 0,
    open_urgent: 0,
    open_warning: 0,
    days_since_data: 1,
    last_sync_utc: Date.UTC(2025, 10, 3, 0, 0, 0) / 1000,
    night_window: { start: '23:10', end: '06:20', learned: true },
    ...extra,
  } as CaredPerson;
}

const people = [
  person(1, 'Owner', { role: 'owner', days_since_data: null, last_day: null, last_sync_utc: null }),
  person(2, 'Tanaka Haruko', { open_alerts: 2, open_warning: 2 }),
  person(3, 'Sato Kenji', { open_alerts: 3, open_urgent: 1, open_warning: 1 }),
  person(4, 'Suzuki Aiko', { days_since_data: 5 }),
];

describe('the caregiver overview', () => {
  beforeEach(() => {
    mockedInvoke.mockReset();
    setLanguage('en', false);
  });

  it('orders people by who needs a look first', () => {
    expect(byNeed(people).map((p) => p.id)).toEqual([3, 2, 4, 1]);
  });

  it('shows everyone with their open alerts, last sync and days since data', async () => {
    mockedInvoke.mockResolvedValue(people);
    render(CareOverview, { props: { selected: 2, onselect: () => {} } });
    const table = await screen.findByTestId('care-overview');
    await waitFor(() => expect(table.querySelectorAll('tbody tr')).toHaveLength(4));
    const rows = [...table.querySelectorAll('tbody tr')].map((r) => r.textContent ?? '');
    expect(rows[0]).toContain('Sato Kenji');
    expect(rows[0]).toContain('1 day');
    expect(rows[2]).toContain('5 days');
    expect(rows[3]).toContain('No data yet');
    expect(mockedInvoke).toHaveBeenCalledWith('care_overview', {});
  });
});
