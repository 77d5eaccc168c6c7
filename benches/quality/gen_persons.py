"""Synthetic multi-source person records, "public administration" style.

``generate(n_people, seed)`` returns ``{source: DataFrame}`` for five registers that each hold
part of one simulated population: ``tax``, ``health``, ``electoral``, ``benefits``, ``registry``.
Every frame has ``record_id`` (unique across all sources, prefixed by the source) and
``entity_id`` (the ground-truth person), then its own subset of the shared field names:

=========  ===========  =================================================================
source     dob format   fields beyond the name and street address
=========  ===========  =================================================================
tax        1969-06-04   middle_initial, phone (no gender, no email; ASCII-folded names)
health     06/04/1969   middle_name, gender, phone, email (ZIP+4 sometimes)
electoral  04.06.1969   middle_initial, gender, email (no phone; UPPER CASE)
benefits   19690604     gender (female/male), phone, email (no middle name)
registry   04/06/69     middle_initial, gender (no unit, phone or email; surname upper case)
=========  ===========  =================================================================

The population lives in households of 1-6 people that share surname (mostly), address and
sometimes a landline or e-mail, so surname + address agreement is weak evidence. Twins share a
birth date, a few sons carry their father's given name, married women may appear under their
maiden name, some people moved (one source holds the old address) and about 5% of records are
duplicated within their source. Names get typos, nicknames, truncations, diacritic folding and
case changes; dates get day/month swaps and off-by-one years; phones come in many formats.
All values are strings (or null). Pass ``include_household=True`` to add ``household_id``.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata

import polars as pl


def _w(text: str, space: str = " ") -> list[str]:
    return [t.replace("_", space) for t in text.split()]


def _t(text: str, space: str = " ") -> list[tuple[str, ...]]:
    return [tuple(t.split(":")) for t in _w(text, space)]


# Given names (f:, m:) and surnames (s:) per culture, most common first; @culture=share.
NAMES = """
@en=0.42
    f: Mary Jennifer Elizabeth Patricia Linda Susan Sarah Jessica Karen Emily Margaret Nancy
    Lisa Sandra Ashley Donna Michelle Amanda Melissa Deborah Stephanie Rebecca Laura Sharon
    Cynthia Kathleen Amy Angela Helen Anna Brenda Emma Olivia Sophia Charlotte Amelia Abigail
    Madison Chloe Grace Victoria Hannah Katherine Caroline Rachel Megan Lauren Natalie Samantha
    Heather Julie Christine Barbara Carol Diane Joyce Evelyn
    m: James Robert John Michael William David Richard Joseph Thomas Charles Christopher Daniel
    Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy
    Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Scott Justin
    Brandon Benjamin Samuel Gregory Alexander Patrick Frank Raymond Jack Dennis Tyler Aaron
    Henry Noah Liam Ethan Lucas Oliver Walter Harold
    s: Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore
    Jackson Martin Lee Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright
    Scott Hill Green Adams Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker
    Evans Edwards Collins Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey
    Bell Kelly Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray Hughes Price Sanders
    Myers Long Ross Foster Powell Jenkins Perry Russell Sullivan O'Brien O'Connor McDonald
    MacLeod Fitzgerald Smith-Jones Henderson Coleman Barnes Fisher
@de=0.1
    f: Ursula Monika Petra Sabine Claudia Susanne Birgit Katrin Anja Heike Jutta Gisela Ingrid
    Renate Lena Leonie Marie Johanna Greta Jana Franziska Annika Brigitte Hildegard Dörte Käthe
    m: Jürgen Klaus Wolfgang Dieter Uwe Günter Helmut Stefan Andreas Markus Thorsten Matthias
    Jörg Holger Lukas Felix Maximilian Jonas Leon Tobias Florian Sebastian Friedrich Heinrich
    Johannes
    s: Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch
    Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hartmann Lange
    Schmitt Werner Krause Meier Lehmann Schulze Maier Köhler Herrmann König Walter Huber Kaiser
    Fuchs Peters Scholz Möller Weiß Jung Hahn Vogel Keller Günther Berger Winkler Roth Beck
    Lorenz Baumann Albrecht von_Berg
