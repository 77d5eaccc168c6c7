"""Word lists for the synthetic contacts generator in :mod:`crmdedup.datasets`.

Lists are ordered from most to least common; the generator turns rank into a Zipf-like weight.
Everything here is plain data written for this project.
"""

from __future__ import annotations

__all__ = [
    "CITIES",
    "COMPANY_ACTIVITIES",
    "COMPANY_WORDS",
    "EMAIL_PROVIDERS",
    "FEMALE_FIRST_NAMES",
    "LAST_NAMES",
    "LAST_NAME_VARIANTS",
    "LEGAL_FORMS",
    "MALE_FIRST_NAMES",
    "NICKNAMES",
    "SOURCES",
    "STREET_NAMES",
    "STREET_TYPES",
    "SURNAME_ENDINGS",
    "SURNAME_MIDDLES",
    "SURNAME_ONSETS",
]


SOURCES = ("web_form", "crm_sales", "import_salon", "newsletter", "eshop")
"""Where each generated record comes from (the ``source`` column)."""


def _words(text: str) -> tuple[str, ...]:
    """Split a ``|``-separated block into stripped, non-empty entries."""
    return tuple(w.strip() for w in text.split("|") if w.strip())


MALE_FIRST_NAMES = _words(
    """
    Jean | Philippe | Michel | Alain | Patrick | Nicolas | Christophe | Pierre | Christian |
    Éric | Frédéric | Laurent | Stéphane | David | Pascal | Daniel | Sébastien | Julien |
    Thierry | Olivier | Bernard | Thomas | Alexandre | Gérard | Didier | Dominique | Vincent |
    François | Bruno | Guillaume | Jérôme | Jacques | Marc | Maxime | Romain | Claude | Antoine |
    Franck | Jean-Pierre | Anthony | Kévin | Gilles | Cédric | Serge | André | Mathieu |
    Benjamin | Patrice | Fabrice | Joël | Jérémy | Clément | Arnaud | Denis | Paul | Lucas |
    Hervé | Jean-Claude | Sylvain | Yves | Ludovic | Guy | Florian | Damien | Alexis | Mickaël |
    Quentin | Emmanuel | Louis | Benoît | Jean-Luc | Fabien | Francis | Hugo | Jonathan | Loïc |
    Xavier | Théo | Adrien | Raphaël | Jean-François | Grégory | Bertrand | Jean-Marc | Gabriel |
    Arthur | Léo | Samuel | Jean-Michel | Maximilien | Jean-Christophe | Jean-Baptiste | Raymond |
    Roger | René | Marcel | Henri | Georges | Gaëtan | Aurélien | Valentin | Victor | Baptiste |
    Thibault | Timothée | Tristan | Matthieu | Enzo | Nathan | Mathis | Noah | Jules | Ethan |
    Tom | Sacha | Adam | Mohamed | Yanis | Rayan | Karim | Mehdi | Bilal | Ahmed | Youssef |
    Jean-Paul | Jean-Louis | Jean-Jacques | Pierre-Yves | Marc-Antoine | Charles | Édouard |
    Étienne | Grégoire | Hubert | Lionel | Rémi | Simon | Tanguy | Yannick | Erwan | Gwenaël |
    Killian | Corentin | Bastien | Jordan | Dylan | Steve | Jimmy | Emilio | Antonio | José |
    Manuel | João | Luca | Marco | Hans | Jan | Pieter | Lukas | Stefan
    """
)

