/**
 * Languages and messages of the hub's pages. French is the reference language (the ENT's users
 * are French schools); English is offered for families and staff who prefer it.
 *
 * French typography: a no-break space (\u00a0) goes before « ? ! : ; » and inside « guillemets »,
 * so that punctuation never wraps alone onto the next line on a narrow phone screen.
 *
 * The kit holds the messages of its own layout and error page. Each module with pages declares
 * its messages next to them and adds them in two steps, so that this file imports no module:
 * - for the compiler, it augments `Messages` (`declare module '…/ui/i18n.js' { interface
 *   Messages extends Record<keyof typeof fr, string> {} }`), so `t` is typed at every call site;
 * - at run time, its messages file calls `registerMessages` when loaded, and the module's pages
 *   file imports that file: whatever renders a page has loaded its messages, in every entry point.
 */
import { HubError } from '../shared/errors.js';

export type Lang = 'fr' | 'en';

export const LANGS: readonly Lang[] = ['fr', 'en'];

export const DEFAULT_LANG: Lang = 'fr';

/** The kit's own messages, French first. Placeholders look like `{client}`. */
const fr = {
  'site.name': 'ENT Hauts-de-France',
  'site.skipToContent': 'Aller au contenu',
  'site.langSwitchLabel': 'Langue',
  'site.errorTitle': 'Erreur\u00a0: {title}',
  'site.footer': 'ENT Hauts-de-France — la connexion commune à ONE (écoles) et NEO (collèges et lycées).',
  'site.help': 'Un problème pour vous connecter\u00a0? Adressez-vous à l’administrateur ENT de votre établissement.',
  'site.and': 'et',

  'error.status': 'Erreur {status}',
  'error.requestId': 'Code à communiquer à l’assistance\u00a0: {id}',
  'error.technical': 'Code technique\u00a0: {code}',
  'error.restart': 'Recommencer la connexion à «\u00a0{client}\u00a0»',
  'error.resume': 'Reprendre la connexion',
  'error.restartPlain': 'Recommencer la connexion',
  'error.unknown_client.title': 'Application inconnue',
  'error.unknown_client.text': 'L’application qui vous a envoyé ici n’est pas reconnue par l’ENT. Retournez à l’application ou contactez l’administrateur ENT de votre établissement.',
  'error.expired_interaction.title': 'Session expirée',
  'error.expired_interaction.text': 'Votre session de connexion a expiré. Retournez à l’application et recommencez.',
  'error.expired_interaction.why': 'Pour votre sécurité, une connexion laissée quelques minutes sans action expire.',
  'error.expired_interaction.how': 'Revenez sur l’application que vous utilisiez (par exemple ONE ou NEO) et cliquez de nouveau sur «\u00a0Se connecter\u00a0». Si vous avez fermé sa page, rouvrez-la depuis vos favoris ou son adresse habituelle.',
  'error.stale_step.title': 'Page dépassée',
  'error.stale_step.text': 'Cette page n’est plus à jour\u00a0: votre connexion est déjà passée à une autre étape (par exemple après un retour en arrière). Reprenez-la là où elle en est.',
  'error.invalid_redirect_uri.title': 'Connexion impossible depuis cette application',
  'error.invalid_redirect_uri.text': 'L’application vous a envoyé vers l’ENT avec une adresse de retour que l’ENT ne connaît pas\u00a0: il ne peut pas vous y renvoyer. Ce n’est pas de votre faute. Retournez à l’application et signalez le problème à l’administrateur ENT de votre établissement, avec le code ci-dessous.',
  'error.access_denied.title': 'Connexion annulée',
  'error.access_denied.text': 'La connexion à l’application a été annulée (par exemple parce que vous avez refusé l’accès). Retournez à l’application si vous voulez recommencer.',
  'error.logout_failed.title': 'Déconnexion non faite',
  'error.logout_failed.text': 'La déconnexion n’a pas pu se faire\u00a0: la demande était incomplète ou trop ancienne (par exemple une page de déconnexion restée ouverte longtemps). Vous êtes peut-être encore connecté\u00a0: recommencez la déconnexion.',
  'error.logout_restart': 'Recommencer la déconnexion',
  'error.invalid_request.title': 'Demande incorrecte',
  'error.invalid_request.text': 'La demande de connexion n’est pas valide. Retournez à l’application et recommencez. Si le problème continue, contactez l’administrateur ENT de votre établissement.',
  'error.invalid_input.title': 'Requête invalide',
  'error.invalid_input.text': 'Ce qui a été envoyé à l’ENT n’a pas pu être lu\u00a0: un des champs contient des caractères non autorisés (par exemple des caractères invisibles) ou il est trop long. Revenez à la page précédente, vérifiez ce que vous avez saisi et réessayez. Si le problème continue, contactez l’administrateur ENT de votre établissement en lui donnant le code ci-dessous.',
  'error.unavailable.title': 'Service momentanément indisponible',
  'error.unavailable.text': 'La connexion à l’ENT est momentanément indisponible. Réessayez dans quelques minutes.',
  'error.not_found.title': 'Page introuvable',
  'error.not_found.text': 'Cette page n’existe pas. Vérifiez l’adresse ou retournez à l’application.',
  'error.server_error.title': 'Une erreur est survenue',
  'error.server_error.text': 'Une erreur inattendue s’est produite. Réessayez dans quelques minutes. Si le problème continue, contactez l’administrateur ENT de votre établissement en lui donnant le code ci-dessous.',
  'error.tenant_not_served.title': 'Application non ouverte à votre compte',
  'error.tenant_not_served.text': 'Cette application est réservée aux comptes d’une autre académie ou d’autres établissements que le vôtre\u00a0: l’ENT ne lui transmet rien de votre compte. Si vous avez un autre compte ENT, connectez-vous avec celui-ci\u00a0; sinon, retournez à l’application.',
} satisfies Record<string, string>;