@nl=0.06
    f: Anouk Sanne Fleur Femke Lotte Maartje Ingeborg Marieke Esther Wilhelmina Margriet Saskia
    Noor Lieke Anneke Joke
    m: Johannes Pieter Jan Willem Hendrik Cornelis Gerrit Sjoerd Bram Daan Joost Ruben Thijs
    Maarten Koen Stijn Wouter Jeroen
    s: de_Jong Jansen de_Vries van_den_Berg van_Dijk Bakker Janssen Visser Smit Meijer de_Boer
    Mulder de_Groot Bos Vos Hendriks van_Leeuwen Dekker Brouwer de_Wit Dijkstra Smits de_Graaf
    van_der_Meer van_der_Linden Kok Jacobs de_Haan Vermeulen van_den_Heuvel van_der_Veen
    van_den_Broek de_Bruijn van_der_Heijden Schouten van_Beek Willems
@es=0.16
    f: María Carmen Lucía Isabel Pilar Dolores Rocío Elena Marta Cristina Raquel Beatriz
    Alejandra Guadalupe Esperanza Inés Nuria Paloma Sofía Valeria
    m: José Antonio Manuel Francisco Javier Jesús Carlos Miguel Alejandro Fernando Sergio Pablo
    Jorge Álvaro Diego Raúl Rafael Enrique Ignacio Luis
    s: García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez
    Ruiz Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez
    Vázquez Ramos Gil Ramírez Serrano Blanco Molina Morales Suárez Ortega Delgado Castro Ortiz
    Rubio Marín Sanz Núñez Iglesias Medina Garrido de_la_Cruz
@it=0.09
    f: Giulia Francesca Chiara Alessandra Federica Valentina Sofia Giovanna Rosa Antonella Paola
    Silvia Elisabetta Lucrezia Serena Ilaria
    m: Giuseppe Giovanni Francesco Alessandro Luca Marco Matteo Lorenzo Andrea Stefano Roberto
    Davide Salvatore Vincenzo Massimo Paolo Gianluca Emanuele
    s: Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti
    De_Luca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani
    Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile Martinelli Vitale Lombardo Serra
    Coppola De_Santis D'Angelo Marchetti Parisi Villa Conte Ferraro
@pl=0.08
    f: Anna Katarzyna Małgorzata Agnieszka Magdalena Joanna Ewa Krystyna Zofia Dorota Aleksandra
    Weronika Justyna Beata Grażyna Jadwiga
    m: Piotr Krzysztof Tomasz Paweł Marcin Michał Grzegorz Jakub Łukasz Wojciech Mariusz Adam
    Kamil Marek Zbigniew Jarosław Aleksander Bartosz
    s: Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański
    Woźniak Dąbrowski Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski
    Nowakowski Pawłowski Michalski Nowicki Adamczyk Dudek Zając Wieczorek Jabłoński Król
    Majewski Olszewski Jaworski Wróbel Malinowski Pawlak Witkowski Walczak Stępień Górski
    Rutkowski Sikora
@fr=0.09
    f: Marie Camille Juliette Chloé Manon Amélie Sophie Nathalie Isabelle Sylvie Céline
    Françoise Brigitte Élodie Margaux Océane Hélène Véronique Mathilde
    m: Jean Pierre Philippe Nicolas Laurent Olivier Christophe Thierry Sébastien Julien
    Guillaume Mathieu Antoine François Hugo Théo Louis Étienne
    s: Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent
    Lefebvre Michel Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont
    Lambert Bonnet François Legrand Garnier Faure Rousseau Blanc Guérin Henry Roussel Perrin
    Morin Clément Gauthier Dumont Fontaine Chevalier
