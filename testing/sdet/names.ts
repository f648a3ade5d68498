/**
 * Name pools for the SDET generator: French first and family names as they appear in the
 * Hauts-de-France annuaires, most frequent first (the pools are drawn with Zipf-like weights,
 * which gives natural homonyms). Deliberately includes accents and diaereses (Éloïse, Noé,
 * Lefèvre), œ, apostrophes (N'Diaye, D'Hondt), hyphens (Jean-Baptiste, Martin-Dubois),
 * particles and spaces (de La Fontaine, Le Goff, Van de Velde), and a few non-Latin-1 letters
 * (Wiśniewski, Öztürk). All are fictitious people; only the names are common.
 */

export const PUPIL_FIRST_NAMES_F = [
  'Léa', 'Emma', 'Jade', 'Louise', 'Alice', 'Chloé', 'Lina', 'Rose', 'Anna', 'Mila', 'Inès', 'Ambre',
  'Julia', 'Mia', 'Léna', 'Manon', 'Juliette', 'Lou', 'Zoé', 'Camille', 'Éloïse', 'Maëlys', 'Anaïs',
  'Clémence', 'Agathe', 'Romane', 'Héloïse', 'Noémie', 'Maëlle', 'Océane', 'Célia', 'Sarah', 'Yasmine',
  'Aïcha', 'Fatoumata', 'Salomé', 'Capucine', 'Margaux', 'Apolline', 'Énora', 'Lilou', 'Nina',
  'Charlotte', 'Iris', 'Adèle', 'Victoire', 'Élise', 'Kenza', 'Maryam', 'Lisa', 'Pauline', 'Lucie',
  'Marie-Lou', 'Thaïs', 'Gabrielle', 'Joséphine', 'Clara', 'Éléna', 'Anne-Laure', 'Zélie',
] as const;

export const PUPIL_FIRST_NAMES_M = [
  'Gabriel', 'Léo', 'Raphaël', 'Arthur', 'Louis', 'Jules', 'Adam', 'Maël', 'Lucas', 'Hugo', 'Noah',
  'Liam', 'Gabin', 'Sacha', 'Paul', 'Nathan', 'Aaron', 'Mohamed', 'Ethan', 'Tom', 'Noé', 'Théo',
  'Timéo', 'Mathéo', 'Nolan', 'Enzo', 'Axel', 'Clément', 'Baptiste', 'Mathis', 'Rayan', 'Ismaël',
  'Amir', 'Côme', 'Titouan', 'Évan', 'Kylian', 'Yanis', 'Malo', 'Victor', 'Valentin', 'Antoine',
  'Martin', 'Samuel', 'Eliott', 'Quentin', 'Maxime', 'Jean-Baptiste', 'Pierre-Louis', 'Léandre',
  'Loïc', 'Zacharie', 'Anatole', 'Ilyès', 'Bastien', 'Romain', 'Alexandre', 'Jérémie', 'Benoît',
] as const;

export const ADULT_FIRST_NAMES_F = [
  'Nathalie', 'Isabelle', 'Sylvie', 'Catherine', 'Stéphanie', 'Sandrine', 'Céline', 'Aurélie',
  'Virginie', 'Émilie', 'Julie', 'Caroline', 'Sophie', 'Valérie', 'Laetitia', 'Audrey', 'Karine',
  'Delphine', 'Marie-Claire', 'Anne-Sophie', 'Marie', 'Hélène', 'Véronique', 'Christelle', 'Séverine',
  'Fatima', 'Nadia', 'Amélie', 'Élodie', 'Mélanie', 'Géraldine', 'Françoise', 'Bérénice', 'Agnès',
  'Laurence', 'Cécile', 'Patricia', 'Corinne', 'Gaëlle', 'Maryse', 'Jessica', 'Angélique', 'Magali',
  'Claire', 'Anne', 'Marie-Christine', 'Marie-Hélène', 'Noëlle', 'Dominique', 'Zoubida', 'Léa',
] as const;

export const ADULT_FIRST_NAMES_M = [
  'Sébastien', 'Frédéric', 'Jérôme', 'Nicolas', 'Christophe', 'Stéphane', 'David', 'Laurent',
  'Olivier', 'Julien', 'Cédric', 'Grégory', 'Jean-Baptiste', 'Jean-Pierre', 'Jean-François',
  'Pierre-Yves', 'François', 'Thierry', 'Pascal', 'Philippe', 'Éric', 'Hervé', 'Benoît', 'Rémi',
  'Jérémy', 'Mickaël', 'Ludovic', 'Karim', 'Mohamed', 'Thomas', 'Guillaume', 'Franck', 'Bruno',
  'Régis', 'Loïc', 'Gaëtan', 'Yannick', 'Joël', 'Noël', 'Jean-Marc', 'Jean-Luc', 'Fabrice', 'Damien',
  'Arnaud', 'Vincent', 'Xavier', 'Anthony', 'Mehdi', 'Rachid', 'Samir', 'Dominique', 'José',
] as const;

