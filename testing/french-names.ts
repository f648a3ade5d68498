/**
 * Names for the account search's tests and bench: French last and first names, accents, hyphens and
 * apostrophes included, as the helpdesk meets them. Each list entry is one name as written.
 */
export const LAST_NAMES: readonly string[] = unique(`
Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefèvre Leroy Roux David
Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller Lefebvre Faure André
Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier Garcia Perrin Robin Clément Morin
Nicolas Henry Roussel Mathieu Gautier Masson Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour
Meunier Brun Blanchard Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche
Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier
Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq Guillaume Lecomte Lopez Jean Dupuy
Guillot Hubert Berger Carpentier Sanchez Dupuis Moulin Louis Deschamps Huet Vasseur Perez Boucher Fleury
Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot Carré Charles Renault Charpentier Ménard Maillard
Baron Bertin Bailly Hervé Schneider Fernandez Le\u00a0Gall Collet Léger Bouvier Julien Prévost Millet Perrot
Daniel Le\u00a0Roux Cousin Germain Breton Besson Langlois Rémy Le\u00a0Goff Pelletier Lévêque Perrier Leblanc
Barré Lebrun Marchal Weber Mallet Hamon Boulanger Jacob Monnier Michaud Rodriguez Guichard Gillet Étienne
Grondin Poulain Tessier Chevallier Collin Chauvin Da\u00a0Silva Bouchet Gay Lemaître Bénard Maréchal Humbert
Reynaud Antoine Hoarau Perret Barthélemy Cordier Pichon Lejeune Gilbert Lamy Delaunay Pasquier Carlier
Laporte Gomez Hébert Thériault Brûlé Côté Crépin Deschênes Fréchette Béranger Séguin Pâris Bézier
N'Diaye N’Diaye D'Angelo D’Almeida Saint-Martin Le\u00a0Bihan Dos\u00a0Santos Ben\u00a0Ahmed Nguyen Tran Diallo
Traoré Koné Camara Cissé Sylla Touré Bah Keïta Haddad Benali Mansouri Boukhris Aït-Ali Yılmaz Öztürk
Schäfer Müller Groß Søren Łukasz Ødegaard Æbelø Œillet Daumière Lefébure Pagès Bréhier Gaßmann Ÿvon
Delacroix De\u00a0La\u00a0Fontaine Du\u00a0Pont Des\u00a0Rosiers L'Huillier L’Hôte Marchais Bouvet Texier Guillou
Hamel Vallée Gaudin Riviere Barre Tanguy Jégou Kerjean Le\u00a0Corre Prigent Quéré Cadiou Morvan Riou
Gourmelon Abgrall Jaouen Coïc Kervella Le\u00a0Floc'h Le\u00a0Hénaff Ollivier Salaün Guéguen Le\u00a0Bras
Lagarde Castaing Lafargue Darrieussecq Etcheverry Irigoyen Bordenave Lassalle Laffitte Duhalde
Bianchi Rossi Ferrari Esposito Romano Colombo Ricci Marino Greco Bruno Gallo Conti De\u00a0Luca Costa
Ferreira Pereira Oliveira Rodrigues Alves Gonçalves Fernandes Sousa Lopes Marques Martins Carvalho
`.trim().split(/\s+/).map((name) => name.replaceAll('\u00a0', ' ')));

export const FIRST_NAMES: readonly string[] = unique(`
Léa Hugo Chloé Lucas Emma Louis Inès Gabriel Jade Raphaël Louise Arthur Zoé Jules Alice Maël Lina Adam
Manon Paul Camille Nathan Sarah Tom Léna Noah Eva Théo Juliette Sacha Anna Ethan Mila Timéo Rose Nolan
Ambre Mathis Romane Aaron Agathe Enzo Margaux Liam Julia Victor Clara Antoine Lola Baptiste Anaïs Maxime
Océane Clément Mathilde Alexandre Léonie Thomas Lucie Martin Elsa Mohamed Yasmine Gaspard Nina Axel
Capucine Noé Héloïse Valentin Apolline Robin Charlotte Sofiane Maëlys Adrien Marie Rayan Lou Samuel Éloïse
Aurélien Clémence Quentin Emmy Loïc Ninon Évan Louna Benjamin Romy Mattéo Célia Kylian Alix Tiago Maya
Lenny Iris Malo Célestine Ilyès Norah Naël Lise Eliott Thaïs Anaëlle Joël Gaëlle Hélène Jérôme Céline
Noémie Françoise François Valérie Sébastien Frédéric Stéphane Aurélie Mélanie Mégane Ségolène Bénédicte
Adèle Zoë Chloë Jean-Pierre Marie-Ève Jean-Baptiste Anne-Sophie Pierre-Louis Marie-Claire Jean-François
Béatrice Cécile Delphine Émilie Geneviève Hervé Jérémy Josée Laëtitia Ludovic Mickaël Nadège Pénélope
Régis Rémi Sébastienne Solène Thérèse Yaëlle Zoé-Lou Anthony Caroline Christophe David Didier Éric
Florence Guillaume Isabelle Julien Karine Laurent Nathalie Nicolas Olivier Patrick Philippe Sandrine
Sophie Sylvie Thierry Véronique Vincent Virginie Yann Fatou Aïssatou Moussa Ibrahima Mamadou Aminata
Kadiatou Oumar Youssef Fatima Karim Leïla Nour Ayoub Bilal Imane Samir Salomé Gwenaël Maïwenn Nolwenn
Erwan Yannick Soizic Goulven Ronan Enora Katell Tanguy Loïg Morgane Brieuc Awen Aodren Ewen Mael
Xabi Maialen Ainhoa Iñaki Björn Søren Åsa Ørjan Łucja Zoltán Ömer Çağla Ştefan Ñuria Ÿsaline Œlise
`.trim().split(/\s+/));

function unique(names: string[]): readonly string[] {
  return [...new Set(names)];
}
