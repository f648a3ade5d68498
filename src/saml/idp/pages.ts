/**
 * The IdP's own pages: a request it refuses to answer (said in words, the technical code in small
 * print), the single-logout page that tells the SPs in frames, and the end of a logout.
 */
import { errorActionHtml, errorFinePrint } from '../../ui/error-page.js';
import { html, safeUrl } from '../../ui/html.js';
import { registerMessages, t, type Lang } from '../../ui/i18n.js';
import { layout } from '../../ui/layout.js';

export const SAML_LOGOUT_SCRIPT_URL = '/assets/saml-logout.js';

const fr = {
  'samlIdp.refused.title': 'Accès au service impossible',
  'samlIdp.refused.request': 'Le service qui vous a envoyé ici a fait une demande que l’ENT ne peut pas accepter (service inconnu, demande incomplète, trop ancienne ou déjà utilisée). Retournez sur le service et recommencez. Si le problème continue, contactez l’administrateur ENT de votre établissement avec le code ci-dessous.',
  'samlIdp.refused.gar_no_school': 'Aucun de vos établissements ne donne accès aux ressources numériques du GAR (manuels et ressources en ligne) depuis l’ENT. Si vous pensez que c’est une erreur, contactez l’administrateur ENT de votre établissement.',
  'samlIdp.refused.tenant_not_served': 'Ce service est réservé aux comptes d’une autre académie\u00a0: l’ENT ne lui transmet rien de votre compte.',
  'samlIdp.refused.account_unavailable': 'Votre compte ne peut pas se connecter à ce service pour le moment. Reconnectez-vous à l’ENT, puis rouvrez le service.',
  'samlIdp.refused.unknown_sp': 'Ce service n’est pas connu de l’ENT, ou il n’est plus ouvert. Retournez à la page d’où vous venez.',
  'samlIdp.logout.title': 'Déconnexion en cours',
  'samlIdp.logout.text': 'L’ENT vous déconnecte aussi des services que vous avez ouverts avec votre compte. Cela prend quelques secondes.',
  'samlIdp.logout.continue': 'Continuer',
  'samlIdp.loggedOut.title': 'Vous êtes déconnecté',
  'samlIdp.loggedOut.text': 'Vous êtes déconnecté de l’ENT et des services ouverts avec votre compte. Pour plus de sécurité, fermez votre navigateur si l’ordinateur est partagé.',
  'samlIdp.frame.done': 'Déconnecté de ce service.',
};
const en: Record<keyof typeof fr, string> = {
  'samlIdp.refused.title': 'The service cannot be opened',
  'samlIdp.refused.request': 'The service that sent you here made a request the ENT cannot accept (unknown service, incomplete, too old or already used request). Go back to the service and try again. If the problem persists, contact your school’s ENT administrator with the code below.',
  'samlIdp.refused.gar_no_school': 'None of your schools gives access to the GAR digital resources (textbooks and online resources) from the ENT. If you think this is a mistake, contact your school’s ENT administrator.',
  'samlIdp.refused.tenant_not_served': 'This service is reserved for the accounts of another académie: the ENT gives it nothing of your account.',
  'samlIdp.refused.account_unavailable': 'Your account cannot sign in to this service at the moment. Sign in to the ENT again, then open the service again.',
  'samlIdp.refused.unknown_sp': 'This service is not known to the ENT, or it is no longer open. Go back to the page you came from.',
  'samlIdp.logout.title': 'Signing out',
  'samlIdp.logout.text': 'The ENT is also signing you out of the services you opened with your account. This takes a few seconds.',
  'samlIdp.logout.continue': 'Continue',
  'samlIdp.loggedOut.title': 'You are signed out',
  'samlIdp.loggedOut.text': 'You are signed out of the ENT and of the services opened with your account. For more safety, close your browser if the computer is shared.',
  'samlIdp.frame.done': 'Signed out of this service.',
};

declare module '../../ui/i18n.js' {
  interface Messages extends Record<keyof typeof fr, string> {}
}

registerMessages({ fr, en });

export type RefusalKind = 'request' | 'gar_no_school' | 'tenant_not_served' | 'account_unavailable' | 'unknown_sp';

export function refusalPage(p: { lang: Lang; kind: RefusalKind; status: number; code: string; requestId?: string }): string {
  return layout({
    lang: p.lang,
    title: t(p.lang, 'samlIdp.refused.title'),
    hasError: true,
    body: html`<p class="lead">${t(p.lang, `samlIdp.refused.${p.kind}`)}</p>
        ${errorFinePrint(p.lang, p)}`,
  });
}

/** The page that tells every SP in a frame (`frames`), then goes on to `done` (the script, or the button). */
export function propagationPage(p: { lang: Lang; frames: string[]; status: string; done: string }): string {
  return layout({
    lang: p.lang,
    title: t(p.lang, 'samlIdp.logout.title'),
    showHelp: false,
    body: html`<p>${t(p.lang, 'samlIdp.logout.text')}</p>
        <div id="saml-logout" data-status="${safeUrl(p.status)}" data-done="${safeUrl(p.done)}">
          ${p.frames.map((src) => html`<iframe class="logout-frame" src="${safeUrl(src)}" title="${t(p.lang, 'samlIdp.logout.title')}" width="1" height="1"></iframe>`)}
        </div>
        ${errorActionHtml({ href: p.done, label: t(p.lang, 'samlIdp.logout.continue') })}
        <script src="${SAML_LOGOUT_SCRIPT_URL}" defer></script>`,
  });
}

export function loggedOutPage(lang: Lang): string {
  return layout({ lang, title: t(lang, 'samlIdp.loggedOut.title'), body: html`<p class="lead">${t(lang, 'samlIdp.loggedOut.text')}</p>` });
}

/** What a frame of the logout page shows once its SP answered. */
export function frameDonePage(lang: Lang): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${t(lang, 'samlIdp.frame.done')}</title></head><body><p>${t(lang, 'samlIdp.frame.done')}</p></body></html>`;
}
