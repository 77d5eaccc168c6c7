//! Postal addresses and postcodes: street types spelled out, house number set apart.

use serde::Serialize;

use super::text::fold_text_into;

/// A street address split for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressParts {
    /// House number with its suffix (`12`, `12 bis`, `12-14`, `7 b`), when there is one.
    pub house_number: Option<String>,
    /// Folded street with its type spelled out (`avenue de la republique`).
    pub street: String,
}

/// Abbreviations and words mapped to one canonical form (folded), in French, English, Spanish,
/// Italian and German. A form shared by two words stays short, and both words map to it: `st`
/// for `saint` and `street`, `ste` for `sainte` and `suite`, `dr` for `docteur` and `drive`. So
/// `Rue St-Paul` and `Rue Saint-Paul` agree, as do `Market St, Ste 4` and `Market Street, Suite
/// 4`, and no English address reads as a French saint.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("all", "allee"),
    ("av", "avenue"),
    ("ave", "avenue"),
    ("avda", "avenue"),
    ("avenida", "avenue"),
    ("avn", "avenue"),
    ("bd", "boulevard"),
    ("bld", "boulevard"),
    ("blvd", "boulevard"),
    ("boul", "boulevard"),
    ("bvd", "boulevard"),
    ("car", "carrefour"),
    ("carref", "carrefour"),
    ("cdt", "commandant"),
    ("ch", "chemin"),
    ("chem", "chemin"),
    ("che", "chemin"),
    ("chs", "chaussee"),
    ("crs", "cours"),
    ("docteur", "dr"),
    ("drive", "dr"),
    ("esp", "esplanade"),
    ("fbg", "faubourg"),
    ("fg", "faubourg"),
    ("gal", "general"),
    ("gen", "general"),
    ("gde", "grande"),
    ("ham", "hameau"),
    ("hwy", "highway"),
    ("imp", "impasse"),
    ("ln", "lane"),
    ("lot", "lotissement"),
    ("mal", "marechal"),
    ("mte", "montee"),
    ("pass", "passage"),
    ("pdt", "president"),
    ("pkwy", "parkway"),
    ("pl", "place"),
    ("prom", "promenade"),
    ("pte", "porte"),
    ("qu", "quai"),
    ("r", "rue"),
    ("res", "residence"),
    ("rpt", "rond point"),
    ("rd", "road"),
    ("rte", "route"),
    ("sq", "square"),
    ("saint", "st"),
    ("sainte", "ste"),
    ("street", "st"),
    ("suite", "ste"),
    ("str", "strasse"),
    ("tra", "traverse"),
    ("v", "via"),
    ("vla", "villa"),
    ("zac", "zone d amenagement concerte"),
    ("za", "zone artisanale"),
    ("zi", "zone industrielle"),
];

/// Words that start a street name or a non-street line: a trailing number is then part of it
/// (`rue du 8 mai 1945`, `BP 123`), not a house number.
const STREET_TYPES: &[&str] = &[
    "allee",
    "avenue",
    "boulevard",
    "chemin",
    "chaussee",
    "cours",
    "esplanade",
    "faubourg",
    "hameau",
    "impasse",
    "lotissement",
    "montee",
    "passage",
    "place",
    "promenade",
    "quai",
    "rue",
    "residence",
    "route",
    "square",
    "traverse",
    "villa",
    "voie",
    "sentier",
    "zone",
    "rond",
    "lieu",
    "parvis",
    "cite",
    "domaine",
    "via",
    "calle",
    "viale",
    "piazza",
    "corso",
    "bp",
    "cs",
    "tsa",
    "batiment",
    "bat",
    "appartement",
    "apt",
    "etage",
];

fn expand(word: &str) -> &str {
    static TABLE: std::sync::OnceLock<rustc_hash::FxHashMap<&'static str, &'static str>> =
        std::sync::OnceLock::new();
    TABLE
        .get_or_init(|| ABBREVIATIONS.iter().copied().collect())
        .get(word)
        .copied()
        .unwrap_or(word)
}

fn is_number(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit())
}

/// Canonical house-number suffix: `b`/`bis` → `bis`, `t`/`ter` → `ter`, `q`/`quater` → `quater`,
/// other single letters kept.
fn suffix(word: &str) -> Option<&str> {
    match word {
        "bis" | "b" => Some("bis"),
        "ter" | "t" => Some("ter"),
        "quater" | "q" => Some("quater"),
        "a" | "c" | "d" | "e" | "f" | "g" | "h" => Some(word),
        _ => None,
    }
}

/// Split a number word with a glued suffix (`12bis`, `7b`) into number and suffix.
fn split_glued(word: &str) -> Option<(&str, &str)> {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits == word.len() {
        return None;
    }
    let (number, rest) = word.split_at(digits);
    suffix(rest).map(|s| (number, s))
}

