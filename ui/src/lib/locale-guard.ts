// WebKitGTK reports navigator.language "C" when the system locale is C or
// POSIX (LANG=C.UTF-8, usual on minimal Linux installs and CI machines).
// "C" is not a BCP 47 tag, so a library that hands it to Intl while it
// loads (uPlot builds an Intl.NumberFormat from navigator.language) throws
// a RangeError and the app never mounts: a blank window. main.ts imports
// this module first, before anything that may read the language.

/** The tags Intl accepts, in order. */
export function validLanguageTags(tags: readonly string[]): string[] {
  return tags.filter((tag) => {
    try {
      return Intl.getCanonicalLocales(tag).length === 1;
    } catch {
      return false;
    }
  });
}

/**
 * Replaces `navigator.language(s)` with the valid tags among them (or
 * `en-US` when none is valid) if any is not a language tag. Returns whether
 * it changed anything.
 */
export function guardNavigatorLanguage(nav: Navigator | undefined = globalThis.navigator): boolean {
  if (!nav) return false;
  const reported = nav.languages && nav.languages.length > 0 ? [...nav.languages] : [nav.language];
  const valid = validLanguageTags(reported.filter((tag): tag is string => typeof tag === 'string'));
  if (valid.length === reported.length) return false;
  const languages = valid.length > 0 ? valid : ['en-US'];
  Object.defineProperty(nav, 'language', { value: languages[0], configurable: true });
  Object.defineProperty(nav, 'languages', { value: Object.freeze(languages), configurable: true });
  return true;
}

guardNavigatorLanguage();
