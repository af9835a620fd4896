// A short list of time zones to choose from, plus the browser's own.

export const COMMON_ZONES: readonly string[] = [
  'Asia/Tokyo',
  'Asia/Seoul',
  'Asia/Shanghai',
  'Asia/Taipei',
  'Asia/Singapore',
  'Asia/Kolkata',
  'Australia/Sydney',
  'Pacific/Auckland',
  'Pacific/Honolulu',
  'Europe/London',
  'Europe/Paris',
  'Europe/Berlin',
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Los_Angeles',
  'America/Sao_Paulo',
  'UTC',
];

/** The zone the system reports, if any. */
export function browserZone(): string | null {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

/** The common zones, the browser's zone and any `extra` ones, without repeats. */
export function zoneChoices(...extra: (string | null | undefined)[]): string[] {
  const list = [...COMMON_ZONES];
  for (const zone of [browserZone(), ...extra]) {
    if (zone && !list.includes(zone)) list.push(zone);
  }
  return list;
}

/** "Asia/Tokyo (GMT+09:00)"; just the name if the runtime cannot tell. */
export function zoneLabel(zone: string, now: Date = new Date()): string {
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
      .formatToParts(now)
      .find((p) => p.type === 'timeZoneName');
    const offset = part?.value === 'GMT' ? 'GMT+00:00' : part?.value;
    return offset ? `${zone.replace(/_/g, ' ')} (${offset})` : zone;
  } catch {
    return zone;
  }
}
