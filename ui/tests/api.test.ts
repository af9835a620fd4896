import { beforeEach, describe, expect, it, vi } from 'vitest';
import { Channel, invoke } from '@tauri-apps/api/core';
import * as api from '../src/lib/api';

vi.mock('@tauri-apps/api/core', () => {
  class Channel<T> {
    onmessage: (message: T) => void = () => {};
  }
  return { invoke: vi.fn(), Channel };
});

const mockedInvoke = vi.mocked(invoke);

describe('api wrapper', () => {
  beforeEach(() => {
    mockedInvoke.mockReset();
    mockedInvoke.mockResolvedValue(null);
  });

  it('sends camelCase arguments and person ids as text', async () => {
    await api.createVault({ passphrase: 'p'.repeat(12), ownerName: 'Hanako', timeZone: 'Asia/Tokyo' });
    expect(mockedInvoke).toHaveBeenLastCalledWith('create_vault', {
      passphrase: 'p'.repeat(12),
      ownerName: 'Hanako',
      timeZone: 'Asia/Tokyo',
    });
    await api.devices(3);
    expect(mockedInvoke).toHaveBeenLastCalledWith('devices', { person: '3' });
    await api.addPerson('Fumiko', 'Asia/Tokyo');
    expect(mockedInvoke).toHaveBeenLastCalledWith('add_person', { name: 'Fumiko', timeZone: 'Asia/Tokyo' });
    await api.dashboard(2, '2025-10-07', '2025-11-03');
    expect(mockedInvoke).toHaveBeenLastCalledWith('dashboard', { person: '2', from: '2025-10-07', to: '2025-11-03' });
    await api.alerts(2, '2025-10-01', 'ja');
    expect(mockedInvoke).toHaveBeenLastCalledWith('alerts', { person: '2', since: '2025-10-01', lang: 'ja' });
    await api.saveSettings({ language: 'ja', auto_lock_minutes: 10, time_zone: 'Asia/Tokyo' });
    expect(mockedInvoke).toHaveBeenLastCalledWith('save_settings', {
      settings: { language: 'ja', auto_lock_minutes: 10, time_zone: 'Asia/Tokyo' },
    });
    await api.saveAlertSettings(2, { not_worn_hours: 12 });
    expect(mockedInvoke).toHaveBeenLastCalledWith('save_alert_settings', {
      person: '2',
      settings: { not_worn_hours: 12 },
    });
    await api.vaultStatus();
    expect(mockedInvoke).toHaveBeenLastCalledWith('vault_status', undefined);
    await api.activity(1234.6);
    expect(mockedInvoke).toHaveBeenLastCalledWith('activity', { agoMs: 1235 });
    await api.activity(-5);
    expect(mockedInvoke).toHaveBeenLastCalledWith('activity', { agoMs: 0 });
  });

  it('passes a progress Channel and forwards its messages', async () => {
    const seen: api.Progress[] = [];
    await api.syncDemo(2, 28, (p) => seen.push(p));
    const [command, args] = mockedInvoke.mock.calls[0] as [string, Record<string, unknown>];
    expect(command).toBe('sync_demo');
    expect(args.person).toBe('2');
    expect(args.days).toBe(28);
    const channel = args.onProgress as Channel<api.Progress>;
    expect(channel).toBeInstanceOf(Channel);
    channel.onmessage({ done: 3, total: 10, stage: 'storing' });
    expect(seen).toEqual([{ done: 3, total: 10, stage: 'storing' }]);
  });

  it('passes a heart-rate Channel that forwards each reading', async () => {
    const seen: api.HeartRateReading[] = [];
    await api.heartRate(2, 'C7:5A:10:00:00:01', 30.4, (r) => seen.push(r));
    const [command, args] = mockedInvoke.mock.calls[0] as [string, Record<string, unknown>];
    expect(command).toBe('heart_rate');
    expect(args.person).toBe('2');
    expect(args.address).toBe('C7:5A:10:00:00:01');
    expect(args.seconds).toBe(30);
    const channel = args.onReading as Channel<api.HeartRateReading>;
    expect(channel).toBeInstanceOf(Channel);
    const reading = { at: '2026-11-24T09:00:00+09:00', bpm: 68, contact: true, rr_ms: [882.8] };
    channel.onmessage(reading);
    expect(seen).toEqual([reading]);
  });

  it('sends the share recipient as given', async () => {
    await api.share(2, ['steps', 'sleep'], '2025-10-01', '2025-10-28', { kind: 'fhir', url: 'https://ehr.example/fhir' }, () => {});
    const [command, args] = mockedInvoke.mock.calls[0] as [string, Record<string, unknown>];
    expect(command).toBe('share');
    expect(args).toMatchObject({
      person: '2',
      types: ['steps', 'sleep'],
      from: '2025-10-01',
      to: '2025-10-28',
      recipient: { kind: 'fhir', url: 'https://ehr.example/fhir' },
    });
  });

  it('turns rejections into ApiError with the backend code and message', async () => {
    mockedInvoke.mockRejectedValueOnce({ code: 'wrong_passphrase', message: 'The passphrase is not correct.' });
    const error = await api.unlock('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(api.ApiError);
    expect(error).toMatchObject({ code: 'wrong_passphrase', message: 'The passphrase is not correct.' });

    mockedInvoke.mockRejectedValueOnce({ code: 'something_new', message: 'Odd.' });
    await expect(api.people()).rejects.toMatchObject({ code: 'internal', message: 'Odd.' });

    mockedInvoke.mockRejectedValueOnce('plain text failure');
    await expect(api.people()).rejects.toMatchObject({ code: 'internal', message: 'plain text failure' });
  });

  it('reports a locked vault to the app', async () => {
    const listener = vi.fn();
    api.onLockedError(listener);
    mockedInvoke.mockRejectedValueOnce({ code: 'locked', message: 'The vault is locked.' });
    await expect(api.people()).rejects.toMatchObject({ code: 'locked' });
    expect(listener).toHaveBeenCalledTimes(1);
    mockedInvoke.mockRejectedValueOnce({ code: 'remote', message: 'Server said no.' });
    await expect(api.recipients()).rejects.toMatchObject({ code: 'remote' });
    expect(listener).toHaveBeenCalledTimes(1);
    api.onLockedError(null);
  });
});