FEMALE_FIRST_NAMES = _words(
    """
    Marie | Nathalie | Isabelle | Sylvie | Catherine | Françoise | Valérie | Christine |
    Sandrine | Monique | Véronique | Nicole | Céline | Stéphanie | Sophie | Anne | Martine |
    Julie | Aurélie | Émilie | Laurence | Caroline | Camille | Sarah | Virginie | Patricia |
    Brigitte | Chantal | Élodie | Christelle | Laura | Audrey | Pauline | Claire | Hélène |
    Manon | Marion | Corinne | Jacqueline | Mélanie | Émilie | Léa | Nadine | Florence |
    Delphine | Karine | Agnès | Danielle | Anne-Marie | Marie-Claire | Marie-Christine |
    Anne-Sophie | Marie-Hélène | Marie-France | Marie-Thérèse | Marie-Laure | Marie-Pierre |
    Marie-Noëlle | Dominique | Claudine | Josiane | Chloé | Emma | Inès | Jade | Louise | Alice |
    Lina | Léna | Zoé | Juliette | Charlotte | Mathilde | Lucie | Margaux | Océane | Clara |
    Anaïs | Justine | Amandine | Marine | Morgane | Jessica | Vanessa | Cindy | Laetitia |
    Alexandra | Stéphanie | Géraldine | Magali | Muriel | Béatrice | Cécile | Élisabeth | Annie |
    Denise | Jeanne | Simone | Yvette | Colette | Odile | Geneviève | Joséphine | Marguerite |
    Gabrielle | Victoria | Eva | Romane | Ambre | Rose | Anna | Agathe | Élise | Noémie |
    Capucine | Clémence | Constance | Bérénice | Solène | Maëlle | Gwendoline | Katell | Nolwenn |
    Fatima | Yasmine | Samira | Nadia | Leïla | Sonia | Myriam | Dorothée | Clémentine |
    Emmanuelle | Virginia | Maria | Ana | Giulia | Francesca | Anke | Katrin | Sabine | Ingrid |
    Greta | Lotte | Sofia | Carmen | Lucía | Beatriz | Inês
    """
)

# Short forms seen in CRM data. One or two per name; the generator picks one at random.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Alexandre": ("Alex",),
    "Alexandra": ("Alex", "Sandra"),
    "Alexis": ("Alex",),
    "Frédéric": ("Fred",),
    "Christophe": ("Chris", "Christof"),
    "Christine": ("Chris", "Titine"),
    "Nicolas": ("Nico", "Nicol"),
    "Maximilien": ("Max",),
    "Maxime": ("Max",),
    "Benjamin": ("Ben", "Benji"),
    "Thomas": ("Tom", "Tommy"),
    "Timothée": ("Tim",),
    "Stéphane": ("Steph",),
    "Stéphanie": ("Steph", "Fanny"),
    "Catherine": ("Cathy", "Cathie"),
    "Élisabeth": ("Babeth", "Lisa"),
    "Isabelle": ("Isa", "Isabel"),
    "Dominique": ("Dom", "Domi"),
    "Jean-Pierre": ("JP", "Jean-P."),
    "Jean-Claude": ("JC",),
    "Jean-Christophe": ("JC",),
    "Jean-Marc": ("JM",),
    "Jean-Michel": ("JM",),
    "Jean-Baptiste": ("JB",),
    "Jean-François": ("JF",),
    "Jean-Luc": ("JL",),
    "Jean-Paul": ("JP",),
    "Jean-Louis": ("JL",),
    "Jean-Jacques": ("JJ",),
    "Pierre-Yves": ("PY",),
    "Marc-Antoine": ("Marco",),
    "Marie-Claire": ("Marie", "MC"),
    "Marie-Christine": ("MC", "Marie"),
    "Anne-Sophie": ("AS", "Anne"),
    "Anne-Marie": ("Anne", "Annie"),
    "Marie-Hélène": ("Marie",),
    "Marie-France": ("Marie",),
    "Marie-Thérèse": ("Marie",),
    "Marie-Laure": ("Marie", "Malo"),
    "Charlotte": ("Charlie", "Lotte"),
    "Valentin": ("Val",),
    "Valérie": ("Val", "Valou"),
    "Sébastien": ("Seb", "Sébastian"),
    "Raphaël": ("Raph",),
    "Gabriel": ("Gaby",),
    "Gabrielle": ("Gaby",),
    "Margaux": ("Margot",),
    "Marguerite": ("Margot", "Maguy"),
    "Joséphine": ("Jo", "Josy"),
    "Jonathan": ("Jon", "Jo"),
    "Emmanuel": ("Manu",),
    "Emmanuelle": ("Manue", "Manu"),
    "Florence": ("Flo",),
    "Florian": ("Flo",),
    "Caroline": ("Caro",),
    "Patrick": ("Pat",),
    "Patricia": ("Pat", "Patty"),
    "Anthony": ("Tony",),
    "Antonio": ("Tony",),
    "Samuel": ("Sam",),
    "Jérémy": ("Jerem",),
    "Clémentine": ("Clem",),
    "Clément": ("Clem",),
    "Aurélien": ("Aurel",),
    "Aurélie": ("Aurel", "Lili"),
    "Victoria": ("Vicky",),
    "Jacqueline": ("Jacky",),
    "Jacques": ("Jacky", "Jacquot"),
    "Michel": ("Mimi",),
    "Guillaume": ("Guigui", "Will"),
    "Mathilde": ("Mathou",),
    "Mathieu": ("Matt",),
    "Matthieu": ("Matt",),
    "Anaïs": ("Ana",),
    "Nathalie": ("Nat", "Natou"),
    "Sandrine": ("Sandra",),
    "Dorothée": ("Doro",),
    "Gwendoline": ("Gwen",),
    "Gwenaël": ("Gwen",),
    "Maria": ("Mary",),
    "Manuel": ("Manu",),
    "Louis": ("Loulou",),
    "Édouard": ("Eddy", "Doudou"),
    "Bertrand": ("Bert",),
    "Grégory": ("Greg",),
    "Grégoire": ("Greg",),
    "Laetitia": ("Laeti", "Titia"),
    "Virginie": ("Virgi",),
    "Amandine": ("Mandy",),
}

