// A minimal W3C WebDriver client over fetch: the dozen endpoints the
// end-to-end test uses, nothing else. See README.md for why not WebdriverIO.

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export class WebDriverError extends Error {
  constructor(method, path, status, value) {
    super(`${method} ${path}: ${status} ${value?.error ?? ''} ${value?.message ?? JSON.stringify(value)}`);
    this.status = status;
    this.error = value?.error;
  }
}

async function request(base, method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new WebDriverError(method, path, response.status, { message: text.slice(0, 200) });
  }
  if (!response.ok) throw new WebDriverError(method, path, response.status, json.value);
  return json.value;
}

/** Polls `probe` until it returns a truthy value; fails after `timeoutMs`. */
export async function waitFor(what, probe, { timeoutMs = 20000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  /** Starts a session; `capabilities` go under `alwaysMatch`. */
  static async start(base, capabilities) {
    const value = await request(base, 'POST', '/session', { capabilities: { alwaysMatch: capabilities } });
    return new Session(base, value.sessionId);
  }

  call(method, path, body) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  async end() {
    await this.call('DELETE', '');
  }

  /** Every element matching a CSS selector, now. */
  async findAll(css) {
    const found = await this.call('POST', '/elements', { using: 'css selector', value: css });
    return found.map((e) => new Element(this, e[ELEMENT]));
  }

  /** Waits for an element matching `css` that is displayed. */
  async visible(css, options) {
    return waitFor(
      `a visible ${css}`,
      async () => {
        for (const element of await this.findAll(css)) {
          if (await element.displayed()) return element;
        }
        return null;
      },
      options,
    );
  }

  /** Waits until one of the `[data-testid=…]` is displayed; returns [id, element]. */
  async oneOf(ids, options) {
    return waitFor(
      `one of ${ids.join(', ')}`,
      async () => {
        for (const id of ids) {
          for (const element of await this.findAll(`[data-testid="${id}"]`)) {
            if (await element.displayed()) return [id, element];
          }
        }
        return null;
      },
      options,
    );
  }

  /** Waits for a displayed `[data-testid=…]`. */
  testid(id, options) {
    return this.visible(`[data-testid="${id}"]`, options);
  }

  /** Runs a function body in the page and returns its value. */
  script(body, args = []) {
    return this.call('POST', '/execute/sync', { script: body, args });
  }

  /** The viewport as PNG bytes. */
  async screenshot() {
    return Buffer.from(await this.call('GET', '/screenshot'), 'base64');
  }
}

export class Element {
  constructor(session, id) {
    this.session = session;
    this.id = id;
  }

  call(method, path, body) {
    return this.session.call(method, `/element/${this.id}${path}`, body);
  }

  displayed() {
    return this.call('GET', '/displayed');
  }

  enabled() {
    return this.call('GET', '/enabled');
  }

  text() {
    return this.call('GET', '/text');
  }

  async click() {
    await this.call('POST', '/click', {});
  }

  async type(text) {
    await this.call('POST', '/value', { text });
  }

  async clear() {
    await this.call('POST', '/clear', {});
  }

  /** The element, scrolled into view, as PNG bytes. */
  async screenshot() {
    return Buffer.from(await this.call('GET', '/screenshot'), 'base64');
  }

  attribute(name) {
    return this.call('GET', `/attribute/${name}`);
  }

  property(name) {
    return this.call('GET', `/property/${name}`);
  }
}
