/**
 * The HTTP-POST binding's page (SAML bindings 3.5.4): a form carrying the message to the SP's
 * URL, sent on load by /assets/saml-post.js (the CSP allows no inline script), with a visible
 * button for browsers without JavaScript.
 */
import { html, safeUrl } from '../../ui/html.js';
import { registerMessages, t, type Lang } from '../../ui/i18n.js';
import { layout } from '../../ui/layout.js';

export const SAML_POST_SCRIPT_URL = '/assets/saml-post.js';

const fr = {
  'samlPost.title': 'Connexion au service',
  'samlPost.text': 'Vous allez être connecté au service. Si rien ne se passe, cliquez sur «\u00a0Continuer\u00a0».',
  'samlPost.submit': 'Continuer',
};
const en: Record<keyof typeof fr, string> = {
  'samlPost.title': 'Signing in to the service',
  'samlPost.text': 'You are being signed in to the service. If nothing happens, click “Continue”.',
  'samlPost.submit': 'Continue',
};

declare module '../../ui/i18n.js' {
  interface Messages extends Record<keyof typeof fr, string> {}
}

registerMessages({ fr, en });

/** The page that posts `fieldName` (SAMLResponse or SAMLRequest) and RelayState, if any, to `url`. */
export function autoPostForm(url: string, fieldName: 'SAMLResponse' | 'SAMLRequest', base64: string, relayState: string | undefined, lang: Lang): string {
  return layout({
    lang,
    title: t(lang, 'samlPost.title'),
    showHelp: false,
    body: html`<p>${t(lang, 'samlPost.text')}</p>
        <form id="saml-post" method="post" action="${safeUrl(url)}">
          <input type="hidden" name="${fieldName}" value="${base64}">
          ${relayState !== undefined && html`<input type="hidden" name="RelayState" value="${relayState}">`}
          <button type="submit">${t(lang, 'samlPost.submit')}</button>
        </form>
        <script src="${SAML_POST_SCRIPT_URL}" defer></script>`,
  });
}