"""
NICK = {
    k: v.split("/")
    for k, v in (
        e.split(":")
        for e in _w("""
    William:Bill/Will/Billy Robert:Bob/Rob/Bobby Richard:Rick/Dick/Rich James:Jim/Jimmy/Jamie
    John:Jack/Johnny Michael:Mike/Mick Joseph:Joe/Joey Thomas:Tom/Tommy Charles:Charlie/Chuck
    Christopher:Chris Daniel:Dan/Danny Matthew:Matt Anthony:Tony Donald:Don Steven:Steve
    Andrew:Andy/Drew Joshua:Josh Kenneth:Ken/Kenny Timothy:Tim Ronald:Ron Edward:Ed/Eddie/Ted
    Jeffrey:Jeff Jacob:Jake Nicholas:Nick Jonathan:Jon Stephen:Steve Benjamin:Ben Samuel:Sam
    Gregory:Greg Alexander:Alex/Sandy Patrick:Pat Raymond:Ray Henry:Hank/Harry Walter:Walt
    Elizabeth:Liz/Beth/Betty/Eliza Patricia:Pat/Patty/Trish Jennifer:Jen/Jenny
    Margaret:Maggie/Peggy/Meg Susan:Sue/Susie Katherine:Kate/Kathy/Katie Kathleen:Kathy/Kate
    Rebecca:Becky Deborah:Debbie/Deb Stephanie:Steph Cynthia:Cindy Amanda:Mandy Samantha:Sam
    Victoria:Vicky/Tori Abigail:Abby Barbara:Barb Christine:Chris/Tina Jessica:Jess
    Melissa:Mel/Missy Caroline:Carrie Natalie:Nat Evelyn:Eve Johannes:Hans/Jan/Johan
    Friedrich:Fritz Heinrich:Heinz Maximilian:Max Franziska:Franzi Susanne:Susi Sebastian:Basti
    Andreas:Andi Thorsten:Torsten Cornelis:Kees Hendrik:Henk Willem:Wim Wilhelmina:Wilma/Mien
    Pieter:Piet Gerrit:Gert José:Pepe Francisco:Paco/Pancho Manuel:Manolo Jesús:Chuy
    Antonio:Toño/Tony Ignacio:Nacho Alejandro:Alex Guadalupe:Lupe Dolores:Lola Rafael:Rafa
    Enrique:Quique Pilar:Pili Isabel:Isa Giuseppe:Beppe/Pino Francesco:Franco Alessandro:Sandro
    Giovanni:Gianni Salvatore:Totò Vincenzo:Enzo Lorenzo:Enzo Elisabetta:Betta Antonella:Nella
    Francesca:Franca Emanuele:Lele Katarzyna:Kasia Małgorzata:Gosia Agnieszka:Aga
    Magdalena:Magda Aleksandra:Ola Joanna:Asia Krzysztof:Krzysiek Tomasz:Tomek Wojciech:Wojtek
    Jakub:Kuba Aleksander:Olek Grzegorz:Grzesiek Bartosz:Bartek Jarosław:Jarek Zbigniew:Zbyszek
    Zofia:Zosia Krystyna:Krysia Nicolas:Nico Sébastien:Seb Christophe:Chris Isabelle:Isa
    Philippe:Phil Véronique:Véro""")
    )
}
STREETS = _w("""Oak Maple Elm Cedar Pine Birch Willow Walnut Chestnut Cherry Spruce Hickory
    Magnolia Sycamore Aspen Poplar Laurel Juniper Main Church Mill School Market Bridge Water High
    Union Center Spring Park Lake River Hill Valley Forest Meadow Sunset Highland Ridge Prospect
    Pleasant Railroad Depot Orchard Garden Washington Lincoln Jefferson Madison Monroe Adams
    Jackson Franklin Hamilton Grant Wilson Harrison Cleveland Roosevelt Kennedy Lafayette
    Pershing Front Second Third Fourth Fifth Sixth Seventh Eighth Ninth Tenth Schiller Goethe
    Steuben Hauser Linden Kaiser Van_Buren Holland Amsterdam Rensselaer Stuyvesant Schuyler
    Santa_Fe San_Pedro Del_Rio Las_Flores Columbus Marconi Garibaldi Verona Sorrento Pulaski
    Kosciuszko Warsaw Beaumont Bellevue Fontaine Dauphine Champlain Marquette Joliet Mulberry
    Dogwood Evergreen Fairview Glenwood Lakeview Riverside Woodland Heritage Liberty Commerce""")
UNTYPED = _w("Broadway Camino_Real Vista_del_Mar Alameda El_Camino Paseo_Verde Via_Roma")
TYPES = _t("""Street:St Avenue:Ave Road:Rd Drive:Dr Lane:Ln
    Court:Ct Place:Pl Boulevard:Blvd Way:Way Terrace:Ter Circle:Cir Parkway:Pkwy Trail:Trl""")
TOWNS = _t("""Springfield:IL:627:217 Columbus:OH:432:614
    Madison:WI:537:608 Albany:NY:122:518 Amsterdam:NY:120:518 Rochester:NY:146:585
    Buffalo:NY:142:716 Hamburg:NY:140:716 Syracuse:NY:132:315 Ithaca:NY:148:607
    Germantown:MD:208:301 Frederick:MD:217:301 Annapolis:MD:214:410 Fredericksburg:VA:224:540
    Richmond:VA:232:804 Alexandria:VA:223:703 Raleigh:NC:276:919 Asheville:NC:288:828
    Charleston:SC:294:843 Savannah:GA:314:912 Athens:GA:306:706 Naples:FL:341:239
    Tampa:FL:336:813 St._Augustine:FL:320:904 Pensacola:FL:325:850 Mobile:AL:366:251
    Nashville:TN:372:615 Memphis:TN:381:901 Louisville:KY:402:502 Versailles:KY:403:859
    Lexington:KY:405:859 Cincinnati:OH:452:513 Toledo:OH:436:419 Dayton:OH:454:937
    Milan:OH:448:419 Holland:MI:494:616 Frankenmuth:MI:487:989 Grand_Rapids:MI:495:616
    Lansing:MI:489:517 Warsaw:IN:465:574 South_Bend:IN:466:574 Evansville:IN:477:812
    Peoria:IL:616:309 Rockford:IL:611:815 Naperville:IL:605:630 Milwaukee:WI:532:414
    Green_Bay:WI:543:920 New_Berlin:WI:531:262 New_Ulm:MN:560:507 Duluth:MN:558:218
    Rochester:MN:559:507 Pella:IA:502:641 Des_Moines:IA:503:515 Dubuque:IA:520:563
    Omaha:NE:681:402 Lincoln:NE:685:402 Wichita:KS:672:316 Topeka:KS:666:785 Tulsa:OK:741:918
    New_Braunfels:TX:781:830 Fredericksburg:TX:786:830 San_Antonio:TX:782:210
    El_Paso:TX:799:915 Paris:TX:754:903 Austin:TX:787:512 Santa_Fe:NM:875:505
    Los_Alamos:NM:875:505 Albuquerque:NM:871:505 Boulder:CO:803:303 Pueblo:CO:810:719
    Durango:CO:813:970 Tucson:AZ:857:520 Flagstaff:AZ:860:928 Reno:NV:895:775 Boise:ID:837:208
    Spokane:WA:992:509 Tacoma:WA:984:253 Eugene:OR:974:541 Salem:OR:973:503
    Sacramento:CA:958:916 Fresno:CA:937:559 San_Mateo:CA:944:650 Santa_Rosa:CA:954:707
    Ventura:CA:930:805 Portland:ME:041:207 Burlington:VT:054:802 Montpelier:VT:056:802
    Concord:NH:033:603 Worcester:MA:016:508 Springfield:MA:011:413 Hartford:CT:061:860
    Berlin:CT:060:860 Providence:RI:029:401 Trenton:NJ:086:609 Hoboken:NJ:070:201
    Allentown:PA:181:610 Bethlehem:PA:180:610 Lancaster:PA:176:717 Erie:PA:165:814
    Wilmington:DE:198:302""")
MAIL = _w("""gmail.com gmail.com gmail.com gmail.com yahoo.com yahoo.com hotmail.com outlook.com
    outlook.com aol.com icloud.com comcast.net att.net verizon.net gmx.net web.de mail.com""")
REF = dt.date(2024, 6, 30)
FIELDS = _w(
    """given_name middle_initial middle_name surname date_of_birth gender street_number
    street_name unit_number city postcode state phone email""",
    "_",
)
# Relative missing rate per field (times the source's base rate, capped at 0.3).
MISS = {
    f: float(m)
    for f, m in _t(
        """given_name:0.5 middle_initial:1 middle_name:1 surname:0.25
    date_of_birth:0.6 gender:1 street_number:1 street_name:0.8 unit_number:0.8 city:1.2
    postcode:1.2 state:1 phone:1.6 email:1.6""",
        "_",
    )
}
# source: dob format, base missing rate, phone style, unit style, street abbreviation, no fields
SOURCES = {
    "tax": ("%Y-%m-%d", 0.07, 3, 0, 0.9, "middle_name gender email"),
    "health": ("%m/%d/%Y", 0.10, 1, 1, 0.3, "middle_initial"),
    "electoral": ("%d.%m.%Y", 0.06, 0, 5, 0.0, "middle_name phone"),
    "benefits": ("%Y%m%d", 0.14, 0, 3, 0.5, "middle_initial middle_name"),
    "registry": ("%d/%m/%y", 0.05, 0, 0, 0.7, "middle_name unit_number phone email"),
}
PHONE_FMT = _w("""+1_{a}_{e}_{l} ({a})_{e}-{l} {a}.{e}.{l} {a}-{e}-{l} {a}{e}{l} 1-{a}-{e}-{l}
    +1{a}{e}{l} +1_({a})_{e}-{l}""")
EMAIL_FMT = _w("{g}.{s} {g}{s} {i}{s} {g}_{s} {s}.{g} {g}{j} {g}.{s}{n} {g}{y} {s}{n}", "_")
UNIT_FMT = _w("Apt_{u} #{u} {u} Unit_{u} Apt._{u} APT_{u}")
FOLD = str.maketrans({"ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "æ": "ae", "\u2019": "'"})
UMLAUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
KEYS = "qwertyuiopasdfghjklzxcvbnm"
CULTURES: dict[str, tuple[float, list[str], list[str], list[str]]] = {}
for _block in NAMES.split("@")[1:]:
    _head, _f, _m, _s = _block.replace("f:", "|").replace("m:", "|").replace("s:", "|").split("|")
    _c, _share = _head.split("=")
    CULTURES[_c] = (float(_share), _w(_f), _w(_m), _w(_s))


def _cum(n: int, s: float = 0.7) -> list[float]:
    """Cumulative Zipf-like weights: the first entries of a vocabulary are the most common."""
    out, acc = [], 0.0
    for i in range(n):
        acc += 1.0 / (i + 3) ** s
        out.append(acc)
    return out


def _ascii(s: str, rng: random.Random | None = None) -> str:
    if rng is not None and rng.random() < 0.5:
        s = s.translate(UMLAUT)
    s = unicodedata.normalize("NFKD", s.translate(FOLD))
    return "".join(c for c in s if not unicodedata.combining(c))


def _slug(s: str) -> str:
    return _ascii(s).lower().replace(" ", "").replace("'", "").replace("-", "")


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 3:
        return s
    i, op, c = rng.randrange(1, len(s)), rng.randrange(4), rng.choice(KEYS)
    c = c.upper() if s[i].isupper() else c
    if op == 0:
        return s[:i] + c + s[i + 1 :]
    if op == 1:
        return s[:i] + rng.choice((c, s[i])) + s[i:]
    if op == 2:
        return s[:i] + s[i + 1 :]
    return s[: i - 1] + s[i] + s[i - 1] + s[i + 1 :]


def _feminine(surname: str, culture: str) -> str:
    if culture == "pl" and surname.endswith(("ski", "cki", "dzki")):
        return surname[:-1] + "a"
    return surname


def _age(dob: dt.date) -> float:
    return (REF - dob).days / 365.25


def _date(rng: random.Random, y0: int, y1: int) -> dt.date:
    start = dt.date(y0, 1, 1)
    return min(REF, start + dt.timedelta(days=rng.randrange((dt.date(y1, 12, 31) - start).days)))


class _World:
    """Shared state: streets per town, apartment buildings, e-mail addresses in use."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.emails, self.buildings = rng, set(), []
        self.town_cw = _cum(len(TOWNS), 0.9)
        self.streets = []  # each town has 25 streets, so neighbours share street names
        for _ in TOWNS:
            names = [*rng.sample(STREETS, 24), rng.choice(UNTYPED)]
            self.streets.append([(n, None if n in UNTYPED else rng.choice(TYPES)) for n in names])
        self.cw = {c: [_cum(len(v[k])) for k in (1, 2, 3)] for c, v in CULTURES.items()}

    def name(self, culture: str, kind: int) -> str:
        cw = self.cw[culture][kind - 1]
        return self.rng.choices(CULTURES[culture][kind], cum_weights=cw)[0]

    def address(self) -> dict:
        rng = self.rng
        unit = f"{rng.randint(1, 9)}{rng.choice('0123ABCD')}"
        if self.buildings and rng.random() < 0.12:  # another flat in a known building
            return {**rng.choice(self.buildings), "unit": unit}
        t = rng.choices(range(len(TOWNS)), cum_weights=self.town_cw)[0]
        town, state, zip3, area = TOWNS[t]
        street, typ = rng.choice(self.streets[t])
        a = {
            "number": str(
                rng.choice((rng.randint(1, 99), rng.randint(100, 999), rng.randint(1000, 9899)))
            ),
            "dir": rng.choice("NSEW") if rng.random() < 0.1 else "",
            "street": street,
            "type": typ,
            "unit": None,
            "city": town,
            "state": state,
            "zip": f"{zip3}{rng.randint(1, 40):02d}",
            "plus4": f"{rng.randrange(10000):04d}",
            "area": area,
        }
        if rng.random() < 0.15:
            a["unit"] = unit
            self.buildings.append(a)
        return a

    def phone(self, area: str) -> tuple[str, str, str]:
        if self.rng.random() < 0.3:  # a number kept from elsewhere
            area = self.rng.choice(TOWNS)[3]
        return area, str(self.rng.randint(201, 989)), f"{self.rng.randrange(10000):04d}"

    def email(self, given: str, surname: str, dob: dt.date) -> str:
        rng, g, s = self.rng, _slug(given), _slug(surname)
        local = rng.choice(EMAIL_FMT).format(
            g=g, s=s, i=g[0], j=s[0], y=dob.year, n=rng.randint(1, 99)
        )
        e = f"{local}@{rng.choice(MAIL)}"
        while e in self.emails:
            e = f"{local}{rng.randint(1, 999)}@{rng.choice(MAIL)}"
        self.emails.add(e)
        return e


