"""Synthetic international B2B contact records: one CRM export with duplicates.

``generate(n_contacts, seed)`` returns one DataFrame with ``record_id`` (unique), ``entity_id``
(the ground-truth person) and ``first_name``, ``last_name``, ``job_title``, ``company``,
``email``, ``phone``, ``mobile``, ``country_code`` (ISO 3166-1 alpha-2), ``state_code``
(ISO 3166-2 subdivision), ``city``, ``address_line``; all strings or null.

Contacts work in ten countries (US CA GB DE FR NL ES IT PL SE) at companies whose sizes are
heavy-tailed, so many contacts share an e-mail domain, an office address and a switchboard
number (direct lines share its prefix: the extension is the last two digits). Names follow
each country's frequency skew, so common first names and surnames repeat. Phones use the
country's calling code and national number lengths, written in national or international
styles. About 30% of contacts have 2-4 records; the extra copies are corrupted: truncated or
initial-only first names, nicknames, case and spacing changes, swapped or merged name fields,
masked e-mails, e-mails with a display name, missing values, phone format changes, extensions,
company name variants (legal forms), job title changes, exonyms (Munich/München), "UK" for
GB, dropped second Spanish surnames, typos, and some job moves to another company. Pass
``include_company=True`` to add the ``company_id`` of the employer shown in each record.
"""

from __future__ import annotations

import random
import unicodedata

import polars as pl


def _w(text: str, space: str = " ") -> list[str]:
    return [t.replace("_", space) for t in text.split()]


def _kv(text: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in (t.split(":") for t in _w(text))]


