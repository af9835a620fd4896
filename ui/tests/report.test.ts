import { fireEvent, render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { invoke } from '@tauri-apps/api/core';
import Report from '../src/screens/Report.svelte';
import type { ReportResult } from '../src/lib/api';
import { setLanguage } from '../src/lib/i18n.svelte';
import { session } from '../src/lib/session.svelte';

vi.mock('@tauri-apps/api/core', () => ({
  invoke: vi.fn(),
  Channel: class {
    onmessage: (message: unknown) => void = () => {};
  },
}));

const mockedInvoke = vi.mocked(invoke);

describe('<Report>', () => {
  beforeEach(() => {
    mockedInvoke.mockReset();
    setLanguage('en');
    session.setPeople([{ id: 2, display_name: 'Hanako', time_zone: 'Asia/Tokyo', role: 'cared_for' }]);
    session.personId = 2;
  });

  it('needs a path, then makes the report with the chosen settings', async () => {
    const result: ReportResult = {
      path: '/tmp/hanako.pdf',
      person: 2,
      from: '2026-10-27',
      to: '2026-11-23',
      lang: 'ja',
      format: 'pdf',
      nights: 27,
      alerts: 1,
      bytes: 150_000,
    };
    mockedInvoke.mockResolvedValueOnce(result);
    render(Report);
    const button = screen.getByTestId('report-make') as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    await fireEvent.input(screen.getByTestId('report-from'), { target: { value: '2026-10-27' } });
    await fireEvent.input(screen.getByTestId('report-to'), { target: { value: '2026-11-23' } });
    await fireEvent.change(screen.getByTestId('report-lang'), { target: { value: 'ja' } });
    await fireEvent.input(screen.getByTestId('report-path'), { target: { value: ' /tmp/hanako.pdf ' } });
    expect(button.disabled).toBe(false);
    await fireEvent.click(button);
    await screen.findByTestId('report-result');
    expect(mockedInvoke).toHaveBeenCalledWith('make_report', {
      person: '2',
      from: '2026-10-27',
      to: '2026-11-23',
      lang: 'ja',
      format: 'pdf',
      path: '/tmp/hanako.pdf',
    });
    expect(screen.getByTestId('report-result').textContent).toContain('27');
  });

  it('refuses a period that ends before it starts', async () => {
    render(Report);
    await fireEvent.input(screen.getByTestId('report-from'), { target: { value: '2026-11-23' } });
    await fireEvent.input(screen.getByTestId('report-to'), { target: { value: '2026-11-01' } });
    await fireEvent.input(screen.getByTestId('report-path'), { target: { value: '/tmp/x.pdf' } });
    expect((screen.getByTestId('report-make') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByRole('alert').textContent).toContain('before the start');
    expect(mockedInvoke).not.toHaveBeenCalled();
  });
});
