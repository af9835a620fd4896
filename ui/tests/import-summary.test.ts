import { fireEvent, render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { invoke } from '@tauri-apps/api/core';
import Import from '../src/screens/Import.svelte';
import { setLanguage } from '../src/lib/i18n.svelte';
import { session } from '../src/lib/session.svelte';

vi.mock('@tauri-apps/api/core', () => ({
  invoke: vi.fn(),
  Channel: class {
    onmessage: (message: unknown) => void = () => {};
  },
}));

const mockedInvoke = vi.mocked(invoke);

const appleHealth = {
  file: '/home/hanako/Downloads/export.zip',
  format: 'apple_health',
  person: 1,
  device: 3,
  rows: 1660,
  missing: 0,
  added: 1200,
  replaced: 0,
  unchanged: 460,
  first: '2024-01-01 00:00:00',
  last: '2024-01-03 23:56:00',
  new_alerts: 0,
  kinds: [
    { kind: 'steps', added: 300, replaced: 0, unchanged: 274 },
    { kind: 'heart_rate', added: 894, replaced: 0, unchanged: 186 },
    { kind: 'sleep', added: 6, replaced: 0, unchanged: 0 },
  ],
  sources: [
    { device: 3, label: 'Hanako’s Apple Watch', samples: 1370 },
    { device: 4, label: 'iPhone', samples: 290 },
  ],
  skipped: [{ record: 'HKQuantityTypeIdentifierActiveEnergyBurned', count: 4320 }],
};

async function importExport(): Promise<void> {
  mockedInvoke.mockImplementation(async (cmd: string) => (cmd === 'import_file' ? appleHealth : []));
  render(Import);
  await fireEvent.input(screen.getByTestId('import-path'), { target: { value: appleHealth.file } });
  await fireEvent.click(screen.getByTestId('import-start'));
  await screen.findByTestId('import-result');
}

describe('the import summary of an export', () => {
  beforeEach(() => {
    mockedInvoke.mockReset();
    session.setPeople([{ id: 1, display_name: 'Hanako', role: 'owner', time_zone: 'Asia/Tokyo' }]);
    session.personId = 1;
  });

  it('says per kind what was new and what was already stored, and each source', async () => {
    setLanguage('en', false);
    await importExport();
    expect(screen.getByTestId('import-format').textContent).toBe('Apple Health');
    const rows = [...screen.getByTestId('import-kinds').querySelectorAll('tbody tr')].map((tr) =>
      [...tr.children].map((c) => c.textContent?.trim()),
    );
    expect(rows).toEqual([
      ['Steps', '300', '0', '274'],
      ['Heart rate', '894', '0', '186'],
      ['Sleep', '6', '0', '0'],
    ]);
    const sources = screen.getByTestId('import-sources').textContent ?? '';
    expect(sources).toContain('Hanako’s Apple Watch: 1,370 records');
    expect(sources).toContain('iPhone: 290 records');
    expect(screen.getByTestId('import-skipped').textContent).toContain(
      'HKQuantityTypeIdentifierActiveEnergyBurned (4,320)',
    );
  });

  it('says the same in Japanese', async () => {
    setLanguage('ja', false);
    await importExport();
    expect(screen.getByTestId('import-format').textContent).toBe('Apple ヘルスケア');
    const kinds = screen.getByTestId('import-kinds').textContent ?? '';
    expect(kinds).toContain('歩数');
    expect(kinds).toContain('心拍数');
    expect(kinds).toContain('睡眠');
    expect(screen.getByTestId('import-sources').textContent).toContain('iPhone:290 件');
  });
});