/** Typed with fr's keys: a missing or unknown key is a compile error. */
const en: Record<keyof typeof fr, string> = {
  'site.name': 'ENT Hauts-de-France',
  'site.skipToContent': 'Skip to content',
  'site.langSwitchLabel': 'Language',
  'site.errorTitle': 'Error: {title}',
  'site.footer': 'ENT Hauts-de-France — one sign-in for ONE (primary schools) and NEO (secondary schools).',
  'site.help': 'Trouble signing in? Ask your school’s ENT administrator.',
  'site.and': 'and',

  'error.status': 'Error {status}',
  'error.requestId': 'Code to give to support: {id}',
  'error.technical': 'Technical code: {code}',
  'error.restart': 'Start signing in to “{client}” again',
  'error.resume': 'Continue signing in',
  'error.restartPlain': 'Start signing in again',
  'error.unknown_client.title': 'Unknown application',
  'error.unknown_client.text': 'The application that sent you here is not recognised by the ENT. Go back to the application or contact your school’s ENT administrator.',
  'error.expired_interaction.title': 'Session expired',
  'error.expired_interaction.text': 'Your sign-in session has expired. Go back to the application and start again.',
  'error.expired_interaction.why': 'For your safety, a sign-in left idle for a few minutes expires.',
  'error.expired_interaction.how': 'Go back to the application you were using (for example ONE or NEO) and click “Sign in” again. If you closed its page, open it again from your bookmarks or its usual address.',
  'error.stale_step.title': 'Page out of date',
  'error.stale_step.text': 'This page is out of date: your sign-in has already moved on to another step (for example after going back). Continue it where it is.',
  'error.invalid_redirect_uri.title': 'Cannot sign in from this application',
  'error.invalid_redirect_uri.text': 'The application sent you to the ENT with a return address the ENT does not know, so it cannot send you back there. It is not your fault. Go back to the application and report the problem to your school’s ENT administrator, with the code below.',
  'error.access_denied.title': 'Sign-in cancelled',
  'error.access_denied.text': 'The sign-in to the application was cancelled (for example because you denied access). Go back to the application if you want to start again.',
  'error.logout_failed.title': 'Not signed out',
  'error.logout_failed.text': 'The sign-out could not be done: the request was incomplete or too old (for example a sign-out page left open for a long time). You may still be signed in: sign out again.',
  'error.logout_restart': 'Sign out again',
  'error.invalid_request.title': 'Invalid request',
  'error.invalid_request.text': 'The sign-in request is not valid. Go back to the application and start again. If the problem continues, contact your school’s ENT administrator.',
  'error.invalid_input.title': 'Invalid request',
  'error.invalid_input.text': 'What was sent to the ENT could not be read: one of the fields contains characters that are not allowed (for example invisible characters) or is too long. Go back to the previous page, check what you typed and try again. If the problem continues, contact your school’s ENT administrator and give them the code below.',
  'error.unavailable.title': 'Service temporarily unavailable',
  'error.unavailable.text': 'ENT sign-in is temporarily unavailable. Please try again in a few minutes.',
  'error.not_found.title': 'Page not found',
  'error.not_found.text': 'This page does not exist. Check the address or go back to the application.',
  'error.server_error.title': 'Something went wrong',
  'error.server_error.text': 'An unexpected error occurred. Please try again in a few minutes. If the problem continues, contact your school’s ENT administrator and give them the code below.',
  'error.tenant_not_served.title': 'This application is not open to your account',
  'error.tenant_not_served.text': 'This application is reserved for the accounts of another académie or of other schools than yours: the ENT gives it nothing of your account. If you have another ENT account, sign in with it; otherwise, go back to the application.',
};

/** Every message key of the hub: the kit's, and those each module adds (see the header comment). */
export interface Messages extends Record<keyof typeof fr, string> {}

export type MessageKey = keyof Messages;