def _household(w: _World, hid: int, size: int) -> list[dict]:
    rng = w.rng
    culture = rng.choices(list(CULTURES), [v[0] for v in CULTURES.values()])[0]
    addr, used, members = w.address(), set(), []
    landline = w.phone(addr["area"]) if rng.random() < 0.45 else None

    def add(gender: str, dob: dt.date, surname: str, given: str | None = None) -> dict:
        c = culture if rng.random() < 0.75 else rng.choice(("en", "en", culture, "es", "it"))
        kind = 1 if gender == "F" else 2
        while given is None:
            given = w.name(c, kind)
            given = None if given in used else given
        used.add(given)
        middle = w.name(rng.choice((c, "en")), kind)
        age = _age(dob)
        p = {
            "hid": hid,
            "gender": gender,
            "dob": dob,
            "given": given,
            "middle": middle if rng.random() < 0.65 and middle != given else None,
            "surname": _feminine(surname, culture) if gender == "F" else surname,
            "maiden": None,
            "addr": addr,
            "old": None,
            "landline": landline,
            "mobile": w.phone(addr["area"])
            if rng.random() < (0.9 if age > 18 else 0.5 * (age > 12))
            else None,
        }
        p["email"] = w.email(given, p["surname"], dob) if age > 14 and rng.random() < 0.85 else None
        members.append(p)
        return p

    sur, kind = w.name(culture, 3), rng.random()
    if size == 1:
        add(rng.choice("FM"), _date(rng, 1935, 2005), sur)
    elif size == 2 and kind < 0.12:  # siblings or flatmates
        y = rng.randint(1970, 2003)
        add(rng.choice("FM"), _date(rng, y, y + 2), sur)
        add(rng.choice("FM"), _date(rng, y - 3, y + 3), rng.choice((sur, w.name(culture, 3))))
    else:
        single = kind < (0.3 if size == 2 else 0.15)
        y = rng.randint(1938, 1998 if size == 2 else 1990)
        first = mother = add("F" if single and rng.random() < 0.8 else "M", _date(rng, y, y), sur)
        if not single:
            other = "F" if first["gender"] == "M" else "M"
            r, own = rng.random(), w.name(culture, 3)
            mother = add(other if r > 0.04 else first["gender"], _date(rng, y - 2, y + 7), own)
            if mother["gender"] == "F" and r < 0.77:  # took the partner's name on marriage
                mother["maiden"] = mother["surname"]
                mother["surname"] = _feminine(first["surname"], culture)
                if r > 0.7:
                    mother["surname"] = f"{mother['maiden']}-{_feminine(sur, culture)}"
        n_kids = size - len(members)
        year = min(mother["dob"].year + rng.randint(20, 34), 2023 - 2 * n_kids)
        prev = None
        for i in range(n_kids):
            if i == 0 and size >= 4 and rng.random() < 0.1:  # a grandparent moved in
                add(rng.choice("FM"), _date(rng, max(1928, y - 34), max(1930, y - 22)), sur)
                continue
            gender = rng.choice("FM")
            junior = gender == "M" == first["gender"] and rng.random() < 0.06
            dob = prev if prev and rng.random() < 0.06 else _date(rng, year, year)  # twins
            kid = add(gender, dob, sur, first["given"] if junior else None)
            prev, year = dob, min(2023, year + rng.randint(1, 4))
            if _age(dob) > 19 and rng.random() < (0.35 if _age(dob) < 25 else 0.7):
                kid["old"], kid["addr"] = addr, w.address()  # adult child moved out
    if rng.random() < 0.1 and size >= 2:  # the couple shares one e-mail address
        local = f"{rng.choice(('the', ''))}{_slug(sur)}{rng.choice(('family', 's', 'home'))}"
        for p in members[:2]:
            p["email"] = f"{local}@gmail.com"
    if rng.random() < 0.1:  # the whole household moved; some register has the old address
        new = w.address()
        for p in members:
            if p["addr"] is addr:
                p["old"], p["addr"] = addr, new
    for p in members:
        if p["old"] is None and rng.random() < 0.04:
            p["old"] = w.address()
        p["stale"] = rng.choice(list(SOURCES))  # the register that still has the old address
    return members