LAST_NAMES = _words(
    """
    Martin | Bernard | Thomas | Petit | Robert | Richard | Durand | Dubois | Moreau | Laurent |
    Simon | Michel | Lefèvre | Leroy | Roux | David | Bertrand | Morel | Fournier | Girard |
    Bonnet | Dupont | Lambert | Fontaine | Rousseau | Vincent | Muller | Lefebvre | Faure |
    André | Mercier | Blanc | Guérin | Boyer | Garnier | Chevalier | François | Legrand |
    Gauthier | Garcia | Perrin | Robin | Clément | Morin | Nicolas | Henry | Roussel | Mathieu |
    Gautier | Masson | Marchand | Duval | Denis | Dumont | Marie | Lemaire | Noël | Meyer |
    Dufour | Meunier | Brun | Blanchard | Giraud | Joly | Rivière | Lucas | Brunet | Gaillard |
    Barbier | Arnaud | Martinez | Gérard | Roche | Renard | Schmitt | Roy | Leroux | Colin |
    Vidal | Caron | Picard | Roger | Fabre | Aubert | Lemoine | Renaud | Dumas | Lacroix |
    Olivier | Philippe | Bourgeois | Pierre | Benoît | Rey | Leclerc | Payet | Rolland |
    Leclercq | Guillaume | Lecomte | Lopez | Jean | Dupuy | Guillot | Hubert | Berger |
    Carpentier | Sanchez | Dupuis | Moulin | Louis | Deschamps | Huet | Vasseur | Perez |
    Boucher | Fleury | Royer | Klein | Jacquet | Adam | Paris | Poirier | Marty | Aubry | Guyot |
    Carré | Charles | Renault | Charpentier | Ménard | Maillard | Baron | Bertin | Bailly |
    Hervé | Schneider | Fernandez | Le Gall | Collet | Léger | Bouvier | Julien | Prévost |
    Millet | Perrot | Daniel | Le Roux | Cousin | Germain | Breton | Besson | Langlois | Rémy |
    Le Goff | Pelletier | Lévêque | Perrier | Leblanc | Barré | Lebrun | Marchal | Weber |
    Mallet | Hamon | Boulanger | Jacob | Monnier | Michaud | Rodriguez | Guichard | Gillet |
    Étienne | Grondin | Poulain | Tessier | Chevallier | Collin | Chauvin | Da Silva | Bouchet |
    Gay | Lemaître | Bénard | Maréchal | Humbert | Reynaud | Antoine | Hoarau | Perret |
    Barthélemy | Cordier | Pichon | Lejeune | Gilbert | Lamy | Delaunay | Pasquier | Carlier |
    Laporte | Le Floch | Le Bihan | Kerjean | Tanguy | Quéméner | Le Corre | Guillou | Le Berre |
    Cadiou | Riou | de la Fontaine | de Villiers | du Pont | de Saint-Exupéry | Le Normand |
    de Lattre | du Bellay | van den Berg | van Dijk | De Smet | Van Damme | Janssens | Peeters |
    Dos Santos | Ferreira | Pereira | Rodrigues | Gonçalves | Rossi | Russo | Bianchi | Romano |
    Ricci | Müller | Schmidt | Fischer | Wagner | Becker | Hoffmann | Nguyen | Tran | Benali |
    Haddad | Mansouri | Cohen | Lévy | Quennehen | Vandewalle | Delattre | Dewailly | Lefeuvre |
    Lefebvre-Martin | Bouchard | Fontanel | Chabert | Couderc | Castaing | Labbé | Pujol |
    Bouvet | Garnier-Duval | Marquet
    """
)