/** A module's messages: the same keys in every language. */
export type MessageCatalogues<K extends string> = { readonly [L in Lang]: Readonly<Record<K, string>> };

const registered: Record<Lang, Record<string, string>> = { fr: {}, en: {} };

/**
 * The registered messages of each language, exported so tests can check them at runtime too.
 * Every MessageKey is there once the modules that declare them are loaded (see `t`).
 */
export const catalogues = registered as Readonly<Record<Lang, Readonly<Record<MessageKey, string>>>>;

/**
 * Adds a module's messages. Keys are unique across modules, and each language must have the
 * same keys: the types say so to a module's author, this says so to a mistake they let through.
 */
export function registerMessages<K extends string>(messages: MessageCatalogues<K>): void {
  const keys = Object.keys(messages.fr);
  for (const lang of LANGS) {
    const missing = keys.filter((key) => !Object.hasOwn(messages[lang], key));
    const extra = Object.keys(messages[lang]).filter((key) => !Object.hasOwn(messages.fr, key));
    if (missing.length + extra.length > 0) {
      throw new HubError('invalid_messages', `the ${lang} messages differ from the fr ones: ${[...missing, ...extra].join(', ')}`);
    }
  }
  const taken = keys.filter((key) => Object.hasOwn(registered.fr, key));
  if (taken.length > 0) throw new HubError('invalid_messages', `messages registered twice: ${taken.join(', ')}`);
  for (const lang of LANGS) Object.assign(registered[lang], messages[lang]);
}

registerMessages({ fr, en });

export function isLang(value: string): value is Lang {
  return (LANGS as readonly string[]).includes(value);
}

export function isMessageKey(value: string): value is MessageKey {
  return Object.hasOwn(registered.fr, value);
}

/**
 * The message for `key`, with `{name}` placeholders replaced from `vars`. A placeholder without
 * a value is left as is: visible in review, and callers (pages.ts) rely on it to insert markup.
 */
export function t(lang: Lang, key: MessageKey, vars?: Record<string, string>): string {
  const template = registered[lang][key];
  // A key the compiler knows but no one registered: the module's pages file forgot its messages.
  if (template === undefined) throw new HubError('unregistered_message', `message ${key} is not registered`);
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) =>
    Object.hasOwn(vars, name) ? (vars[name] as string) : placeholder,
  );
}

/** "a, b et c" / "a, b and c". */
export function joinList(lang: Lang, items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${t(lang, 'site.and')} ${items.at(-1)!}`;
}

/** The text with its first letter in capitals, for a sentence built from lower-case parts. */
export function capitalize(text: string): string {
  return text.charAt(0).toLocaleUpperCase('fr') + text.slice(1);
}

/** Maps a language tag such as `fr-FR` or `EN_gb` to a supported language, if any. */
function matchTag(tag: string): Lang | undefined {
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return isLang(primary) ? primary : undefined;
}

/**
 * `query` is normally the value of the `lang` query parameter; a whole query string
 * (`lang=en&x=1`, `?lang=en`) is accepted too, so a caller passing either gets it right.
 */
function langFromQuery(query: string): Lang | undefined {
  if (query.includes('=')) {
    const value = new URLSearchParams(query.replace(/^\?/, '')).get('lang');
    return value === null ? undefined : matchTag(value);
  }
  return matchTag(query);
}

/** OIDC `ui_locales`: space-separated tags in order of preference. */
function langFromUiLocales(uiLocales: string): Lang | undefined {
  for (const tag of uiLocales.split(/\s+/)) {
    const lang = tag ? matchTag(tag) : undefined;
    if (lang) return lang;
  }
  return undefined;
}

/** Accept-Language (RFC 9110 §12.5.4): highest q first, header order breaks ties, q=0 means "not this". */
function langFromAcceptLanguage(header: string): Lang | undefined {
  const ranges = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.split(';').map((s) => s.trim());
      const qParam = params.find((p) => /^q=/i.test(p));
      const q = qParam === undefined ? 1 : Number(qParam.slice(2));
      return { tag, q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((range) => range.tag !== '' && range.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);

  for (const range of ranges) {
    // '*' means "any language": our default is then as good as any.
    if (range.tag === '*') return DEFAULT_LANG;
    const lang = matchTag(range.tag);
    if (lang) return lang;
  }
  return undefined;
}

/** Chooses the page language: explicit `?lang=` first, then OIDC `ui_locales`, then Accept-Language, then French. */
export function pickLang(input: { query?: string | undefined; uiLocales?: string | undefined; acceptLanguage?: string | undefined }): Lang {
  return (
    (input.query ? langFromQuery(input.query) : undefined) ??
    (input.uiLocales ? langFromUiLocales(input.uiLocales) : undefined) ??
    (input.acceptLanguage ? langFromAcceptLanguage(input.acceptLanguage) : undefined) ??
    DEFAULT_LANG
  );
}
