/** Texts of the federation pages (home-realm choice, account choice, no account found), French first. */
import { registerMessages } from '../ui/i18n.js';

const fr = {
  'federation.choice.heading': 'Comment vous connectez-vous\u00a0?',
  'federation.choice.educonnect': 'Élève ou parent — ÉduConnect',
  'federation.choice.staff': 'Personnel de l’Éducation nationale',
  'federation.choice.local': 'Ou avec votre identifiant ENT\u00a0:',
  'federation.choice.lastUsed': 'votre dernier choix',

  'federation.staff.title': 'Choisissez votre académie',
  'federation.staff.intro': 'Vous allez vous connecter avec votre compte académique (le même que pour votre messagerie professionnelle).',
  'federation.staff.none': 'Aucune académie n’est encore raccordée. Utilisez votre identifiant ENT.',

  'federation.back': 'Revenir à la page de connexion',

  'federation.accounts.title': 'Choisissez votre compte',
  'federation.accounts.intro': 'Plusieurs comptes ENT correspondent à votre identité (par exemple un compte par académie). Lequel voulez-vous utiliser\u00a0?',
  'federation.accounts.legend': 'Vos comptes ENT',
  'federation.accounts.submit': 'Continuer',
  'federation.accounts.loginOf': 'identifiant\u00a0: {login}',

  'federation.profile.Student': 'Élève',
  'federation.profile.Relative': 'Parent',
  'federation.profile.Teacher': 'Enseignant',
  'federation.profile.Personnel': 'Personnel',
  'federation.profile.Guest': 'Invité',

  'federation.noAccount.title': 'Aucun compte ENT trouvé',
  'federation.noAccount.lead': 'Votre connexion a réussi, mais aucun compte ENT ne correspond encore à votre identité.',
  'federation.noAccount.family': 'Les comptes des élèves et des parents sont créés par l’établissement à partir de l’annuaire de l’académie, parfois quelques jours après l’inscription. Si votre enfant vient d’arriver, réessayez dans quelques jours. Sinon, contactez le secrétariat ou l’administrateur ENT de l’établissement.',
  'federation.noAccount.staff': 'Votre compte ENT est créé à partir de l’annuaire de l’académie, avec votre adresse e-mail académique. Si vous venez d’être nommé, réessayez dans quelques jours. Sinon, contactez l’administrateur ENT de votre établissement.',
  'federation.noAccount.activationCode': 'Si l’établissement vous a remis un code d’activation, vous pouvez aussi vous connecter avec votre identifiant ENT.',

  'federation.failure.title': 'Connexion refusée',
  'federation.failure.signature': 'La réponse du service d’authentification n’a pas pu être vérifiée (signature absente ou incorrecte). Pour votre sécurité, la connexion est refusée.',
  'federation.failure.replay': 'Cette réponse de connexion a déjà été utilisée. Recommencez la connexion depuis l’application.',
  'federation.failure.expired': 'La réponse de connexion a expiré ou n’est pas encore valable. Vérifiez l’heure de votre appareil, puis recommencez la connexion depuis l’application.',
  'federation.failure.audience': 'La réponse de connexion n’était pas destinée à l’ENT. Recommencez la connexion depuis l’application.',
  'federation.failure.request': 'Cette réponse de connexion ne correspond à aucune demande en cours de l’ENT. Recommencez la connexion depuis l’application.',
  'federation.failure.expired_interaction': 'Votre session de connexion a expiré. Retournez à l’application et recommencez.',
  'federation.failure.unavailable': 'Le service d’authentification est momentanément indisponible. Réessayez dans quelques minutes ou utilisez votre identifiant ENT.',
  'federation.failure.generic': 'La réponse du service d’authentification n’est pas valide. Recommencez la connexion depuis l’application. Si le problème continue, contactez l’administrateur ENT de votre établissement.',
  'federation.failure.upstream_error': 'La connexion n’a pas abouti auprès du service d’authentification (par exemple parce qu’elle a été annulée). Recommencez la connexion depuis l’application, ou utilisez votre identifiant ENT.',
  'federation.failure.unknown_connector': 'Ce moyen de connexion n’est pas disponible. Revenez à la page de connexion et choisissez-en un autre, ou utilisez votre identifiant ENT.',
  'federation.failure.no_identifier': 'Le service d’authentification n’a pas transmis de quoi vous reconnaître. Recommencez la connexion depuis l’application. Si le problème continue, contactez l’administrateur ENT de votre établissement.',
  'federation.failure.interruptedTitle': 'Connexion interrompue',

  'federation.logout.title': 'Vous êtes déconnecté',
  'federation.logout.done': 'Votre session ENT est terminée.',
  'federation.logout.partial': 'Le service d’authentification n’a pas pu confirmer la fin de votre session chez lui.',
  'federation.logout.closeBrowser': 'Sur un ordinateur partagé, fermez le navigateur pour terminer aussi les autres sessions.',

  'federation.choice.educonnectUnavailable': 'ÉduConnect est momentanément indisponible. Réessayez dans quelques minutes.',
  'federation.choice.staffUnavailable': 'La connexion des personnels est momentanément indisponible. Réessayez dans quelques minutes.',
  'federation.choice.academieUnavailable': 'La connexion de cette académie est momentanément indisponible. Réessayez dans quelques minutes.',
} satisfies Record<string, string>;