# Spelling variants a clerk may type for the same family name.
LAST_NAME_VARIANTS: dict[str, tuple[str, ...]] = {
    "Lefèvre": ("Lefebvre", "Lefeuvre", "Lefevre"),
    "Lefebvre": ("Lefèvre", "Lefebre"),
    "Lefeuvre": ("Lefèvre",),
    "Gauthier": ("Gautier",),
    "Gautier": ("Gauthier",),
    "Leclerc": ("Leclercq", "Le Clerc"),
    "Leclercq": ("Leclerc",),
    "Mathieu": ("Matthieu",),
    "Philippe": ("Philipe",),
    "Chevalier": ("Chevallier",),
    "Chevallier": ("Chevalier",),
    "Collin": ("Colin",),
    "Colin": ("Collin",),
    "Caron": ("Carron",),
    "Dupont": ("Du Pont", "Dupond"),
    "du Pont": ("Dupont", "Du Pont"),
    "Dupuis": ("Dupuy",),
    "Dupuy": ("Dupuis",),
    "Le Gall": ("Legall", "Le Gal"),
    "Le Roux": ("Leroux",),
    "Leroux": ("Le Roux",),
    "Le Goff": ("Legoff",),
    "Le Floch": ("Lefloch",),
    "Le Bihan": ("Lebihan",),
    "Le Corre": ("Lecorre",),
    "Le Berre": ("Leberre",),
    "Le Normand": ("Lenormand",),
    "Rousseau": ("Rousseaux",),
    "Renaud": ("Renault", "Reynaud"),
    "Renault": ("Renaud",),
    "Reynaud": ("Raynaud", "Renaud"),
    "Denis": ("Denys",),
    "Prévost": ("Prévot", "Provost"),
    "Maréchal": ("Marechal", "Marchal"),
    "Lemaître": ("Lemaitre", "Le Maître"),
    "de la Fontaine": ("Delafontaine", "De La Fontaine", "Lafontaine"),
    "de Villiers": ("Devilliers", "De Villiers"),
    "de Saint-Exupéry": ("de St-Exupéry", "Saint-Exupéry"),
    "de Lattre": ("Delattre",),
    "du Bellay": ("Dubellay", "Du Bellay"),
    "van den Berg": ("Vandenberg", "Van Den Berg", "van der Berg"),
    "van Dijk": ("Van Dyck", "Vandijk"),
    "Van Damme": ("Vandamme",),
    "De Smet": ("Desmet",),
    "Da Silva": ("Dasilva", "da Silva"),
    "Dos Santos": ("Dossantos", "dos Santos"),
    "Müller": ("Muller", "Mueller"),
    "Muller": ("Müller", "Mueller"),
    "Schmitt": ("Schmit", "Schmidt"),
    "Schmidt": ("Schmitt",),
    "Gonçalves": ("Goncalves",),
    "Lefebvre-Martin": ("Lefebvre Martin", "Lefebvre"),
    "Garnier-Duval": ("Garnier Duval", "Garnier"),
    "Delattre": ("De Lattre",),
    "Quennehen": ("Quenehen",),
}