def _coverage(dob: dt.date) -> dict[str, float]:
    age = _age(dob)
    if age < 16:
        return {"tax": 0.02, "health": 0.9, "benefits": 0.35, "registry": 0.15}
    if age < 18:
        return {"tax": 0.3, "health": 0.85, "benefits": 0.3, "registry": 0.5}
    if age < 67:
        return {"tax": 0.85, "health": 0.75, "electoral": 0.65, "benefits": 0.25, "registry": 0.65}
    return {"tax": 0.55, "health": 0.85, "electoral": 0.75, "benefits": 0.6, "registry": 0.45}


def _dob(rng: random.Random, d: dt.date) -> dt.date:
    r = rng.random()
    try:
        if r < 0.015 and d.day <= 12 and d.day != d.month:
            return d.replace(month=d.day, day=d.month)
        if r < 0.03:
            return d.replace(year=d.year + rng.choice((-1, 1)))
        if r < 0.038:
            return d.replace(day=d.day + rng.choice((-1, 1)))
    except ValueError:
        pass
    return d


def _names(rng: random.Random, p: dict, src: str, k: float) -> tuple[str, str]:
    given, surname, r = p["given"], p["surname"], rng.random()
    if r < 0.08 * k and given in NICK:
        given = rng.choice(NICK[given])
    elif r < 0.1 * k:
        given = given[0] if rng.random() < 0.5 else given[:3]
    elif r < 0.11 * k and p["middle"]:
        given = p["middle"]  # goes by the middle name
    if p["maiden"] and rng.random() < 0.2:
        surname = p["maiden"]
    elif "-" in surname and p["maiden"] and rng.random() < 0.3:
        surname = surname.split("-")[-1]
    if rng.random() < 0.25 and any(c in surname for c in " '-"):
        pairs = ((" ", ""), ("'", ""), ("'", "\u2019"), ("-", " "), ("'", " "), ("-", ""))
        surname = rng.choice([*(surname.replace(a, b) for a, b in pairs), surname.title()])
    given = _typo(rng, given) if rng.random() < 0.035 * k else given
    surname = _typo(rng, surname) if rng.random() < 0.03 * k else surname
    if src in ("tax", "registry"):
        given, surname = _ascii(given, rng), _ascii(surname, rng)
    return given, surname.upper() if src == "registry" else surname


