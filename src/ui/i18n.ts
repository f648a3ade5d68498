/**
 * Languages and messages of the hub's pages. French is the reference language (the ENT's users
 * are French schools); English is offered for families and staff who prefer it.
 *
 * French typography: a no-break space (\u00a0) goes before « ? ! : ; » and inside « guillemets »,
 * so that punctuation never wraps alone onto the next line on a narrow phone screen.
 */

import { federationMessages } from '../federation/messages.js';
import { accountMessages } from '../oidc/views/account-messages.js';

export type Lang = 'fr' | 'en';

export const LANGS: readonly Lang[] = ['fr', 'en'];

export const DEFAULT_LANG: Lang = 'fr';

/** The reference catalogue: its keys define MessageKey. Placeholders look like `{client}`. */
const fr = {
  'site.name': 'ENT Hauts-de-France',
  'site.skipToContent': 'Aller au contenu',
  'site.langSwitchLabel': 'Langue',
  'site.errorTitle': 'Erreur\u00a0: {title}',
  'site.footer': 'ENT Hauts-de-France — la connexion commune à ONE (écoles) et NEO (collèges et lycées).',
  'site.help': 'Un problème pour vous connecter\u00a0? Adressez-vous à l’administrateur ENT de votre établissement.',
  'site.and': 'et',

  'login.title': 'Connexion',
  'login.intro': 'Connectez-vous pour accéder à «\u00a0{client}\u00a0».',
  'login.login': 'Identifiant',
  'login.password': 'Mot de passe',
  'login.submit': 'Se connecter',
  'login.error.invalid_credentials': 'Identifiant ou mot de passe incorrect.',
  'login.error.missing_fields': 'Saisissez votre identifiant et votre mot de passe.',
  'login.forgotten': 'Identifiant ou mot de passe oublié\u00a0? Demandez à votre enseignant ou à l’administrateur ENT de votre établissement.',

  'consent.title': 'Autoriser l’accès\u00a0?',
  'consent.intro': 'L’application «\u00a0{client}\u00a0» demande à utiliser votre compte ENT.',
  'consent.account': 'Vous êtes connecté avec le compte de {name} (identifiant\u00a0: {login}).',
  'consent.listIntro': 'Elle recevra\u00a0:',
  'consent.allow': 'Autoriser',
  'consent.deny': 'Refuser',
  'consent.note': 'Si vous refusez, vous ne serez pas connecté à cette application.',

  'scope.openid': 'Un numéro propre à votre compte, pour vous reconnaître d’une connexion à l’autre',
  'scope.profile': 'Vos prénom, nom et identifiant ENT',
  'scope.email': 'Votre adresse e-mail',
  'scope.ent': 'Votre profil ENT (élève, parent, enseignant…), votre établissement et vos classes',
  'scope.ent_children': 'Les prénoms et noms de vos enfants',
  'scope.offline_access': 'Un accès à ces informations même quand vous n’utilisez pas l’application',
  'scope.other': 'Un accès au service «\u00a0{scope}\u00a0» de l’ENT',
  'scope.ent.profile': 'votre profil ENT ({profile})',
  'scope.ent.structure': 'votre établissement',
  'scope.ent.structures': 'vos établissements',
  'scope.ent.class': 'votre classe',
  'scope.ent.classes': 'vos classes',

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

  'logout.title': 'Déconnexion',
  'logout.intro': 'Vous quittez «\u00a0{client}\u00a0».',
  'logout.question': 'Voulez-vous aussi vous déconnecter de l’ENT et de toutes ses applications\u00a0?',
  'logout.sharedDevice': 'Sur un ordinateur ou une tablette partagés, déconnectez-vous toujours partout.',
  'logout.everywhere': 'Me déconnecter partout',
  'logout.stay': 'Rester connecté',

  'loggedOut.title': 'Déconnexion terminée',
  'loggedOut.text': 'Vous êtes bien déconnecté de l’ENT et de toutes ses applications. Vous pouvez fermer cette page.',
  'loggedOut.client': 'Vous êtes bien déconnecté de «\u00a0{client}\u00a0».',
  'loggedOut.stillSignedIn': 'Vous restez connecté à l’ENT et à ses autres applications.',
  'loggedOut.everywhere': 'Me déconnecter aussi de l’ENT',
  'loggedOut.sharedDevice': 'Sur un ordinateur partagé, pensez aussi à fermer le navigateur.',
  ...accountMessages.fr,
  ...federationMessages.fr,
} satisfies Record<string, string>;