# Syllables for a long tail of rare family names (rare values give term frequencies meaning).
SURNAME_ONSETS = _words(
    """
    Ker | Bou | Mar | Cha | Gui | Pel | Ros | Ver | Mon | Bel | Dela | Fon | Gau | Lan | Mor |
    Tes | Cou | Sau | Bra | Tré | Cor | Bla | Gré | Fau | Pou | Vil | Ques | Dau | Lam | Rou |
    Le Bo | Le Ga | Vau | Bar | Char | Des | Cas | Sal | Bro | Jou
    """
)
SURNAME_MIDDLES = _words(
    "an | el | er | ou | ar | ill | on | enn | ign | au | ev | ab | ir | ol | ag"
)
SURNAME_ENDINGS = _words(
    """
    ard | et | ot | ier | eau | in | ec | hen | ault | oux | ès | ac | y | is | and | ez | ie |
    on | at | aud | elle | ange | ière | ois | ant | ieu | ou | ard | ic | an | ain | us | az | ol
    """
)

EMAIL_PROVIDERS = _words(
    "gmail.com | orange.fr | free.fr | hotmail.fr | wanadoo.fr | yahoo.fr | laposte.net | sfr.fr | "
    "outlook.fr | hotmail.com | icloud.com | live.fr | neuf.fr | bbox.fr | aol.com | gmx.fr"
)

COMPANY_WORDS = _words(
    """
    Atlantique | Alpha | Horizon | Azur | Provence | Bretagne | Alpes | Delta | Nova | Optima |
    Vertigo | Harmonie | Lumière | Océan | Étoile | Méditerranée | Pyrénées | Loire | Rhône |
    Seine | Cap | Sud | Nord | Est | Ouest | Centre | Europe | France | Idéal | Avenir | Essor |
    Atout | Boréal | Cristal | Emeraude | Saphir | Granit | Chêne | Olivier | Cèdre | Phénix |
    Pégase | Arc-en-Ciel | Trident | Orion | Vega | Sirius | Castor | Gemini | Hélios | Iris | Lys
    """
)

COMPANY_ACTIVITIES = _words(
    """
    Conseil | Informatique | Immobilier | Plomberie | Électricité | Transports | Logistique |
    Bâtiment | Menuiserie | Boulangerie | Pharmacie | Assurances | Expertise Comptable |
    Distribution | Services | Industries | Ingénierie | Communication | Médical | Automobiles |
    Paysages | Restauration | Hôtellerie | Finance | Énergie | Rénovation | Nettoyage | Sécurité |
    Formation | Textile | Optique | Architecture | Événements | Imprimerie | Agencement |
    Consulting
    """
)

LEGAL_FORMS = _words("SARL | SAS | SA | EURL | SASU | SNC | SCI | SCOP")

# (canonical, abbreviations...)
STREET_TYPES: tuple[tuple[str, ...], ...] = (
    ("rue", "r.", "Rue", "R"),
    ("avenue", "av.", "ave", "Av"),
    ("boulevard", "bd", "boul.", "Bd"),
    ("chemin", "ch.", "chem."),
    ("impasse", "imp.", "Imp"),
    ("place", "pl.", "Pl"),
    ("allée", "all.", "allee"),
    ("route", "rte", "Rte"),
    ("quai", "qu."),
    ("cours", "crs"),
    ("square", "sq."),
    ("résidence", "rés.", "res"),
)
STREET_TYPE_WEIGHTS: tuple[float, ...] = (55, 14, 8, 6, 4, 4, 3, 3, 1, 1, 0.5, 0.5)

