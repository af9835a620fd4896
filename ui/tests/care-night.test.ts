import { render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { invoke } from '@tauri-apps/api/core';
import Care from '../src/screens/Care.svelte';
import { setLanguage } from '../src/lib/i18n.svelte';
import { session } from '../src/lib/session.svelte';

vi.mock('@tauri-apps/api/core', () => ({
  invoke: vi.fn(),
  Channel: class {
    onmessage: (message: unknown) => void = () => {};
  },
}));

const mockedInvoke = vi.mocked(invoke);

function overview(learned: boolean) {
  return [
    {
      id: 2,
      name: 'Tanaka Haruko',
      role: 'cared_for',
      time_zone: 'Asia/Tokyo',
      last_day: '2026-11-30',
      open_alerts: 0,
      open_urgent: 0,
      open_warning: 0,
      days_since_data: 1,
      last_sync_utc: null,
      night_window: { start: learned ? '21:40' : '00:00', end: learned ? '05:10' : '05:00', learned },
    },
  ];
}

describe('the care screen', () => {
  beforeEach(() => {
    mockedInvoke.mockReset();
    session.setPeople([
      { id: 2, display_name: 'Tanaka Haruko', role: 'cared_for', time_zone: 'Asia/Tokyo' },
    ]);
    session.personId = 2;
  });

  it("shows the night the alerts watch: the person's own, or the default", async () => {
    setLanguage('en', false);
    mockedInvoke.mockImplementation(async (cmd: string) => (cmd === 'care_overview' ? overview(true) : []));
    render(Care);
    const line = await screen.findByTestId('night-window');
    expect(line.textContent).toContain('21:40–05:10');
    expect(line.textContent).toContain('learned from their own recent nights');
  });

  it('says in Japanese when the night is still the default', async () => {
    setLanguage('ja', false);
    mockedInvoke.mockImplementation(async (cmd: string) => (cmd === 'care_overview' ? overview(false) : []));
    render(Care);
    const line = await screen.findByTestId('night-window');
    expect(line.textContent).toContain('00:00〜05:00');
    expect(line.textContent).toContain('既定値');
  });
});
