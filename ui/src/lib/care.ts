import type { CaredPerson } from './api';

/**
 * People in the order a caregiver should look at them: most urgent alerts
 * first, then warnings, then any open alert, then the longest without data
 * (no data at all last), then by name.
 */
export function byNeed(people: readonly CaredPerson[]): CaredPerson[] {
  const other = (p: CaredPerson) => p.open_alerts - p.open_urgent - p.open_warning;
  const silence = (p: CaredPerson) => p.days_since_data ?? -1;
  return [...people].sort(
    (a, b) =>
      b.open_urgent - a.open_urgent ||
      b.open_warning - a.open_warning ||
      other(b) - other(a) ||
      silence(b) - silence(a) ||
      a.name.localeCompare(b.name),
  );
}