STREET_NAMES = _words(
    """
    de la République | Victor Hugo | Jean Jaurès | du Général de Gaulle | Pasteur | des Lilas |
    de la Gare | de l'Église | du Moulin | des Écoles | Gambetta | Nationale | Foch | de Paris |
    du Château | Voltaire | Émile Zola | Jules Ferry | de la Mairie | du Stade | des Roses |
    du 8 Mai 1945 | du 11 Novembre | Carnot | Saint-Martin | de Verdun | de la Liberté |
    Jean Moulin | Anatole France | des Tilleuls | des Acacias | du Maréchal Leclerc |
    de Bretagne | Pierre Curie | Marie Curie | Paul Bert | d'Alsace-Lorraine | de la Paix |
    Sadi Carnot | des Peupliers | du Port | du Marché | Montaigne | Molière | Racine |
    La Fontaine | Lamartine | Berlioz | Mozart | des Chênes | des Vignes | de la Forêt | du Lac |
    de la Plage | des Champs | de Provence | de Normandie | Principale | des Jardins |
    des Fleurs | du Commerce | de l'Industrie | des Prés | du Canal | Jean-Baptiste Clément |
    Louis Pergaud | Georges Clemenceau | Aristide Briand | de Strasbourg | de Lyon | de Bordeaux |
    de Nantes | Saint-Exupéry | des Hirondelles | des Mésanges | Edith Piaf | de la Croix |
    du Levant | du Soleil | Beau Site | des Bleuets | Alphonse Daudet | Frédéric Mistral
    """
)