export type MessageKey = keyof typeof fr;

/** Typed as Record<MessageKey, string>: a missing or unknown key is a compile error. */
const en: Record<MessageKey, string> = {
  'site.name': 'ENT Hauts-de-France',
  'site.skipToContent': 'Skip to content',
  'site.langSwitchLabel': 'Language',
  'site.errorTitle': 'Error: {title}',
  'site.footer': 'ENT Hauts-de-France — one sign-in for ONE (primary schools) and NEO (secondary schools).',
  'site.help': 'Trouble signing in? Ask your school’s ENT administrator.',
  'site.and': 'and',

  'login.title': 'Sign in',
  'login.intro': 'Sign in to continue to “{client}”.',
  'login.login': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.error.invalid_credentials': 'Incorrect username or password.',
  'login.error.missing_fields': 'Enter your username and your password.',
  'login.forgotten': 'Forgot your username or password? Ask your teacher or your school’s ENT administrator.',

  'consent.title': 'Allow access?',
  'consent.intro': 'The application “{client}” is asking to use your ENT account.',
  'consent.account': 'You are signed in with the account of {name} (username: {login}).',
  'consent.listIntro': 'It will receive:',
  'consent.allow': 'Allow',
  'consent.deny': 'Deny',
  'consent.note': 'If you deny, you will not be signed in to this application.',

  'scope.openid': 'A number of your own account, to recognise you from one sign-in to the next',
  'scope.profile': 'Your first name, last name and ENT username',
  'scope.email': 'Your email address',
  'scope.ent': 'Your ENT profile (pupil, parent, teacher…), your school and your classes',
  'scope.ent_children': 'Your children’s first and last names',
  'scope.offline_access': 'Access to this information even when you are not using the application',
  'scope.other': 'Access to the ENT service “{scope}”',
  'scope.ent.profile': 'your ENT profile ({profile})',
  'scope.ent.structure': 'your school',
  'scope.ent.structures': 'your schools',
  'scope.ent.class': 'your class',
  'scope.ent.classes': 'your classes',

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

  'logout.title': 'Sign out',
  'logout.intro': 'You are leaving “{client}”.',
  'logout.question': 'Do you also want to sign out of the ENT and all its applications?',
  'logout.sharedDevice': 'On a shared computer or tablet, always sign out everywhere.',
  'logout.everywhere': 'Sign me out everywhere',
  'logout.stay': 'Stay signed in',

  'loggedOut.title': 'Signed out',
  'loggedOut.text': 'You are signed out of the ENT and all its applications. You can close this page.',
  'loggedOut.client': 'You are signed out of “{client}”.',
  'loggedOut.stillSignedIn': 'You are still signed in to the ENT and its other applications.',
  'loggedOut.everywhere': 'Sign me out of the ENT too',
  'loggedOut.sharedDevice': 'On a shared computer, remember to close the browser too.',
  ...accountMessages.en,
  ...federationMessages.en,
};

/** Both catalogues, exported so tests can check them at runtime too. */
export const catalogues: Readonly<Record<Lang, Readonly<Record<MessageKey, string>>>> = { fr, en };

export function isLang(value: string): value is Lang {
  return (LANGS as readonly string[]).includes(value);
}

export function isMessageKey(value: string): value is MessageKey {
  return Object.hasOwn(fr, value);
}

/**
 * The message for `key`, with `{name}` placeholders replaced from `vars`. A placeholder without
 * a value is left as is: visible in review, and callers (pages.ts) rely on it to insert markup.
 */
export function t(lang: Lang, key: MessageKey, vars?: Record<string, string>): string {
  const template = catalogues[lang][key];
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) =>
    Object.hasOwn(vars, name) ? (vars[name] as string) : placeholder,
  );
}

/** The scopes with a description of their own; any other scope (an API's) is described generically. */
const DESCRIBED_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'ent', 'ent_children', 'offline_access']);

/** Human description of an OIDC scope; an unknown scope (e.g. an API's) is named inside a sentence. */
export function describeScope(lang: Lang, scope: string): string {
  return DESCRIBED_SCOPES.has(scope) ? t(lang, `scope.${scope}` as MessageKey) : t(lang, 'scope.other', { scope });
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