/// Split a street address into house number and street; `None` when nothing is left.
///
/// The house number is read at the start (`12 bis av. de la République`, `12-14 rue …`) or, for
/// German-style addresses, at the end (`Hauptstr. 5`) unless the street starts with a street
/// type (`rue du 8 mai 1945`). Abbreviated street types and titles are spelled out.
#[must_use]
pub fn address_parts(value: &str) -> Option<AddressParts> {
    parse(value).map(|(parts, _)| parts)
}

/// The parts, and whether the house number was read at the end.
fn parse(value: &str) -> Option<(AddressParts, bool)> {
    let mut folded = String::with_capacity(value.len() + 8);
    fold_text_into(value, &mut folded);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return None;
    }
    let mut house = String::new();
    let mut trailing = false;
    let mut rest: &[&str] = &words;
    if let Some((number, sfx)) = split_glued(words[0]) {
        house = format!("{number} {sfx}");
        rest = &words[1..];
    } else if is_number(words[0]) {
        house.push_str(words[0]);
        rest = &words[1..];
        if rest.len() > 1 && is_number(rest[0]) {
            house.push('-');
            house.push_str(rest[0]);
            rest = &rest[1..];
        }
        if rest.len() > 1
            && let Some(sfx) = suffix(rest[0])
        {
            house.push(' ');
            house.push_str(sfx);
            rest = &rest[1..];
        }
    } else if words.len() > 1 && !STREET_TYPES.contains(&expand(words[0])) {
        let last = words[words.len() - 1];
        if is_number(last) || split_glued(last).is_some() {
            house = match split_glued(last) {
                Some((number, sfx)) => format!("{number} {sfx}"),
                None => last.to_owned(),
            };
            rest = &words[..words.len() - 1];
            trailing = true;
        }
    }
    let mut street = String::with_capacity(folded.len() + 16);
    for word in rest {
        if !street.is_empty() {
            street.push(' ');
        }
        street.push_str(expand(word));
        if word.len() > 3 && word.ends_with("str") && *word != "str" {
            street.push_str("asse");
        }
    }
    if street.is_empty() && house.is_empty() {
        return None;
    }
    let parts = AddressParts {
        house_number: (!house.is_empty()).then_some(house),
        street,
    };
    Some((parts, trailing))
}

/// Normalised address (see [`address_parts`]): `house_number street`, or `street number` with
/// its suffix glued on (`hauptstrasse 5a`) when the number came last, so that normalising again
/// reads it the same way.
#[must_use]
pub fn normalize_address(value: &str) -> Option<String> {
    let (parts, trailing) = parse(value)?;
    Some(match parts.house_number {
        Some(house) if parts.street.is_empty() => house,
        Some(house) if trailing => format!("{} {}", parts.street, house.replace(' ', "")),
        Some(house) => format!("{house} {}", parts.street),
        None => parts.street,
    })
}

/// Clean a postcode for `country` (ISO 3166-1 alpha-2, any case); `None` when it is empty.
///
/// French, Spanish, Italian and German codes are 5 digits (a leading zero lost by a spreadsheet
/// is put back, `F-`/`CEDEX` noise dropped); Belgian, Swiss, Austrian, Luxembourgish and Danish
/// ones 4 digits; Dutch ones `1234 AB`; British ones `SW1A 1AA`. A value that does not fit
/// its country, or another country, is upper-cased letters and digits.
#[must_use]
pub fn normalize_postcode(value: &str, country: &str) -> Option<String> {
    let generic: String = value
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if generic.is_empty() {
        return None;
    }
    let width = match country.to_ascii_uppercase().as_str() {
        "FR" | "DE" | "ES" | "IT" | "MC" => Some(5),
        "BE" | "CH" | "AT" | "LU" | "DK" | "NO" | "LI" => Some(4),
        "NL" => return Some(dutch(&generic).unwrap_or(generic)),
        "GB" | "UK" => return Some(british(&generic).unwrap_or(generic)),
        _ => None,
    };
    let Some(width) = width else {
        return Some(generic);
    };
    // Drop a country prefix (`F-75001`, `L-1234`, `CH-8000`) and a trailing `CEDEX 08`.
    let mut core = generic.trim_start_matches(|c: char| c.is_ascii_uppercase());
    if let Some(cedex) = core.find("CEDEX") {
        core = &core[..cedex];
    }
    if core.is_empty() || !core.bytes().all(|b| b.is_ascii_digit()) {
        return Some(generic);
    }
    if core.len() == width {
        Some(core.to_owned())
    } else if core.len() + 1 == width {
        Some(format!("0{core}"))
    } else {
        Some(generic)
    }
}

fn dutch(code: &str) -> Option<String> {
    let b = code.as_bytes();
    (b.len() == 6
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_uppercase))
    .then(|| format!("{} {}", &code[..4], &code[4..]))
}