# (city, first postcode, number of consecutive postcodes, phone area digit, relative weight)
CITIES: tuple[tuple[str, str, int, int, float], ...] = (
    ("Paris", "75001", 20, 1, 2100),
    ("Marseille", "13001", 16, 4, 870),
    ("Lyon", "69001", 9, 4, 520),
    ("Toulouse", "31000", 1, 5, 500),
    ("Nice", "06000", 1, 4, 340),
    ("Nantes", "44000", 1, 2, 320),
    ("Montpellier", "34000", 1, 4, 300),
    ("Strasbourg", "67000", 1, 3, 290),
    ("Bordeaux", "33000", 1, 5, 260),
    ("Lille", "59000", 1, 3, 235),
    ("Rennes", "35000", 1, 2, 222),
    ("Reims", "51100", 1, 3, 180),
    ("Toulon", "83000", 1, 4, 180),
    ("Saint-Étienne", "42000", 1, 4, 173),
    ("Le Havre", "76600", 1, 2, 167),
    ("Grenoble", "38000", 1, 4, 158),
    ("Dijon", "21000", 1, 3, 159),
    ("Angers", "49000", 1, 2, 157),
    ("Villeurbanne", "69100", 1, 4, 156),
    ("Saint-Denis", "93200", 1, 1, 113),
    ("Nîmes", "30000", 1, 4, 148),
    ("Clermont-Ferrand", "63000", 1, 4, 147),
    ("Le Mans", "72000", 1, 2, 143),
    ("Aix-en-Provence", "13100", 1, 4, 145),
    ("Brest", "29200", 1, 2, 139),
    ("Tours", "37000", 1, 2, 136),
    ("Amiens", "80000", 1, 3, 133),
    ("Limoges", "87000", 1, 5, 130),
    ("Annecy", "74000", 1, 4, 130),
    ("Perpignan", "66000", 1, 4, 120),
    ("Boulogne-Billancourt", "92100", 1, 1, 121),
    ("Metz", "57000", 1, 3, 117),
    ("Besançon", "25000", 1, 3, 117),
    ("Orléans", "45000", 1, 2, 116),
    ("Rouen", "76000", 1, 2, 111),
    ("Argenteuil", "95100", 1, 1, 110),
    ("Mulhouse", "68100", 1, 3, 108),
    ("Montreuil", "93100", 1, 1, 109),
    ("Caen", "14000", 1, 2, 106),
    ("Nancy", "54000", 1, 3, 104),
    ("Saint-Paul", "97460", 1, 2, 104),
    ("Roubaix", "59100", 1, 3, 98),
    ("Tourcoing", "59200", 1, 3, 98),
    ("Nanterre", "92000", 1, 1, 96),
    ("Vitry-sur-Seine", "94400", 1, 1, 95),
    ("Avignon", "84000", 1, 4, 91),
    ("Créteil", "94000", 1, 1, 92),
    ("Poitiers", "86000", 1, 5, 89),
    ("Aubervilliers", "93300", 1, 1, 88),
    ("Versailles", "78000", 1, 1, 84),
    ("Colombes", "92700", 1, 1, 86),
    ("Asnières-sur-Seine", "92600", 1, 1, 87),
    ("Aulnay-sous-Bois", "93600", 1, 1, 86),
    ("Rueil-Malmaison", "92500", 1, 1, 79),
    ("Pau", "64000", 1, 5, 76),
    ("Courbevoie", "92400", 1, 1, 82),
    ("La Rochelle", "17000", 1, 5, 77),
    ("Champigny-sur-Marne", "94500", 1, 1, 77),
    ("Béziers", "34500", 1, 4, 78),
    ("Antibes", "06600", 1, 4, 74),
    ("Saint-Maur-des-Fossés", "94100", 1, 1, 75),
    ("Cannes", "06400", 1, 4, 74),
    ("Calais", "62100", 1, 3, 68),
    ("Saint-Nazaire", "44600", 1, 2, 72),
    ("Mérignac", "33700", 1, 5, 72),
    ("Ajaccio", "20000", 1, 4, 72),
    ("Drancy", "93700", 1, 1, 72),
    ("Colmar", "68000", 1, 3, 68),
    ("Issy-les-Moulineaux", "92130", 1, 1, 69),
    ("Levallois-Perret", "92300", 1, 1, 66),
    ("Noisy-le-Grand", "93160", 1, 1, 69),
    ("Quimper", "29000", 1, 2, 63),
    ("Valence", "26000", 1, 4, 65),
    ("Bourges", "18000", 1, 2, 64),
    ("Troyes", "10000", 1, 3, 62),
    ("Chambéry", "73000", 1, 4, 60),
    ("Niort", "79000", 1, 5, 59),
    ("Lorient", "56100", 1, 2, 57),
    ("Vannes", "56000", 1, 2, 54),
    ("Saint-Malo", "35400", 1, 2, 46),
    ("Bayonne", "64100", 1, 5, 51),
    ("Arles", "13200", 1, 4, 51),
    ("Cholet", "49300", 1, 2, 54),
    ("Chartres", "28000", 1, 2, 38),
    ("Blois", "41000", 1, 2, 46),
    ("Angoulême", "16000", 1, 5, 42),
    ("Périgueux", "24000", 1, 5, 30),
    ("Agen", "47000", 1, 5, 33),
    ("Albi", "81000", 1, 5, 49),
    ("Tarbes", "65000", 1, 5, 42),
    ("Carcassonne", "11000", 1, 4, 46),
    ("Gap", "05000", 1, 4, 41),
    ("Laval", "53000", 1, 2, 50),
    ("Évreux", "27000", 1, 2, 47),
    ("Alençon", "61000", 1, 2, 26),
    ("Saint-Brieuc", "22000", 1, 2, 44),
    ("Épinal", "88000", 1, 3, 32),
    ("Mâcon", "71000", 1, 3, 34),
    ("Vichy", "03200", 1, 4, 25),
    ("Aurillac", "15000", 1, 4, 26),
    ("Le Puy-en-Velay", "43000", 1, 4, 19),
    ("Saint-Lô", "50000", 1, 2, 19),
    ("Châteauroux", "36000", 1, 2, 43),
    ("Sainte-Geneviève-des-Bois", "91700", 1, 1, 36),
    ("Fontenay-sous-Bois", "94120", 1, 1, 53),
    ("Saint-Quentin", "02100", 1, 3, 53),
    ("Villeneuve-d'Ascq", "59650", 1, 3, 62),
    ("L'Haÿ-les-Roses", "94240", 1, 1, 31),
    ("Charleville-Mézières", "08000", 1, 3, 46),
)
