import { fireEvent, render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import Nav from '../src/components/Nav.svelte';
import { setLanguage } from '../src/lib/i18n.svelte';

describe('Nav', () => {
  beforeEach(() => setLanguage('en'));

  it('folds behind the menu button, which says whether it is open, and folds again on a choice', async () => {
    const onnavigate = vi.fn();
    render(Nav, { current: 'today', onnavigate, onlock: vi.fn() });
    const menu = screen.getByTestId('nav-menu');
    expect(menu.getAttribute('aria-expanded')).toBe('false');
    expect(menu.getAttribute('aria-controls')).toBe('nav-items');
    expect(document.getElementById('nav-items')).not.toBeNull();
    await fireEvent.click(menu);
    expect(menu.getAttribute('aria-expanded')).toBe('true');
    expect(menu.closest('nav')?.classList.contains('open')).toBe(true);
    await fireEvent.click(screen.getByTestId('nav-care'));
    expect(onnavigate).toHaveBeenCalledWith('care');
    expect(menu.getAttribute('aria-expanded')).toBe('false');
  });

  it('locking from the open menu folds it too', async () => {
    const onlock = vi.fn();
    render(Nav, { current: 'devices', onnavigate: vi.fn(), onlock });
    const menu = screen.getByTestId('nav-menu');
    await fireEvent.click(menu);
    await fireEvent.click(screen.getByTestId('lock-button'));
    expect(onlock).toHaveBeenCalledOnce();
    expect(menu.getAttribute('aria-expanded')).toBe('false');
  });

  it('names the current screen beside the menu in Japanese too', () => {
    setLanguage('ja');
    render(Nav, { current: 'care', onnavigate: vi.fn(), onlock: vi.fn() });
    expect(screen.getByTestId('nav-menu').textContent).toContain('メニュー');
    expect(document.querySelector('.here')?.textContent).toBe('見守り');
  });
});
