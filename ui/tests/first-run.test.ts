import { fireEvent, render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { invoke } from '@tauri-apps/api/core';
import FirstRun from '../src/screens/FirstRun.svelte';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn(), Channel: class {} }));
const mockedInvoke = vi.mocked(invoke);

const GOOD = 'maple river lantern 7 Otter!';

async function type(testid: string, value: string): Promise<void> {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

function createButton(): HTMLButtonElement {
  return screen.getByTestId('create-vault') as HTMLButtonElement;
}

describe('first-run form', () => {
  beforeEach(() => {
    mockedInvoke.mockReset();
  });

  it('starts with the button disabled and labels every input', () => {
    render(FirstRun, { props: { oncreated: vi.fn() } });
    expect(createButton().disabled).toBe(true);
    for (const id of ['owner-name', 'passphrase', 'passphrase-confirm']) {
      const input = screen.getByTestId(id);
      expect(document.querySelector(`label[for="${input.id}"]`)).not.toBeNull();
    }
    expect((screen.getByTestId('owner-zone') as HTMLSelectElement).value).toBe('Asia/Tokyo');
  });

  it('keeps the button disabled for a passphrase shorter than 12 characters', async () => {
    render(FirstRun, { props: { oncreated: vi.fn() } });
    await type('owner-name', 'Hanako');
    await type('passphrase', 'Short-pass1');
    await type('passphrase-confirm', 'Short-pass1');
    expect(createButton().disabled).toBe(true);
    expect(screen.getByTestId('strength-meter').getAttribute('data-level')).toBe('weak');
    expect(document.getElementById('passphrase-hint')?.textContent).toContain('Now: 11');
  });

  it('keeps the button disabled and says so when the passphrases differ', async () => {
    render(FirstRun, { props: { oncreated: vi.fn() } });
    await type('owner-name', 'Hanako');
    await type('passphrase', GOOD);
    await type('passphrase-confirm', `${GOOD}?`);
    expect(createButton().disabled).toBe(true);
    expect(screen.getByTestId('passphrase-mismatch').textContent).toContain('not the same');

    await type('passphrase-confirm', GOOD);
    expect(screen.queryByTestId('passphrase-mismatch')).toBeNull();
    expect(createButton().disabled).toBe(false);
    expect(screen.getByTestId('strength-meter').getAttribute('data-level')).toBe('strong');
  });

  it('needs a name', async () => {
    render(FirstRun, { props: { oncreated: vi.fn() } });
    await type('passphrase', GOOD);
    await type('passphrase-confirm', GOOD);
    expect(createButton().disabled).toBe(true);
    await type('owner-name', '   ');
    expect(createButton().disabled).toBe(true);
    await type('owner-name', 'Hanako');
    expect(createButton().disabled).toBe(false);
  });

  it('asks for the cared-for person and adds them after creating the vault', async () => {
    const owner = { id: 1, display_name: 'Hanako', time_zone: 'Asia/Tokyo', role: 'owner' };
    const mother = { id: 2, display_name: 'Fumiko', time_zone: 'Asia/Tokyo', role: 'cared_for' };
    mockedInvoke.mockImplementation(async (command) => {
      if (command === 'create_vault') return owner;
      if (command === 'add_person') return mother;
      throw { code: 'internal', message: `unexpected ${String(command)}` };
    });
    const oncreated = vi.fn();
    render(FirstRun, { props: { oncreated } });
    await type('owner-name', 'Hanako');
    await type('passphrase', GOOD);
    await type('passphrase-confirm', GOOD);
    await fireEvent.click(screen.getByTestId('for-someone'));
    expect(createButton().disabled).toBe(true);
    await type('cared-name', 'Fumiko');
    expect(createButton().disabled).toBe(false);

    await fireEvent.click(createButton());
    await vi.waitFor(() => expect(oncreated).toHaveBeenCalled());
    expect(mockedInvoke).toHaveBeenNthCalledWith(1, 'create_vault', {
      passphrase: GOOD,
      ownerName: 'Hanako',
      timeZone: 'Asia/Tokyo',
    });
    expect(mockedInvoke).toHaveBeenNthCalledWith(2, 'add_person', { name: 'Fumiko', timeZone: 'Asia/Tokyo' });
    expect(oncreated).toHaveBeenCalledWith(owner, mother, null);
  });

  it('shows the backend message when creation fails', async () => {
    mockedInvoke.mockRejectedValueOnce({ code: 'invalid_input', message: 'The passphrase is too short.' });
    const oncreated = vi.fn();
    render(FirstRun, { props: { oncreated } });
    await type('owner-name', 'Hanako');
    await type('passphrase', GOOD);
    await type('passphrase-confirm', GOOD);
    await fireEvent.click(createButton());
    const alert = await screen.findByText('The passphrase is too short.');
    expect(alert.closest('[role="alert"]')?.textContent).toContain('Please check what you entered');
    expect(oncreated).not.toHaveBeenCalled();
  });
});