def _record(rng: random.Random, p: dict, src: str, dup: bool) -> dict:
    fmt, miss, phone_style, unit_style, abbr, _ = SOURCES[src]
    k = 2.0 if dup else 1.0  # within-source duplicates are typed more carelessly
    given, surname = _names(rng, p, src, k)
    old = p["old"] and (p["stale"] == src or (dup and rng.random() < 0.4))
    a = p["old"] if old else p["addr"]
    street = a["street"] if a["type"] is None else f"{a['street']} {a['type'][rng.random() < abbr]}"
    if a["dir"]:
        d = {"N": "North", "S": "South", "E": "East", "W": "West"}[a["dir"]]
        street = f"{a['dir'] if rng.random() < abbr else d} {street}"
    street = _typo(rng, street) if rng.random() < 0.03 * k else street
    number = a["number"]
    if rng.random() < 0.01 * k and len(number) > 1:
        i = rng.randrange(len(number) - 1)
        number = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
    postcode = a["zip"]
    if src == "health" and rng.random() < 0.25:
        postcode = f"{postcode}-{a['plus4']}"
    elif src == "tax" and rng.random() < 0.3:
        postcode = postcode.lstrip("0")  # went through a spreadsheet
    unit = None
    if a["unit"]:
        style = unit_style if rng.random() < 0.7 else rng.randrange(len(UNIT_FMT))
        unit = UNIT_FMT[style].format(u=a["unit"])
    phone = (
        p["mobile"] if p["mobile"] and (not p["landline"] or rng.random() < 0.65) else p["landline"]
    )
    if phone:
        style = phone_style if rng.random() < 0.6 else rng.randrange(len(PHONE_FMT))
        phone = PHONE_FMT[style].format(a=phone[0], e=phone[1], l=phone[2])
        if rng.random() < 0.02:
            phone = phone[-8:]  # local number without the area code
        if rng.random() < 0.03:
            phone += rng.choice((" ext. ", " x", " ext ", " #")) + str(rng.randint(1, 999))
    email = p["email"]
    if email and rng.random() < 0.15 * k:
        local, dom = email.split("@")
        email = rng.choice(
            (email.upper(), f"{local.title()}@{dom}", f"{local}@{dom.title()}", f" {email}")
        )
    elif email and rng.random() < 0.01 * k:
        email = _typo(rng, email)
    gender = p["gender"] if rng.random() > 0.005 else rng.choice("FMU")
    if src == "benefits":
        gender = {"F": "female", "M": "male"}.get(gender, "unknown")
    middle = p["middle"] and (_ascii(p["middle"]) if src == "tax" else p["middle"])
    city = _typo(rng, a["city"]) if rng.random() < 0.015 * k else a["city"]
    values = [given, middle and middle[0], middle, surname, _dob(rng, p["dob"]).strftime(fmt)]
    values += [gender, number, street, unit, city, postcode, a["state"], phone, email]
    out = dict(zip(FIELDS, values, strict=True))
    if src == "electoral":
        out = {c: v.upper() if v and c != "date_of_birth" else v for c, v in out.items()}
    for c, m in MISS.items():
        if rng.random() < min(0.3, miss * m * (1.3 if dup else 1.0)):
            out[c] = None
    return out


