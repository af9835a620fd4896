import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { invoke } from '@tauri-apps/api/core';
import AlertList from '../src/components/AlertList.svelte';
import type { Alert } from '../src/lib/api';
import { setLanguage } from '../src/lib/i18n.svelte';

vi.mock('@tauri-apps/api/core', () => ({
  invoke: vi.fn(),
  Channel: class {
    onmessage: (message: unknown) => void = () => {};
  },
}));

const mockedInvoke = vi.mocked(invoke);

// 2025-11-03 00:00 UTC is 09:00 in Tokyo.
const ACK_AT = Date.UTC(2025, 10, 3, 0, 0, 0) / 1000;

const night: Alert = {
  id: '00aa11bb22cc33dd',
  person: 2,
  kind: 'night_activity',
  start: '2025-11-02T01:10:00',
  end: '2025-11-02T03:40:00',
  severity: 'warning',
  explanation: 'Active for 95 minutes between 01:10 and 03:40, about 6 times the usual.',
  acknowledged: null,
};

const unworn: Alert = {
  id: 'ffee000011112222',
  person: 2,
  kind: 'not_worn',
  start: '2025-10-30T08:00:00',
  end: '2025-10-31T09:00:00',
  severity: 'urgent',
  explanation: 'No data from the wearable for 25 hours.',
  acknowledged: null,
};

function props() {
  return { person: 2, personName: 'Hanako', timeZone: 'Asia/Tokyo', since: null };
}

describe('<AlertList>', () => {
  beforeEach(() => {
    mockedInvoke.mockReset();
  });

  it('loads the alerts of the person in the current language', async () => {
    mockedInvoke.mockResolvedValueOnce([night]);
    render(AlertList, { props: props() });
    expect(screen.getByRole('status').textContent).toContain('Loading alerts');
    await screen.findByText(night.explanation);
    expect(mockedInvoke).toHaveBeenCalledWith('alerts', { person: '2', since: null, lang: 'en' });
  });

  it('shows severity with an icon and words, most urgent first', async () => {
    mockedInvoke.mockResolvedValueOnce([night, unworn]);
    const { container } = render(AlertList, { props: props() });
    await screen.findByText(night.explanation);
    const badges = screen.getAllByTestId('alert-severity');
    expect(badges.map((b) => b.textContent?.trim())).toEqual(['Urgent', 'Look today']);
    for (const badge of badges) expect(badge.querySelector('svg[aria-hidden="true"]')).not.toBeNull();
    expect(container.textContent).toContain('Wearable not worn');
    expect(container.textContent).toContain('Activity at night');
  });

  it('acknowledges an alert with a note', async () => {
    mockedInvoke.mockImplementation(async (command, args) => {
      if (command === 'alerts') return [night];
      if (command === 'ack_alert') {
        const { note } = args as { note: string };
        return { ...night, acknowledged: { at_utc: ACK_AT, note } };
      }
      throw { code: 'internal', message: `unexpected ${command}` };
    });
    render(AlertList, { props: props() });
    await screen.findByText(night.explanation);

    await fireEvent.input(screen.getByLabelText('Note (optional)'), {
      target: { value: 'Called her; she could not sleep.' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Mark as seen' }));

    const done = await screen.findByTestId('alert-acknowledged');
    expect(mockedInvoke).toHaveBeenCalledWith('ack_alert', {
      id: night.id,
      note: 'Called her; she could not sleep.',
      lang: 'en',
    });
    expect(done.textContent).toContain('Seen on Mon 3 Nov 2025, 09:00');
    expect(done.textContent).toContain('Called her; she could not sleep.');
    expect(screen.queryByRole('button', { name: 'Mark as seen' })).toBeNull();
  });

  it('keeps the alert open and explains a failed acknowledgement', async () => {
    mockedInvoke.mockImplementation(async (command) => {
      if (command === 'alerts') return [night];
      throw { code: 'integrity', message: 'The alert record failed its integrity check.' };
    });
    render(AlertList, { props: props() });
    await screen.findByText(night.explanation);
    await fireEvent.click(screen.getByRole('button', { name: 'Mark as seen' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The vault may be damaged');
    expect(alert.textContent).toContain('The alert record failed its integrity check.');
    expect(screen.getByRole('button', { name: 'Mark as seen' })).toBeTruthy();
    expect(screen.queryByTestId('alert-acknowledged')).toBeNull();
  });

  it('has a designed empty state and a retryable error state', async () => {
    mockedInvoke.mockResolvedValueOnce([]);
    const first = render(AlertList, { props: props() });
    expect(await screen.findByText('No alerts')).toBeTruthy();
    first.unmount();

    mockedInvoke.mockRejectedValueOnce({ code: 'locked', message: 'The vault is locked.' });
    mockedInvoke.mockResolvedValueOnce([night]);
    render(AlertList, { props: props() });
    const error = await screen.findByRole('alert');
    expect(error.textContent).toContain('The vault is locked.');
    await fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText(night.explanation)).toBeTruthy();
  });

  it('asks for explanations in Japanese when the app is in Japanese', async () => {
    setLanguage('ja', false);
    mockedInvoke.mockResolvedValueOnce([night]);
    render(AlertList, { props: props() });
    await screen.findByText(night.explanation);
    expect(mockedInvoke).toHaveBeenCalledWith('alerts', { person: '2', since: null, lang: 'ja' });
    expect(screen.getByTestId('alert-severity').textContent?.trim()).toBe('今日中に確認');
    await waitFor(() => expect(screen.getByRole('button', { name: '確認済みにする' })).toBeTruthy());
  });
});