const en: Record<keyof typeof fr, string> = {
  'federation.choice.heading': 'How do you sign in?',
  'federation.choice.educonnect': 'Pupil or parent — ÉduConnect',
  'federation.choice.staff': 'French national education staff',
  'federation.choice.local': 'Or with your ENT username:',
  'federation.choice.lastUsed': 'your last choice',

  'federation.staff.title': 'Choose your académie',
  'federation.staff.intro': 'You will sign in with your académie account (the same as for your work e-mail).',
  'federation.staff.none': 'No académie is connected yet. Use your ENT username.',

  'federation.back': 'Back to the sign-in page',

  'federation.accounts.title': 'Choose your account',
  'federation.accounts.intro': 'Several ENT accounts match your identity (for example one per académie). Which one do you want to use?',
  'federation.accounts.legend': 'Your ENT accounts',
  'federation.accounts.submit': 'Continue',
  'federation.accounts.loginOf': 'username: {login}',

  'federation.profile.Student': 'Pupil',
  'federation.profile.Relative': 'Parent',
  'federation.profile.Teacher': 'Teacher',
  'federation.profile.Personnel': 'Staff',
  'federation.profile.Guest': 'Guest',

  'federation.noAccount.title': 'No ENT account found',
  'federation.noAccount.lead': 'You signed in successfully, but no ENT account matches your identity yet.',
  'federation.noAccount.family': 'Pupil and parent accounts are created by the school from the académie directory, sometimes a few days after enrolment. If your child has just arrived, try again in a few days. Otherwise, contact the school office or the school’s ENT administrator.',
  'federation.noAccount.staff': 'Your ENT account is created from the académie directory, with your académie e-mail address. If you have just been appointed, try again in a few days. Otherwise, contact your school’s ENT administrator.',
  'federation.noAccount.activationCode': 'If the school gave you an activation code, you can also sign in with your ENT username.',

  'federation.failure.title': 'Sign-in refused',
  'federation.failure.signature': 'The answer of the authentication service could not be verified (missing or wrong signature). For your safety, the sign-in is refused.',
  'federation.failure.replay': 'This sign-in answer has already been used. Start again from the application.',
  'federation.failure.expired': 'The sign-in answer has expired or is not valid yet. Check your device’s clock, then start again from the application.',
  'federation.failure.audience': 'The sign-in answer was not meant for the ENT. Start again from the application.',
  'federation.failure.request': 'This sign-in answer matches no sign-in in progress at the ENT. Start again from the application.',
  'federation.failure.expired_interaction': 'Your sign-in session has expired. Go back to the application and start again.',
  'federation.failure.unavailable': 'The authentication service is temporarily unavailable. Try again in a few minutes or use your ENT username.',
  'federation.failure.generic': 'The answer of the authentication service is not valid. Start again from the application. If the problem continues, contact your school’s ENT administrator.',
  'federation.failure.upstream_error': 'The sign-in did not go through at the authentication service (for example because it was cancelled). Start again from the application, or use your ENT username.',
  'federation.failure.unknown_connector': 'This way of signing in is not available. Go back to the sign-in page and choose another one, or use your ENT username.',
  'federation.failure.no_identifier': 'The authentication service did not send anything to recognise you by. Start again from the application. If the problem continues, contact your school’s ENT administrator.',
  'federation.failure.interruptedTitle': 'Sign-in interrupted',

  'federation.logout.title': 'You are signed out',
  'federation.logout.done': 'Your ENT session has ended.',
  'federation.logout.partial': 'The authentication service could not confirm that your session there has ended.',
  'federation.logout.closeBrowser': 'On a shared computer, close the browser to end the other sessions too.',

  'federation.choice.educonnectUnavailable': 'ÉduConnect is temporarily unavailable. Try again in a few minutes.',
  'federation.choice.staffUnavailable': 'Staff sign-in is temporarily unavailable. Try again in a few minutes.',
  'federation.choice.academieUnavailable': 'Sign-in for this académie is temporarily unavailable. Try again in a few minutes.',
};

declare module '../ui/i18n.js' {
  interface Messages extends Record<keyof typeof fr, string> {}
}

registerMessages({ fr, en });