# Per country: f:/m: given names, s: surnames (most common first), c: city[=exonym]:state:area:
# subscriber digits, st: streets, mob: mobile prefixes:subscriber digits.
VOCAB = """
@US f: Jennifer Jessica Ashley Amanda Sarah Megan Lauren Brittany Emily Nicole Stephanie Heather
    Michelle Kimberly Melissa Amy Rachel Elizabeth Samantha Courtney Danielle Kelly Katherine
m: Michael Christopher Matthew Joshua David James Daniel Robert John Joseph Andrew Ryan Brandon
    Jason Justin William Jonathan Brian Kevin Eric Tyler Kyle Steven Zachary
s: Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
    Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Nguyen Kim Chen Patel Walker Hall Allen
    Young King Wright Scott Green Baker Adams Nelson Hill Ramirez Campbell Mitchell Roberts
c: New_York:NY:212:7 Chicago:IL:312:7 Boston:MA:617:7 San_Francisco:CA:415:7 Austin:TX:512:7
    Seattle:WA:206:7 Atlanta:GA:404:7 Denver:CO:303:7 Houston:TX:713:7 Philadelphia:PA:215:7
    Minneapolis:MN:612:7 Charlotte:NC:704:7
st: Main_Street Market_Street Broadway Madison_Avenue Park_Avenue Commerce_Street
    Industrial_Boulevard Technology_Drive Lakeshore_Drive Elm_Street Washington_Boulevard
mob:
@CA f: Sarah Jessica Emily Marie-Ève Julie Isabelle Nathalie Stéphanie Amanda Jennifer Catherine
    Mélanie Chloé Emma Olivia Megan Lauren Valérie
m: Michael Matthew David Jean-François Mathieu Alexandre Christopher Ryan Daniel Justin Marc-André
    Simon Patrick Maxime Kevin Tyler Étienne Nicolas
s: Tremblay Smith Gagnon Roy Brown Côté Wilson Bouchard MacDonald Gauthier Morin Campbell Lavoie
    Fortin Thompson Gagné Ouellet Martin Pelletier Bélanger Anderson Lévesque Taylor Bergeron
    Leblanc Wong Girard Singh Simard Boucher
c: Toronto:ON:416:7 Montréal=Montreal:QC:514:7 Vancouver:BC:604:7 Calgary:AB:403:7
    Ottawa:ON:613:7 Edmonton:AB:780:7 Winnipeg:MB:204:7 Québec=Quebec_City:QC:418:7
st: King_Street_West Queen_Street Bay_Street Yonge_Street Rue_Sainte-Catherine Granville_Street
    Boulevard_René-Lévesque Jasper_Avenue Portage_Avenue Rideau_Street
mob:
@GB f: Olivia Amelia Emily Sophie Charlotte Lucy Jessica Hannah Chloe Rebecca Laura Rachel Claire
    Sarah Emma Helen Joanne Victoria Fiona Siobhan Eleanor Harriet Imogen
m: Oliver Harry George Jack Thomas James William Charles Henry Edward Alistair Callum Rhys Owen
    Liam Daniel Matthew David Richard Simon Gareth Iain
s: Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker
    White Roberts Green Hall Wood Jackson Clarke Patel Khan Hughes Edwards Lewis Murray Campbell
    Stewart MacDonald Baker Ahmed Singh O'Neill
c: London:ENG:20:8 Manchester:ENG:161:7 Birmingham:ENG:121:7 Leeds:ENG:113:7 Bristol:ENG:117:7
    Edinburgh:SCT:131:7 Glasgow:SCT:141:7 Cardiff:WLS:29:8 Belfast:NIR:28:8
st: High_Street Station_Road Church_Street Victoria_Road London_Road Mill_Lane Park_Road
    Queen_Street King_Street Oxford_Street Deansgate Princes_Street
mob: 7400:6 7500:6 7700:6 7800:6 7900:6 7950:6 7720:6 7830:6
@DE f: Julia Anna Laura Sarah Lisa Katharina Lena Sandra Nicole Stefanie Melanie Christina Andrea
    Claudia Sabine Nadine Kerstin Vanessa Tanja Birgit Anja Daniela Susanne
m: Thomas Michael Andreas Stefan Christian Markus Daniel Alexander Tobias Sebastian Jan Florian
    Matthias Frank Jürgen Martin Oliver Dirk Sven Jens Uwe Ralf Björn Timo
s: Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer
    Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange
    Schmitt Werner Krause Meier Lehmann Köhler Weiß
c: Berlin:BE:30:8 Hamburg:HH:40:8 München=Munich:BY:89:7 Köln=Cologne:NW:221:7
    Frankfurt_am_Main=Frankfurt:HE:69:8 Stuttgart:BW:711:7 Düsseldorf=Dusseldorf:NW:211:7
    Leipzig:SN:341:7 Nürnberg=Nuremberg:BY:911:7 Hannover=Hanover:NI:511:7
st: Hauptstraße Bahnhofstraße Industriestraße Gartenstraße Schillerstraße Goethestraße
    Friedrichstraße Lindenallee Am_Markt Kaiserstraße Königsallee Hafenstraße
mob: 151:7 152:7 160:7 162:7 170:7 171:7 172:7 173:7 175:7 176:8 177:8 179:7
@FR f: Marie Nathalie Isabelle Sylvie Catherine Sandrine Valérie Christine Stéphanie Céline
    Aurélie Julie Émilie Camille Claire Sophie Laure Élodie Virginie Pauline Anne Hélène
m: Jean Pierre Nicolas Philippe Michel Alain Christophe Stéphane Sébastien Julien Olivier
    Laurent Thierry Frédéric Guillaume François Jérôme Mathieu Antoine Benoît Yves Thomas
s: Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre
    Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont
    Lambert Bonnet Fontaine Rousseau
c: Paris:IDF:1:8 Lyon:ARA:4:8 Marseille:PAC:4:8 Toulouse:OCC:5:8 Bordeaux:NAQ:5:8 Lille:HDF:3:8
    Nantes:PDL:2:8 Strasbourg:GES:3:8 Nice:PAC:4:8
st: rue_de_la_Paix boulevard_Haussmann rue_de_la_République avenue_Jean_Jaurès rue_Victor_Hugo
    place_Bellecour quai_des_Chartrons rue_Nationale cours_Mirabeau avenue_de_la_Gare
mob: 6:8 6:8 7:8
@NL f: Anna Emma Sanne Lisa Fleur Anouk Femke Lotte Eva Iris Marloes Esther Linda Ingrid Marieke
    Annemiek Saskia Wendy Petra Karin Mirjam Judith
m: Jan Johannes Pieter Dirk Hendrik Willem Kees Bas Thijs Daan Ruben Jeroen Joost Maarten Wouter
    Niels Martijn Sander Bram Sjoerd Ruud Erik
s: de_Jong Jansen de_Vries van_den_Berg van_Dijk Bakker Janssen Visser Smit Meijer de_Boer
    Mulder de_Groot Bos Vos Peters Hendriks van_Leeuwen Dekker Brouwer de_Wit Dijkstra Smits
    de_Graaf van_der_Meer van_der_Linden Kok Jacobs de_Haan Vermeulen
c: Amsterdam:NH:20:7 Rotterdam:ZH:10:7 Den_Haag=The_Hague:ZH:70:7 Utrecht:UT:30:7
    Eindhoven:NB:40:7 Groningen:GR:50:7 Arnhem:GE:26:7 Zwolle:OV:38:7
st: Keizersgracht Herengracht Prinsengracht Coolsingel Stationsweg Kerkstraat Dorpsstraat
    Industrieweg Lange_Voorhout Marktplein Hoofdstraat
mob: 6:8
@ES f: María Carmen Ana Isabel Laura Lucía Marta Elena Cristina Paula Sara Raquel Pilar Rosa
    Beatriz Silvia Patricia Nuria Montserrat Alba Irene Marina
m: Antonio José Manuel Francisco David Juan Javier Daniel Carlos Jesús Alejandro Miguel Rafael
    Pablo Sergio Fernando Jorge Alberto Álvaro Diego Jordi Iñaki
s: García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz
    Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez
    Ramos Gil Ramírez Serrano Blanco Puig
c: Madrid:MD:91:7 Barcelona:CT:93:7 Valencia:VC:96:7 Sevilla=Seville:AN:95:7 Bilbao:PV:94:7
    Málaga=Malaga:AN:95:7 Zaragoza:AR:976:6 A_Coruña=La_Coruña:GA:981:6
st: Calle_de_Alcalá Gran_Vía Paseo_de_la_Castellana Calle_Mayor Avenida_Diagonal Calle_Colón
    Passeig_de_Gràcia Calle_de_Serrano Avenida_de_la_Constitución Calle_Larios
mob: 600:6 610:6 620:6 630:6 640:6 650:6 660:6 670:6 680:6 690:6 711:6 722:6
@IT f: Giulia Francesca Chiara Sara Valentina Federica Alessandra Silvia Elena Martina Laura
    Paola Roberta Simona Claudia Elisa Monica Barbara Cristina Anna Maria Veronica
m: Marco Andrea Luca Alessandro Giuseppe Francesco Matteo Lorenzo Stefano Davide Roberto Paolo
    Giovanni Simone Fabio Massimo Antonio Riccardo Daniele Federico Gianluca Emanuele
s: Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti
    De_Luca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani
    Rinaldi Caruso Ferrara Galli Martini Leone
c: Milano=Milan:MI:02:8 Roma=Rome:RM:06:8 Torino=Turin:TO:011:7 Napoli=Naples:NA:081:7
    Bologna:BO:051:7 Firenze=Florence:FI:055:7 Genova=Genoa:GE:010:7 Verona:VR:045:7
st: Via_Roma Via_Garibaldi Corso_Vittorio_Emanuele Via_Dante Piazza_del_Duomo Via_Mazzini
    Viale_Europa Via_Nazionale Corso_Buenos_Aires Via_Toledo Via_dei_Mille
mob: 320:7 328:7 333:7 335:7 338:7 339:7 340:7 347:7 348:7 349:7 366:7 380:7 388:7 392:7
@PL f: Anna Katarzyna Maria Małgorzata Agnieszka Barbara Ewa Krystyna Magdalena Elżbieta Joanna
    Aleksandra Monika Zofia Natalia Karolina Marta Justyna Dorota Paulina Beata Agata
m: Piotr Krzysztof Andrzej Tomasz Paweł Jan Michał Marcin Jakub Adam Łukasz Marek Grzegorz
    Mateusz Wojciech Mariusz Dariusz Zbigniew Kamil Maciej Rafał Bartosz
s: Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak
    Dąbrowski Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski Nowakowski
    Pawłowski Michalski Nowicki Adamczyk Dudek Zając Wieczorek Jabłoński Król Majewski Olszewski
c: Warszawa=Warsaw:MZ:22:7 Kraków=Krakow:MA:12:7 Wrocław=Wroclaw:DS:71:7 Poznań=Poznan:WP:61:7
    Gdańsk=Gdansk:PM:58:7 Łódź=Lodz:LD:42:7 Katowice:SL:32:7 Lublin:LU:81:7
st: Marszałkowska Aleje_Jerozolimskie Nowy_Świat Piotrkowska Floriańska Długa Grunwaldzka
    Świętokrzyska Puławska Mickiewicza Kościuszki
mob: 501:6 502:6 505:6 512:6 530:6 600:6 601:6 602:6 605:6 660:6 691:6 724:6 730:6 790:6 880:6
@SE f: Anna Eva Maria Karin Kristina Lena Sara Emma Elin Ida Johanna Sofia Linnéa Maja Ingrid
    Birgitta Malin Frida Hanna Ebba
m: Erik Lars Karl Anders Johan Per Nils Mikael Jan Hans Peter Oskar Gustav Axel Henrik Fredrik
    Björn Magnus Olof Mats
s: Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson
    Pettersson Jonsson Jansson Hansson Bengtsson Jönsson Lindberg Jakobsson Magnusson Olofsson
    Lindström Lindqvist Lindgren Berg Axelsson Bergström Lundberg Lind Lundgren Mattsson
c: Stockholm:AB:8:7 Göteborg=Gothenburg:O:31:7 Malmö=Malmo:M:40:6 Uppsala:C:18:6
    Linköping=Linkoping:E:13:6 Västerås=Vasteras:U:21:6 Örebro=Orebro:T:19:6
st: Drottninggatan Kungsgatan Sveavägen Storgatan Vasagatan Götgatan Hamngatan Birger_Jarlsgatan
    Södra_Förstadsgatan Kungsportsavenyn
mob: 70:7 72:7 73:7 76:7 79:7
"""
# Per country: calling code, trunk prefix, address pattern, e-mail TLD, phone styles,
# sub-number grouping by length, legal forms ("|" between variants, ";" between forms).
COUNTRIES = {
    "US": ("1", "", "{n} {s}", "com", "sp sh sd ip ih", {},
           "Inc.|Inc|Incorporated;LLC|L.L.C.;Corp.|Corporation"),
    "CA": ("1", "", "{n} {s}", "ca", "sp sh sd ip ih", {},
           "Inc.|Inc|Incorporated;Ltd.|Ltd|Limited"),
    "GB": ("44", "0", "{n} {s}", "co.uk", "sp sf ip iz if", {8: (4, 4), 7: (3, 4)},
           "Ltd|Limited|Ltd.;PLC|plc;LLP"),
    "DE": ("49", "0", "{s} {n}", "de", "sp sl pa sh ip iz i0", {},
           "GmbH|G.m.b.H.|Gesellschaft mbH;AG|Aktiengesellschaft;GmbH & Co. KG|GmbH & Co KG"),
    "FR": ("33", "0", "{n} {s}", "fr", "sp sd sf ip iz i0", {8: (2, 2, 2, 2)},
           "SAS|S.A.S.;SA|S.A.;SARL|S.A.R.L."),
    "NL": ("31", "0", "{s} {n}", "nl", "sp sh ip iz if", {7: (3, 4)}, "B.V.|BV|bv;N.V.|NV"),
    "ES": ("34", "", "{s}, {n}", "es", "sp sf ip if i0", {7: (3, 2, 2), 6: (3, 3)},
           "S.L.|SL|S.L.U.;S.A.|SA|Sociedad Anónima"),
    "IT": ("39", "", "{s}, {n}", "it", "sp sh sf ip if", {8: (4, 4), 7: (3, 4)},
           "S.r.l.|Srl|SRL;S.p.A.|SpA|S.P.A."),
    "PL": ("48", "", "ul. {s} {n}", "pl", "sp pa ip if i0", {7: (3, 2, 2), 6: (3, 3)},
           "Sp. z o.o.|sp. z o.o.|Spółka z o.o.|Sp.z o.o.;S.A.|SA"),
    "SE": ("46", "0", "{s} {n}", "se", "sh sp ip iz if", {8: (3, 3, 2), 7: (3, 2, 2), 6: (2, 2, 2)},
           "AB|Aktiebolag|AB (publ)"),
}  # fmt: skip
COUNTRY_W = [0.24, 0.06, 0.14, 0.12, 0.09, 0.07, 0.08, 0.07, 0.07, 0.06]
INDUSTRY = {
    "en": _w("""Logistics Systems Solutions Engineering Consulting Technologies Manufacturing
        Holdings Group Partners Industries Software Analytics Supply Foods Packaging Energy"""),
    "DE": _w(
        "Logistik Maschinenbau Systeme Technik Bau Software Consulting Handel Elektro Energie"
    ),
    "FR": _w("Conseil Industries Logistique Services Technologies Distribution Ingénierie Énergie"),
    "NL": _w("Techniek Bouw Logistiek Groep Software Installatie Verpakking Energie Advies Handel"),
    "ES": _w("Construcciones Logística Consultores Tecnología Distribuciones Ingeniería Sistemas"),
    "IT": _w("Costruzioni Meccanica Logistica Tecnologie Servizi Impianti Alimentari Sistemi"),
    "PL": _w("Budownictwo Logistyka Systemy Technologie Handel Serwis Energetyka Opakowania"),
    "SE": _w("Bygg Teknik Logistik System Konsult Verkstad Energi Förpackning Data"),
}
STEMS = _w("""Acorn Apex Arcadia Aurora Bluefin Brightwave Cobalt Corvid Crescent Ember Falcon Fjord
    Granite Harbor Helix Horizon Ironbridge Juniper Keystone Kestrel Lumen Meridian Nordwind
    Northstar Novum Oakridge Orion Pinnacle Polaris Quantix Redwood Sable Sequoia Silverline
    Solstice Summit Tandem Terra Trident Vantora Vector Velox Vertex Westbrook Zenit Alpina Baltic
    Borealis Castello Duna Elbe Garda Hansa Iberia Lumina Maas Norrsken Odra Perla Rhein Sierra
    Tejo Vistula Wawel Zeeland Altura Brava Cielo Dorada Estrella Fenix Gaia Kobalt Tessera""")