export const FAMILY_NAMES = [
  'Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau',
  'Simon', 'Laurent', 'Lefèvre', 'Michel', 'Garcia', 'David', 'Bertrand', 'Roux', 'Vincent', 'Fournier',
  'Morel', 'Girard', 'André', 'Lefebvre', 'Mercier', 'Dupont', 'Lambert', 'Bonnet', 'François',
  'Martinez', 'Legrand', 'Garnier', 'Faure', 'Rousseau', 'Blanc', 'Guérin', 'Muller', 'Henry',
  'Roussel', 'Nicolas', 'Perrin', 'Morin', 'Mathieu', 'Clément', 'Gauthier', 'Dumont', 'Lopez',
  'Fontaine', 'Chevalier', 'Robin', 'Masson', 'Gérard', 'Nguyen', 'Boyer', 'Denis', 'Lemaire', 'Duval',
  'Joly', 'Roger', 'Roche', 'Roy', 'Noël', 'Meyer', 'Lucas', 'Meunier', 'Jean', 'Perez', 'Marchand',
  'Dufour', 'Blanchard', 'Barbier', 'Brun', 'Dumas', 'Brunet', 'Schmitt', 'Leroux', 'Colin',
  'Fernandez', 'Renard', 'Arnaud', 'Caron', 'Aubert', 'Giraud', 'Leclerc', 'Vidal', 'Bourgeois',
  'Renaud', 'Lemoine', 'Picard', 'Gaillard', 'Philippe', 'Leclercq', 'Lacroix', 'Fabre', 'Dupuis',
  'Olivier', 'Rodriguez', 'Da Silva', 'Hubert', 'Louis', 'Charles', 'Guillot', 'Rivière', 'Le Gall',
  'Guillaume', 'Adam', 'Rey', 'Moulin', 'Gonzalez', 'Berger', 'Lecomte', 'Ménard', 'Fleury',
  'Deschamps', 'Carpentier', 'Julien', 'Benoît', 'Maillard', 'Marchal', 'Aubry', 'Vasseur', 'Le Roux',
  'Renault', 'Jacquet', 'Collet', 'Prévost', 'Poirier', 'Charpentier', 'Royer', 'Huet', 'Baron',
  'Dupuy', 'Carré', 'Breton', 'Rémy', 'Schneider', 'Cousin',
  // Nord and Pas-de-Calais, Flemish and Picard names
  'Delattre', 'Dubus', 'Deleplanque', 'Vandenbussche', 'Vanhoutte', 'Desmet', 'Delcroix', 'Dhainaut',
  'Dewaele', 'Vermeulen', 'Caudron', 'Lecointe', 'Duhamel', 'Leleu', 'Hennebelle', 'Bouchez',
  'Cuvelier', 'Decroix', 'Deprez', 'Déprez', 'Devos', 'Lefranc', 'Ségard', 'Van de Velde', 'Vandamme',
  "D'Hondt", 'Wattiez', 'Delannoy', 'Debruyne', 'Lemaître', 'Dufossé', 'Lefeuvre', 'Boulanger',
  'Crépin', 'Wiart', 'Hochart', 'Lesage', 'Dequidt', 'Plouvier', 'Tison', 'Leprêtre', 'Bocquet',
  'Lamotte', 'Dassonville', 'Coquelle', 'Becquart', 'De Bruyne', 'Cœurdevey',
  // the mining basin's Polish families, and the région's other origins
  'Kowalski', 'Nowak', 'Wiśniewski', 'Lewandowski', 'Kaczmarek', 'Szymański', 'Wójcik',
  "N'Diaye", 'Diallo', 'Traoré', 'Diop', 'Benali', 'Haddad', 'Boukhris', 'Belkacem', 'Bensaïd',
  'Mansouri', 'Yılmaz', 'Öztürk', 'Da Costa', 'Dos Santos', 'Ferreira', 'Pereira', "D'Almeida",
  'Rodrigues', 'Tran', 'Pham',
  // particles, spaces and hyphenated (older double) names
  'Le Goff', 'de La Fontaine', 'Le Bihan', 'Le Corre', 'de Oliveira', 'de Sousa', 'Martin-Dubois',
  'Lemaire-Duval', 'Roux-Chevalier', 'Garnier-Lambert', 'Fontaine-Morel', 'Saint-Amand',
] as const;

