/**
 * The letters' words. Two versions of the instructions: a pupil's, in simple words and addressed
 * as "tu", with an adult to help; everyone else's (parents, teachers, staff), as "vous". French
 * typography: apostrophe ’, a no-break space before a colon inside running text.
 */
import type { Profile } from '../../identity/vocabulary.js';

const NBSP = '\u00a0';

export type Audience = 'child' | 'adult';

/** A pupil reads the child's version; parents, teachers, staff and guests the adult's. */
export const audienceOf = (profile: Profile): Audience => (profile === 'Student' ? 'child' : 'adult');

export interface Instructions {
  title: string;
  steps: string[];
  /** Keep the code secret; what to do once it has expired. */
  warning: string;
}

const INSTRUCTIONS: Record<Audience, Instructions> = {
  child: {
    title: 'Comment faire ?',
    steps: [
      'Demande à un adulte de t’aider.',
      'Va à l’adresse écrite ci-dessus, ou scanne le code QR.',
      'Écris ton identifiant et ton code d’activation.',
      'Choisis ton mot de passe et retiens-le bien.',
    ],
    warning: `Ton code est secret${NBSP}: ne le donne jamais à un camarade. S’il ne marche plus, demande une nouvelle lettre à ton professeur.`,
  },
  adult: {
    title: 'Première connexion',
    steps: [
      'Allez à l’adresse ci-dessus, ou scannez le code QR.',
      'Saisissez votre identifiant et votre code d’activation.',
      'Choisissez votre mot de passe, qui remplacera ce code.',
    ],
    warning: `Ce code est personnel et ne sert qu’une fois${NBSP}: ne le communiquez à personne. Une fois expiré, demandez-en un nouveau à l’établissement.`,
  },
};

export const instructionsFor = (profile: Profile): Instructions => INSTRUCTIONS[audienceOf(profile)];

const dateParts = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Paris' });

/**
 * formatToParts is slow, and the letters of a batch expire within the same few minutes: one
 * formatting per minute (Paris days begin on a whole minute, so a minute has one date).
 */
const formatted = new Map<number, string>();

/** `7 décembre 2026`, `1er janvier 2027`: the day as in Paris, where the schools are. */
export function frenchDate(date: Date): string {
  const minute = Math.floor(date.getTime() / 60_000);
  let text = formatted.get(minute);
  if (text === undefined) {
    text = dateParts.formatToParts(date)
      .map((part) => (part.type === 'day' && part.value === '1' ? '1er' : part.value))
      .join('');
    if (formatted.size > 1000) formatted.clear();
    formatted.set(minute, text);
  }
  return text;
}

export const LABELS = {
  letterOf: (date: Date) => `Lettre de connexion du ${frenchDate(date)}`,
  login: 'Identifiant : ',
  code: 'Code d’activation : ',
  address: 'Adresse : ',
  validUntil: (date: Date) => `Valable jusqu’au ${frenchDate(date)}`,
  className: (name: string) => (name.includes(', ') ? `Classes ${name}` : `Classe ${name}`),
  title: (entName: string) => `Lettres de connexion – ${entName}`,
};
