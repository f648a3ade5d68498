/** Texts of the federation pages (home-realm choice, account choice, no account found), French first. */
const fr = {} satisfies Record<string, string>;

export const federationMessages: { fr: typeof fr; en: Record<keyof typeof fr, string> } = { fr, en: {} };
