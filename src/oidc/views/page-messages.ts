/** Texts of the OIDC pages of pages.ts (consent, logout), French first. */
import { registerMessages } from '../../ui/i18n.js';

const fr = {
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
} satisfies Record<string, string>;

const en: Record<keyof typeof fr, string> = {
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
};

declare module '../../ui/i18n.js' {
  interface Messages extends Record<keyof typeof fr, string> {}
}

registerMessages({ fr, en });
