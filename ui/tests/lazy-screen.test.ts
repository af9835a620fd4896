import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import LazyScreen from '../src/components/LazyScreen.svelte';
import Loading from '../src/components/Loading.svelte';

describe('a screen loaded when first opened', () => {
  it('shows the loaded screen with its props', async () => {
    render(LazyScreen, {
      props: { load: async () => ({ default: Loading }), props: { label: 'Four weeks of sleep' } },
    });
    expect(await screen.findByText('Four weeks of sleep')).toBeTruthy();
    expect(screen.queryByTestId('screen-error')).toBeNull();
  });

  it('says why when the screen cannot be loaded, and offers a reload', async () => {
    const onreload = vi.fn();
    render(LazyScreen, {
      props: {
        load: () => Promise.reject(new TypeError('Importing a module script failed.')),
        props: {},
        onreload,
      },
    });
    const error = await screen.findByTestId('screen-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain('This screen could not be loaded');
    expect(error.textContent).toContain('Importing a module script failed.');
    await fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(onreload).toHaveBeenCalledTimes(1);
  });
});