fn british(code: &str) -> Option<String> {
    let b = code.as_bytes();
    let n = b.len();
    let fits = (5..=7).contains(&n)
        && b[0].is_ascii_uppercase()
        && b[n - 3].is_ascii_digit()
        && b[n - 2..].iter().all(u8::is_ascii_uppercase);
    fits.then(|| format!("{} {}", &code[..n - 3], &code[n - 3..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(value: &str) -> Option<(Option<String>, String)> {
        address_parts(value).map(|p| (p.house_number, p.street))
    }

    #[test]
    fn messy_addresses() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            (
                "12 av. de la République",
                Some("12"),
                "avenue de la republique",
            ),
            (
                "12 avenue de la Republique",
                Some("12"),
                "avenue de la republique",
            ),
            (
                "12, AV DE LA REPUBLIQUE",
                Some("12"),
                "avenue de la republique",
            ),
            ("12 bis rue Victor Hugo", Some("12 bis"), "rue victor hugo"),
            ("12bis, r. Victor-Hugo", Some("12 bis"), "rue victor hugo"),
            ("12 B rue Victor Hugo", Some("12 bis"), "rue victor hugo"),
            ("3 ter bd Haussmann", Some("3 ter"), "boulevard haussmann"),
            ("3T Bd Haussmann", Some("3 ter"), "boulevard haussmann"),
            ("12-14 rue de la Paix", Some("12-14"), "rue de la paix"),
            ("5 chem. des Vignes", Some("5"), "chemin des vignes"),
            ("5 all. des Tilleuls", Some("5"), "allee des tilleuls"),
            ("7 imp. du Moulin", Some("7"), "impasse du moulin"),
            ("1 pl. de la Gare", Some("1"), "place de la gare"),
            ("45 fg St-Antoine", Some("45"), "faubourg st antoine"),
            (
                "45 Rue du Fbg Saint Honoré",
                Some("45"),
                "rue du faubourg st honore",
            ),
            ("10 rte de Lyon", Some("10"), "route de lyon"),
            (
                "2 av. du Gal de Gaulle",
                Some("2"),
                "avenue du general de gaulle",
            ),
            ("rue du 8 Mai 1945", None, "rue du 8 mai 1945"),
            ("Hauptstr. 5", Some("5"), "hauptstrasse"),
            ("Hauptstraße 5a", Some("5 a"), "hauptstrasse"),
            ("Lieu-dit Les Granges", None, "lieu dit les granges"),
            (
                "5841 Market St, Ste 4010",
                Some("5841"),
                "market st ste 4010",
            ),
            (
                "5841 Market Street, Suite 4010",
                Some("5841"),
                "market st ste 4010",
            ),
            ("12 Lakeshore Dr.", Some("12"), "lakeshore dr"),
            ("12 Lakeshore Drive", Some("12"), "lakeshore dr"),
            ("3 rue du Dr Roux", Some("3"), "rue du dr roux"),
            ("3 rue du Docteur Roux", Some("3"), "rue du dr roux"),
            ("V. Dante, 209", None, "via dante 209"),
            ("Avda. Diagonal 7", None, "avenue diagonal 7"),
            ("  ", None, ""),
        ];
        for &(raw, house, street) in cases {
            let want = if street.is_empty() && house.is_none() {
                None
            } else {
                Some((house.map(str::to_owned), street.to_owned()))
            };
            assert_eq!(parts(raw), want, "{raw:?}");
        }
        assert_eq!(
            normalize_address("Hauptstr. 5a").as_deref(),
            Some("hauptstrasse 5a")
        );
        assert_eq!(
            normalize_address("12bis r. Victor-Hugo").as_deref(),
            Some("12 bis rue victor hugo")
        );
    }

    #[test]
    fn postcodes_per_country() {
        let cases = [
            ("75001", "FR", "75001"),
            ("75 001", "FR", "75001"),
            ("1000", "FR", "01000"),
            ("F-75001", "FR", "75001"),
            ("FR-75001", "fr", "75001"),
            ("75008 CEDEX 08", "FR", "75008"),
            ("1000", "BE", "1000"),
            ("B-1000", "BE", "1000"),
            ("CH-8001", "CH", "8001"),
            ("L-1234", "LU", "1234"),
            ("1067", "DE", "01067"),
            ("D-10115", "DE", "10115"),
            ("8001", "ES", "08001"),
            ("00184", "IT", "00184"),
            ("1234ab", "NL", "1234 AB"),
            ("1234 AB", "NL", "1234 AB"),
            ("sw1a1aa", "GB", "SW1A 1AA"),
            ("EC1A 1BB", "GB", "EC1A 1BB"),
            ("SW1A 1AA", "FR", "SW1A1AA"),
            ("12", "FR", "12"),
            ("k1a 0b1", "CA", "K1A0B1"),
        ];
        for (raw, country, want) in cases {
            assert_eq!(
                normalize_postcode(raw, country).as_deref(),
                Some(want),
                "{raw} {country}"
            );
        }
        assert_eq!(normalize_postcode(" - ", "FR"), None);
    }
}