FUNCS = _w("""Sales Marketing Finance Procurement Operations IT Engineering Human_Resources Legal
    Customer_Success Logistics Product Purchasing Business_Development Quality Supply_Chain""")
LEVELS = _w("""{f}_Manager Senior_{f}_Manager Head_of_{f} {f}_Director Director_of_{f} VP_{f}
    Vice_President,_{f} {f}_Specialist {f}_Assistant {f}_Analyst {f}_Coordinator {f}_Lead""")
EXEC = _w("""Chief_Executive_Officer CEO CFO Chief_Financial_Officer CTO COO Managing_Director
    Founder Owner President General_Manager""")
LOCAL_TITLES = {
    c: _w(t)
    for c, t in (
        ("DE", "Geschäftsführer Leiter_Vertrieb Einkaufsleiter Vertriebsleiter Projektleiter"),
        ("FR", "Directeur_Général Directeur_Commercial Responsable_Achats Chef_de_projet"),
        ("NL", "Directeur Inkoper Accountmanager Hoofd_Inkoop Commercieel_Directeur"),
        ("ES", "Director_General Director_Comercial Jefe_de_Compras Gerente"),
        ("IT", "Amministratore_Delegato Direttore_Commerciale Responsabile_Acquisti"),
        ("PL", "Prezes_Zarządu Dyrektor_Handlowy Kierownik_Sprzedaży Członek_Zarządu"),
        ("SE", "VD Försäljningschef Inköpschef Marknadschef Projektledare Ekonomichef"),
    )
}
TITLE_ABBR = _kv("""Senior:Sr. Manager:Mgr Vice_President,:VP Director:Dir. Human_Resources:HR
    Chief_Executive_Officer:CEO Chief_Financial_Officer:CFO Business_Development:BD""")
