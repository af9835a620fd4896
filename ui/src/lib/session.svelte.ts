// App-wide state of the session. Everything health-related lives here or in
// screen components, in memory only, and is dropped when the vault locks.

import type { ApiError, Person, Settings } from './api';
import { DEFAULT_TIME_ZONE } from './format';

export type Phase = 'starting' | 'no_backend' | 'start_error' | 'first_run' | 'locked' | 'unlocked';

export type ScreenId =
  | 'today'
  | 'devices'
  | 'import'
  | 'care'
  | 'report'
  | 'share'
  | 'audit'
  | 'settings';

export const SCREENS: readonly ScreenId[] = [
  'today',
  'devices',
  'import',
  'care',
  'report',
  'share',
  'audit',
  'settings',
];

class Session {
  phase = $state<Phase>('starting');
  startError = $state<ApiError | null>(null);
  screen = $state<ScreenId>('today');
  people = $state<Person[]>([]);
  personId = $state<number | null>(null);
  settings = $state<Settings | null>(null);
  /** Bumped on every lock so late answers of old requests are dropped. */
  generation = $state(0);

  person = $derived(this.people.find((p) => p.id === this.personId) ?? null);
  /** Zone used for UTC instants not tied to one person (audit, shares). */
  timeZone = $derived(this.settings?.time_zone || DEFAULT_TIME_ZONE);

  setPeople(list: Person[]): void {
    this.people = list;
    if (!list.some((p) => p.id === this.personId)) {
      const firstCaredFor = list.find((p) => p.role === 'cared_for');
      this.personId = (firstCaredFor ?? list[0])?.id ?? null;
    }
  }

  addPerson(person: Person): void {
    this.people = [...this.people.filter((p) => p.id !== person.id), person];
  }

  /** Forgets every piece of health data and shows the unlock screen. */
  locked(): void {
    this.generation += 1;
    this.people = [];
    this.personId = null;
    this.settings = null;
    this.screen = 'today';
    this.phase = 'locked';
  }
}

export const session = new Session();