export const SCHOOL_NAMESAKES = [
  'Jean Moulin', 'Victor Hugo', 'Jules Ferry', 'Louise Michel', 'Albert Camus', 'Marguerite Yourcenar',
  'Jean de La Fontaine', 'Pierre Mendès France', 'Jean Jaurès', 'Anne Frank', 'Madame de Staël',
  'Émile Zola', 'Paul Éluard', 'Jacques Prévert', 'Jean Macé', 'Marie Curie',
  'Antoine de Saint-Exupéry', 'Georges Brassens', 'Gustave Eiffel', 'Léonard de Vinci', 'Louis Pasteur',
  'Romain Rolland', 'Simone Veil', 'Rosa Parks', 'Aimé Césaire', 'Jules Verne', 'Charles de Gaulle',
  'Henri Matisse', 'Camille Claudel', 'Condorcet', 'Voltaire', 'Montesquieu', 'Blaise Pascal',
  'Arthur Rimbaud', 'Paul Langevin', 'Joliot-Curie', 'Gaston Berger', 'Pablo Picasso',
  'Alexandre Dumas', 'Jean Rostand', 'Lucie Aubrac', 'Germaine Tillion', 'Nelson Mandela',
  'Jean-Baptiste Carpeaux', 'Marguerite Duras', "Jeanne d'Arc", 'Édouard Branly', 'Châtelet',
] as const;

export interface City {
  name: string;
  postalCode: string;
}

/** Towns by département (3-digit code as in UAIs), with postal codes. */
export const CITIES: Readonly<Record<string, readonly City[]>> = {
  '059': [
    { name: 'Lille', postalCode: '59000' }, { name: 'Roubaix', postalCode: '59100' },
    { name: 'Tourcoing', postalCode: '59200' }, { name: 'Dunkerque', postalCode: '59140' },
    { name: 'Valenciennes', postalCode: '59300' }, { name: 'Douai', postalCode: '59500' },
    { name: 'Cambrai', postalCode: '59400' }, { name: 'Maubeuge', postalCode: '59600' },
    { name: "Villeneuve-d'Ascq", postalCode: '59650' }, { name: 'Marcq-en-Barœul', postalCode: '59700' },
    { name: 'Armentières', postalCode: '59280' }, { name: 'Hazebrouck', postalCode: '59190' },
    { name: 'Le Cateau-Cambrésis', postalCode: '59360' }, { name: 'Wattrelos', postalCode: '59150' },
  ],
  '062': [
    { name: 'Arras', postalCode: '62000' }, { name: 'Lens', postalCode: '62300' },
    { name: 'Calais', postalCode: '62100' }, { name: 'Boulogne-sur-Mer', postalCode: '62200' },
    { name: 'Béthune', postalCode: '62400' }, { name: 'Liévin', postalCode: '62800' },
    { name: 'Saint-Omer', postalCode: '62500' }, { name: 'Hénin-Beaumont', postalCode: '62110' },
    { name: 'Bruay-la-Buissière', postalCode: '62700' }, { name: 'Berck', postalCode: '62600' },
    { name: 'Étaples', postalCode: '62630' },
  ],
  '080': [
    { name: 'Amiens', postalCode: '80000' }, { name: 'Abbeville', postalCode: '80100' },
    { name: 'Albert', postalCode: '80300' }, { name: 'Péronne', postalCode: '80200' },
    { name: 'Montdidier', postalCode: '80500' }, { name: 'Doullens', postalCode: '80600' },
  ],
  '060': [
    { name: 'Beauvais', postalCode: '60000' }, { name: 'Compiègne', postalCode: '60200' },
    { name: 'Creil', postalCode: '60100' }, { name: 'Noyon', postalCode: '60400' },
    { name: 'Senlis', postalCode: '60300' }, { name: 'Nogent-sur-Oise', postalCode: '60180' },
    { name: 'Méru', postalCode: '60110' }, { name: 'Crépy-en-Valois', postalCode: '60800' },
  ],
  '002': [
    { name: 'Laon', postalCode: '02000' }, { name: 'Saint-Quentin', postalCode: '02100' },
    { name: 'Soissons', postalCode: '02200' }, { name: 'Château-Thierry', postalCode: '02400' },
    { name: 'Chauny', postalCode: '02300' }, { name: 'Hirson', postalCode: '02500' },
  ],
};

/**
 * The login base entcore derives from a name (`Validator.java`): accents removed, non-word
 * characters stripped, lower case, each part cut at 30 characters.
 */
export function loginPart(name: string): string {
  const cached = loginParts.get(name);
  if (cached !== undefined) return cached;
  let part = name
    .replace(/[œŒ]/g, 'oe')
    .replace(/[æÆ]/g, 'ae')
    .replace(/ß/g, 'ss')
    .replace(/ı/g, 'i')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '')
    .slice(0, 30);
  if (part === '') part = 'x';
  // Names come from bounded pools: the cache stays small (and stops growing if misused).
  if (loginParts.size < 20_000) loginParts.set(name, part);
  return part;
}

const loginParts = new Map<string, string>();