ADDR_ABBR = _kv("""Street:St Avenue:Ave Boulevard:Blvd Road:Rd Drive:Dr Suite:Ste straße:str.
    Straße:Str. rue_:r._ avenue:av. boulevard:bd straat:str. Calle:C/ Avenida:Avda. Via_:V._
    Piazza:P.zza Corso:C.so Viale:V.le ul._:_ gatan:g. vägen:v. West:W""")
NICK = {
    k: v.split("/")
    for k, v in _kv("""Robert:Bob/Rob William:Bill/Will Michael:Mike
    Christopher:Chris Matthew:Matt Joshua:Josh Daniel:Dan Joseph:Joe Andrew:Andy Jonathan:Jon
    Elizabeth:Liz/Beth Katherine:Kate/Kathy Jennifer:Jen Samantha:Sam Thomas:Tom James:Jim/Jamie
    Richard:Rich/Rick Edward:Ed/Ted Rebecca:Becky Victoria:Vicky Stephanie:Steph Nicole:Nikki
    Kimberly:Kim Zachary:Zach Alexander:Alex/Sascha Johannes:Hans Katharina:Kathi Stefanie:Steffi
    Matthias:Matze Sebastian:Basti Christian:Chris Tobias:Tobi Francisco:Paco José:Pepe
    Manuel:Manolo Antonio:Toni/Toño Jesús:Chus Alejandro:Álex Giuseppe:Beppe/Pino Francesco:Franco
    Alessandro:Sandro Giovanni:Gianni Federico:Fede Katarzyna:Kasia Małgorzata:Gosia
    Aleksandra:Ola Agnieszka:Aga Magdalena:Magda Krzysztof:Krzysiek Tomasz:Tomek Wojciech:Wojtek
    Jakub:Kuba Mateusz:Mati Bartosz:Bartek Elżbieta:Ela Karl:Kalle Hendrik:Henk Willem:Wim
    Pieter:Piet Nicolas:Nico Frédéric:Fred Sébastien:Seb Christophe:Chris Valérie:Val
    Catherine:Cathy Alexandre:Alex Jean-François:J.-F.""")
}
FREEMAIL = _w("gmail.com gmail.com outlook.com yahoo.com hotmail.com icloud.com gmx.de web.de")
EMAIL_FMT = _w("{f}.{l} {f}.{l} {f}.{l} {i}.{l} {f}{l} {i}{l} {f} {f}_{l} {l}.{f} {l}", "_")
EXT_WORDS = _w("_ext._ _x _ext_ _(ext._ _#")
FOLD = str.maketrans({"ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "æ": "ae", "đ": "d"})
UMLAUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
KEYS = "qwertyuiopasdfghjklzxcvbnm"


def _parse_vocab() -> dict[str, dict[str, list]]:
    out: dict[str, dict[str, list]] = {}
    for block in VOCAB.split("@")[1:]:
        code, *tokens = block.split()
        cur: dict[str, list] = {"f": [], "m": [], "s": [], "c": [], "st": [], "mob": []}
        key = "f"
        for t in tokens:
            if t.endswith(":") and t[:-1] in cur:
                key = t[:-1]
            elif key in ("c", "mob"):
                cur[key].append(tuple(x.replace("_", " ") for x in t.split(":")))
            else:
                cur[key].append(t.replace("_", " "))
        out[code] = cur
    return out


V = _parse_vocab()


def _ascii(s: str, rng: random.Random | None = None) -> str:
    if rng is not None and rng.random() < 0.5:
        s = s.translate(UMLAUT)
    s = unicodedata.normalize("NFKD", s.translate(FOLD))
    return "".join(c for c in s if not unicodedata.combining(c))


def _slug(s: str) -> str:
    return "".join(c for c in _ascii(s).lower() if c.isalnum())


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 4:
        return s
    i, op, c = rng.randrange(1, len(s) - 1), rng.randrange(4), rng.choice(KEYS)
    if op == 0:
        return s[:i] + c + s[i + 1 :]
    if op == 1:
        return s[:i] + rng.choice((c, s[i])) + s[i:]
    if op == 2:
        return s[:i] + s[i + 1 :]
    return s[: i - 1] + s[i] + s[i - 1] + s[i + 1 :]


def _pick(rng: random.Random, seq: list, skew: float = 0.8):
    """Zipf-like choice: earlier entries are more common."""
    return rng.choices(seq, [1.0 / (i + 2) ** skew for i in range(len(seq))])[0]


def _phone(cc: str, area: str, sub: str, style: str) -> str:
    """Write a number in one of its country's national (s*) or international (i*) styles."""
    code, trunk, *_, groups, _legal = COUNTRIES[cc]
    if code == "1":  # NANP
        a, x, y = area, sub[:3], sub[3:]
        nanp = {"sp": f"({a}) {x}-{y}", "sh": f"{a}-{x}-{y}", "sd": f"{a}.{x}.{y}"}
        return (nanp | {"ip": f"+1 {a} {x} {y}", "ih": f"+1-{a}-{x}-{y}"})[style]
    sizes, parts, i = groups.get(len(sub), (len(sub),)), [], 0
    for n in sizes:
        parts.append(sub[i : i + n])
        i += n
    rest, t = " ".join(parts), trunk + area
    return {
        "sp": f"{t} {rest}",
        "sf": t + sub,
        "sl": f"{t}/{sub}",
        "sh": f"{t}-{rest}",
        "sd": ".".join([t, *parts]),
        "pa": f"({t}) {rest}",
        "ip": f"+{code} {area} {rest}",
        "iz": f"+{code} (0){area} {rest}",
        "if": f"+{code}{area}{sub}",
        "i0": f"00{code} {area} {rest}",
    }[style]


def _company(rng: random.Random, cc: str, domains: set[str]) -> dict:
    lang = cc if cc in INDUSTRY else "en"
    ind = rng.choice(INDUSTRY[lang] + INDUSTRY["en"][:4])

    def sur() -> str:
        s = _pick(rng, V[cc]["s"])
        return s[0].upper() + s[1:]

    kind = rng.random()
    if kind < 0.3:
        base = f"{rng.choice(STEMS)} {ind}"
    elif kind < 0.5:
        base = f"{sur()} {ind}"
    elif kind < 0.6:
        base = f"{sur()} & {sur()}"
    elif kind < 0.7:
        base = f"{_pick(rng, V[cc]['c'])[0].split('=')[0]} {ind}"
    else:
        base = rng.choice(STEMS) + rng.choice(("", "", "tech", "soft", "line", "works", "ia"))
    legal = [f.split("|") for f in COUNTRIES[cc][-1].split(";")]
    tld = "com" if rng.random() < 0.15 else COUNTRIES[cc][3]
    slug = _slug(base.split()[0] if rng.random() < 0.4 else base.replace("&", "and"))
    domain = f"{slug}.{tld}"
    while domain in domains:
        domain = (
            f"{slug}{rng.choice(('-group', '-' + cc.lower(), 'hq', str(rng.randint(2, 99))))}.{tld}"
        )
    domains.add(domain)
    pattern = rng.choices(EMAIL_FMT, [6, 6, 6, 3, 2, 2, 1, 1, 1, 1])[0]
    return {"base": base, "legal": _pick(rng, legal, 1.5), "domain": domain, "pattern": pattern}


def _office(rng: random.Random, cc: str) -> dict:
    city = _pick(rng, V[cc]["c"], 0.6)
    number = str(rng.randint(1, 250) if cc != "US" else rng.randint(100, 9999))
    line = COUNTRIES[cc][2].format(n=number, s=rng.choice(V[cc]["st"]))
    if cc in ("US", "CA") and rng.random() < 0.4:
        line += f", Suite {rng.randint(1, 40) * 100 + rng.randint(0, 20)}"
    base = "".join(str(rng.randint(0, 9)) for _ in range(int(city[-1]) - 2))
    return {"cc": cc, "city": city, "line": line, "base": str(rng.randint(2, 9)) + base[1:]}


def _mobile(rng: random.Random, cc: str, office: dict) -> tuple[str, str, str]:
    prefixes = V[cc]["mob"]
    area, n = rng.choice(prefixes) if prefixes else (office["city"][-2], "7")
    if cc in ("US", "CA") and rng.random() < 0.4:
        area = rng.choice(V[cc]["c"])[-2]
    return (
        cc,
        area,
        str(rng.randint(2, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(int(n) - 1)),
    )


def _person(rng: random.Random, cc: str) -> tuple[str, str, str]:
    """First name, last name and the country the name comes from."""
    nc = cc if rng.random() < 0.85 else rng.choices(list(COUNTRIES), COUNTRY_W)[0]
    gender = rng.choice("fm")
    first, last = _pick(rng, V[nc][gender]), _pick(rng, V[nc]["s"], 0.6)
    if nc == "ES" and rng.random() < 0.5:
        last = f"{last} {_pick(rng, V[nc]['s'], 0.6)}"
    if nc == "PL" and gender == "f" and last.endswith(("ski", "cki", "dzki")):
        last = last[:-1] + "a"
    return first, last, nc


def _title(rng: random.Random, cc: str) -> str:
    r = rng.random()
    if r < 0.1:
        return rng.choice(EXEC)
    if r < 0.25 and cc in LOCAL_TITLES:
        return rng.choice(LOCAL_TITLES[cc])
    return rng.choice(LEVELS).format(f=rng.choice(FUNCS))


def _email(first: str, last: str, company: dict, used: set[str]) -> str:
    f, ln = _slug(first), _slug(last.split()[0])
    local = company["pattern"].format(f=f, l=ln, i=f[:1])
    e, n = f"{local}@{company['domain']}", 1
    while e in used:
        n += 1
        e = f"{local}{n}@{company['domain']}"
    used.add(e)
    return e


def _vary_company(rng: random.Random, c: dict) -> str:
    base, legal = c["base"], c["legal"]
    r = rng.random()
    if r < 0.3:
        return base
    if r < 0.55:
        return f"{base} {rng.choice(legal)}"
    if r < 0.65:
        return f"{base} {legal[0]}".upper()
    if r < 0.72:
        return f"{base} {legal[0]}".lower()
    if r < 0.8:
        return base.split()[0]
    if r < 0.88:
        return f"{base.replace(' & ', ' and ')} {legal[0]}"
    return _typo(rng, f"{base} {legal[0]}")


def _record(rng: random.Random, e: dict, heavy: bool) -> dict:
    m = 1.0 if heavy else 0.25  # the first record of a contact is the cleanest

    def chance(p: float) -> bool:
        return rng.random() < p * m

    c, off, cc = e["company"], e["office"], e["office"]["cc"]
    first, last = e["first"], e["last"]
    if heavy and " " in last and e["name_cc"] == "ES" and rng.random() < 0.4:
        last = last.split()[0]  # second surname dropped
    r = rng.random() / m
    if r < 0.08 and len(first) > 3:
        first = first[: rng.choice((2, 3))]
    elif r < 0.13:
        first = first[0] + rng.choice((".", "", "."))
    elif r < 0.19 and first in NICK:
        first = rng.choice(NICK[first])
    first = _typo(rng, first) if chance(0.03) else first
    last = _typo(rng, last) if chance(0.03) else last
    if chance(0.1):
        first, last = _ascii(first, rng), _ascii(last, rng)
    if chance(0.04):
        first, last = last, first
    elif chance(0.02):
        first, last = f"{first} {last}", None
    case = rng.random() / m
    if case < 0.06:
        first, last = first.upper(), last and last.upper()
    elif case < 0.1:
        first, last = first.lower(), last and last.lower()
    elif case < 0.15:
        first = rng.choice((f"  {first.lower()}  ", f"{first} ", f" {first}"))
        last = last and rng.choice((last, last.replace(" ", "  "), f"{last}  "))
    email = e["email"]
    r = rng.random() / m
    if email and r < 0.06:
        local, dom = email.split("@")
        email = f"{local[: rng.choice((1, 2, 3))]}***@{dom}"
    elif email and r < 0.11:
        display = rng.choice((f"{e['first']} {e['last']}", f'"{e["last"]}, {e["first"]}"'))
        email = f"{display} <{email}>"
    elif email and r < 0.17:
        email = rng.choice((email.upper(), email.title(), f"{email[0].upper()}{email[1:]}"))
    elif email and r < 0.19:
        email = _typo(rng, email)
    elif heavy and r < 0.22:
        email = e["private"]
    styles = COUNTRIES[cc][4].split()
    style = e["style"] if e["style"] in styles and not chance(0.4) else rng.choice(styles)
    sub = off["base"] + e["ext"]
    r = rng.random() / m
    if r < 0.12 and e["ext"]:
        word = rng.choice(EXT_WORDS)
        phone = _phone(cc, off["city"][-2], off["base"] + "00", style) + word + e["ext"].lstrip("0")
        phone += ")" if "(" in word else ""
    elif r < 0.15 and e["ext"] and cc == "DE":
        phone = _phone(cc, off["city"][-2], off["base"], style) + "-" + e["ext"]
    elif r < 0.2:
        phone = _phone(cc, off["city"][-2], off["base"] + "00", style)
    elif r < 0.24 and e["mobile"]:
        phone = _phone(*e["mobile"], rng.choice(COUNTRIES[e["mobile"][0]][4].split()))
    else:
        phone = _phone(cc, off["city"][-2], sub if e["ext"] else off["base"] + "00", style)
    mobile = e["mobile"] and _phone(*e["mobile"], rng.choice(COUNTRIES[e["mobile"][0]][4].split()))
    city = off["city"][0].split("=")
    title = e["title"]
    if chance(0.2):
        funcs = [f for f in FUNCS if f in title]
        if funcs and rng.random() < 0.4:  # promoted or moved sideways in the same function
            title = rng.choice(LEVELS).format(f=funcs[0])
        elif rng.random() < 0.3:
            title = _title(rng, cc)
        else:
            for a, b in rng.sample(TITLE_ABBR, len(TITLE_ABBR)):
                title = title.replace(a, b) if rng.random() < 0.6 else title.replace(b, a)
    line = off["line"]
    if chance(0.35):
        for a, b in ADDR_ABBR:
            line = line.replace(a, b)
    line = _typo(rng, line) if chance(0.04) else line
    out = {
        "first_name": first,
        "last_name": last,
        "job_title": title,
        "company": _vary_company(rng, c) if chance(0.4) else f"{c['base']} {c['legal'][0]}",
        "email": email,
        "phone": phone,
        "mobile": mobile,
        "country_code": "UK" if cc == "GB" and rng.random() < 0.15 else cc,
        "state_code": off["city"][-3],
        "city": city[-1] if len(city) > 1 and rng.random() < 0.3 else city[0],
        "address_line": line.upper() if chance(0.04) else line,
        "company_id": e["company_id"],
    }
    if e["freelance"]:
        out["company"] = None
    missing = {"first_name": 0.02, "last_name": 0.01, "job_title": 0.08, "company": 0.03}
    missing |= {"email": 0.1, "phone": 0.1, "mobile": 0.2, "country_code": 0.03}
    missing |= {"state_code": 0.2, "city": 0.05, "address_line": 0.1}
    for col, p in missing.items():
        if rng.random() < p * (1.5 if heavy else 0.6):
            out[col] = None
    return out


def generate(
    n_contacts: int = 5000, seed: int = 0, *, include_company: bool = False
) -> pl.DataFrame:
    """Return CRM records for ``n_contacts`` people, ~30% of them duplicated (module doc)."""
    rng = random.Random(seed)
    domains: set[str] = set()
    used: set[str] = set()
    companies, entities = [], []
    while len(entities) < n_contacts:
        cc = rng.choices(list(COUNTRIES), COUNTRY_W)[0]
        size = min(int(rng.paretovariate(1.05)), 150, n_contacts - len(entities))
        offices = [_office(rng, cc)]
        for _ in range((size > 15) + (size > 50)):
            other = cc if rng.random() < 0.6 else rng.choices(list(COUNTRIES), COUNTRY_W)[0]
            offices.append(_office(rng, other))
        comp = _company(rng, cc, domains) | {"id": len(companies), "offices": offices}
        companies.append(comp)
        for _ in range(size):
            off = offices[0] if rng.random() < 0.7 else rng.choice(offices)
            first, last, name_cc = _person(rng, off["cc"])
            freelance = size == 1 and rng.random() < 0.15
            e = {"first": first, "last": last, "company": comp, "office": off, "name_cc": name_cc}
            e["email"] = _email(first, last, comp, used)
            e["private"] = (
                f"{_slug(first)}.{_slug(last)}{rng.randint(1, 99)}@{rng.choice(FREEMAIL)}"
            )
            e["freelance"] = freelance
            if freelance:
                e["email"] = e["private"]
            e["title"] = _title(rng, off["cc"])
            e["ext"] = f"{rng.randint(1, 99):02d}" if rng.random() < 0.7 else ""
            e["mobile"] = _mobile(rng, off["cc"], off) if rng.random() < 0.65 else None
            e["style"] = rng.choice(COUNTRIES[off["cc"]][4].split())
            e["company_id"] = f"K{comp['id']:05d}"
            entities.append(e)
    rows = []
    ids = rng.sample(range(n_contacts), n_contacts)
    for e, pid in zip(entities, ids, strict=True):
        k = rng.choices((2, 3, 4), (0.6, 0.3, 0.1))[0] if rng.random() < 0.3 else 1
        for j in range(k):
            if j and rng.random() < 0.06:  # moved to another company meanwhile
                e = dict(e)
                comp = rng.choice(companies)
                e["company"], e["company_id"] = comp, f"K{comp['id']:05d}"
                e["office"] = rng.choice(comp["offices"])
                e["email"], e["title"] = (
                    _email(e["first"], e["last"], comp, used),
                    _title(rng, "en"),
                )
            rows.append(_record(rng, e, heavy=j > 0) | {"entity_id": f"E{pid:06d}"})
    rng.shuffle(rows)
    cols = ["record_id", "entity_id", "first_name", "last_name", "job_title", "company", "email"]
    cols += ["phone", "mobile", "country_code", "state_code", "city", "address_line"]
    cols += ["company_id"] if include_company else []
    for i, r in enumerate(rows):
        r["record_id"] = f"C{i:06d}"
    return pl.DataFrame(
        {c: [r[c] for r in rows] for c in cols}, schema=dict.fromkeys(cols, pl.String)
    )


if __name__ == "__main__":
    import time

    t0 = time.perf_counter()
    df = generate(include_company=True)
    print(f"generated in {time.perf_counter() - t0:.2f}s")
    pl.Config(tbl_cols=14, tbl_width_chars=260, fmt_str_lengths=40, tbl_rows=30)
    n = df["entity_id"].value_counts()["count"]
    comp = df.unique("entity_id", keep="first", maintain_order=True)["company_id"].value_counts()
    norm = [pl.col(c).str.strip_chars().str.to_lowercase() for c in ("first_name", "last_name")]
    names = df.with_columns(key=norm[0] + " " + norm[1]).drop_nulls("key")
    per = names.group_by("key", "entity_id").len().group_by("key")
    per = per.agg(t=pl.col("len").sum(), s=(pl.col("len") * (pl.col("len") - 1) // 2).sum())
    print(f"records {df.height}, entities {n.len()}, with duplicates {int((n > 1).sum())}")
    print(f"true duplicate pairs {int((n * (n - 1) // 2).sum())}")
    shared = int(comp.filter(pl.col("count") > 1)["count"].sum())
    print(f"companies {comp.height}, contacts at companies of 2+ people {shared}")
    hard = int((per["t"] * (per["t"] - 1) // 2 - per["s"]).sum())
    print(f"record pairs of different people with the same normalised name {hard}")
    print(dict(df.group_by("country_code").len().sort("len", descending=True).iter_rows()))
    print(df.head(8).drop("company_id"))
    big = comp.sort("count", "company_id", descending=[True, False])[3, 0]
    print(f"\ncompany {big}:")
    print(df.filter(pl.col("company_id") == big).sort("entity_id").head(20).drop("company_id"))
    ent = df["entity_id"].value_counts().filter(pl.col("count") == 4).sort("entity_id")[:3, 0]
    print("\nduplicate clusters:")
    print(df.filter(pl.col("entity_id").is_in(ent.implode())).sort("entity_id").drop("company_id"))