def generate(
    n_people: int = 5000, seed: int = 0, *, include_household: bool = False
) -> dict[str, pl.DataFrame]:
    """Return ``{source: records}`` for ``n_people`` simulated people (see the module doc)."""
    rng = random.Random(seed)
    w, people, hid = _World(rng), [], 0
    while len(people) < n_people:
        size = rng.choices((1, 2, 3, 4, 5, 6), (0.28, 0.30, 0.17, 0.15, 0.07, 0.03))[0]
        people.extend(_household(w, hid, min(size, n_people - len(people))))
        hid += 1
    rows: dict[str, list[dict]] = {s: [] for s in SOURCES}
    for p, pid in zip(people, rng.sample(range(n_people), n_people), strict=True):
        chosen = [s for s, q in _coverage(p["dob"]).items() if rng.random() < q] or ["health"]
        for s in chosen:
            for dup in (False, True) if rng.random() < 0.05 else (False,):
                rec = _record(rng, p, s, dup)
                rec["entity_id"], rec["household_id"] = f"P{pid:06d}", f"H{p['hid']:05d}"
                rows[s].append(rec)
    out = {}
    for s, recs in rows.items():
        rng.shuffle(recs)
        cols = ["record_id", "entity_id", *(f for f in FIELDS if f not in SOURCES[s][-1].split())]
        cols += ["household_id"] if include_household else []
        for i, rec in enumerate(recs):
            rec["record_id"] = f"{s}-{i:06d}"
        data = {c: [r[c] for r in recs] for c in cols}
        out[s] = pl.DataFrame(data, schema=dict.fromkeys(cols, pl.String))
    return out


