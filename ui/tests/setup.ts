import { afterEach, beforeEach, vi } from 'vitest';
import { setLanguage } from '../src/lib/i18n.svelte';

// uPlot draws on a canvas, which jsdom does not have; charts get a
// recording stand-in so components that contain them can render.
vi.mock('uplot', () => {
  class FakeUPlot {
    static instances: { options: unknown; data: unknown }[] = [];
    static paths = { bars: () => () => null };
    width: number;
    constructor(options: { width: number }, data: unknown, target: HTMLElement) {
      this.width = options.width;
      FakeUPlot.instances.push({ options, data });
      target.appendChild(document.createElement('canvas'));
    }
    setSize(size: { width: number }): void {
      this.width = size.width;
    }
    destroy(): void {}
  }
  return { default: FakeUPlot };
});

beforeEach(() => {
  localStorage.clear();
  setLanguage('en', false);
});

afterEach(() => {
  vi.clearAllMocks();
});