if __name__ == "__main__":
    import time

    t0 = time.perf_counter()
    srcs = generate(include_household=True)
    print(f"generated in {time.perf_counter() - t0:.2f}s")
    pl.Config(tbl_cols=16, tbl_width_chars=250, fmt_str_lengths=26, tbl_rows=30)
    for s, df in srcs.items():
        print(f"{s:10s} {df.height:6d} records: {', '.join(df.columns[2:-1])}")
    ids = pl.concat([df.select("entity_id", "household_id") for df in srcs.values()])
    n = ids.group_by("entity_id").len()["len"]
    within = sum(
        int((g * (g - 1) // 2).sum())
        for g in (df["entity_id"].value_counts()["count"] for df in srcs.values())
    )
    hh = ids.unique("entity_id")["household_id"].value_counts()
    print(f"records {ids.height}, entities {n.len()}, in 2+ records {int((n > 1).sum())}")
    print(f"true pairs {int((n * (n - 1) // 2).sum())}, of them within one source {within}")
    print(f"households {hh.height}, with 2-6 people {hh.filter(pl.col('count') > 1).height}")
    h = hh.filter(pl.col("count") >= 4).sort("household_id")["household_id"][0]
    e = ids["entity_id"].value_counts().filter(pl.col("count") >= 5).sort("entity_id")[0, 0]
    for title, col, key in (("household", "household_id", h), ("entity", "entity_id", e)):
        recs = [
            df.filter(pl.col(col) == key)
            .drop("household_id")
            .with_columns(pl.lit(s).alias("source"))
            for s, df in srcs.items()
        ]
        print(f"\n{title} {key}:")
        print(pl.concat(recs, how="diagonal").sort("entity_id").select("source", *FIELDS))
