//! Countries: ISO 3166-1 alpha-2 and alpha-3 codes and names in several languages, read as the
//! alpha-2 code (`Germany`, `Deutschland`, `DEU` and `de` are `DE`).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::text::fold_text;

/// Per alpha-2 code, its alpha-3 code and names, folded and without spaces: English, the
/// country's own languages, French, and the other European languages where they differ much.
const COUNTRIES: &[(&str, &[&str])] = &[
    ("AT", &["aut", "austria", "osterreich", "autriche"]),
    (
        "BE",
        &["bel", "belgium", "belgique", "belgie", "belgien", "belgio"],
    ),
    ("BG", &["bgr", "bulgaria", "bulgarie"]),
    ("HR", &["hrv", "croatia", "hrvatska", "croatie"]),
    ("CY", &["cyp", "cyprus", "chypre"]),
    (
        "CZ",
        &[
            "cze",
            "czechia",
            "czechrepublic",
            "ceskarepublika",
            "cesko",
            "tchequie",
            "republiquetcheque",
        ],
    ),
    ("DK", &["dnk", "denmark", "danmark", "danemark"]),
    ("EE", &["est", "estonia", "eesti", "estonie"]),
    ("FI", &["fin", "finland", "suomi", "finlande"]),
    (
        "FR",
        &["fra", "france", "frankreich", "francia", "frankrijk"],
    ),
    (
        "DE",
        &[
            "deu",
            "germany",
            "deutschland",
            "allemagne",
            "alemania",
            "germania",
            "niemcy",
            "duitsland",
            "tyskland",
        ],
    ),
    ("GR", &["grc", "greece", "hellas", "ellada", "grece", "el"]),
    ("HU", &["hun", "hungary", "magyarorszag", "hongrie"]),
    ("IE", &["irl", "ireland", "eire", "irlande"]),
    ("IT", &["ita", "italy", "italia", "italie", "italien"]),
    ("LV", &["lva", "latvia", "latvija", "lettonie"]),
    ("LT", &["ltu", "lithuania", "lietuva", "lituanie"]),
    ("LU", &["lux", "luxembourg", "luxemburg"]),
    ("MT", &["mlt", "malta", "malte"]),
    (
        "NL",
        &[
            "nld",
            "netherlands",
            "thenetherlands",
            "nederland",
            "holland",
            "paysbas",
            "niederlande",
            "paesibassi",
            "paisesbajos",
        ],
    ),
    ("PL", &["pol", "poland", "polska", "pologne", "polen"]),
    ("PT", &["prt", "portugal"]),
    ("RO", &["rou", "romania", "roumanie", "rumanien"]),
    ("SK", &["svk", "slovakia", "slovensko", "slovaquie"]),
    ("SI", &["svn", "slovenia", "slovenija", "slovenie"]),
    (
        "ES",
        &["esp", "spain", "espana", "espagne", "spanien", "spagna"],
    ),
    (
        "SE",
        &["swe", "sweden", "sverige", "suede", "schweden", "svezia"],
    ),
    (
        "GB",
        &[
            "gbr",
            "uk",
            "unitedkingdom",
            "greatbritain",
            "britain",
            "england",
            "scotland",
            "wales",
            "northernireland",
            "royaumeuni",
            "grossbritannien",
            "reinounido",
            "regnounito",
        ],
    ),
    (
        "CH",
        &["che", "switzerland", "schweiz", "suisse", "svizzera"],
    ),
    ("NO", &["nor", "norway", "norge", "norvege"]),
    ("IS", &["isl", "iceland", "island", "islande"]),
    ("LI", &["lie", "liechtenstein"]),
    ("MC", &["mco", "monaco"]),
    ("AD", &["andorra", "andorre"]),
    (
        "US",
        &[
            "usa",
            "unitedstates",
            "unitedstatesofamerica",
            "america",
            "etatsunis",
        ],
    ),
    ("CA", &["can", "canada"]),
    ("MX", &["mex", "mexico", "mexique"]),
    ("BR", &["bra", "brazil", "brasil", "bresil"]),
    ("AR", &["arg", "argentina", "argentine"]),
    ("AU", &["aus", "australia", "australie"]),
    ("NZ", &["nzl", "newzealand", "nouvellezelande"]),
    ("JP", &["jpn", "japan", "japon", "nippon"]),
    ("CN", &["chn", "china", "chine"]),
    ("IN", &["ind", "india", "inde"]),
    ("ZA", &["zaf", "southafrica", "afriquedusud"]),
    (
        "RU",
        &["rus", "russia", "russianfederation", "russie", "rossiya"],
    ),
    ("TR", &["tur", "turkey", "turkiye", "turquie"]),
    ("IL", &["isr", "israel"]),
    (
        "AE",
        &["are", "unitedarabemirates", "uae", "emiratsarabesunis"],
    ),
    ("SG", &["sgp", "singapore", "singapour"]),
    ("HK", &["hkg", "hongkong"]),
    (
        "KR",
        &[
            "kor",
            "southkorea",
            "korea",
            "republicofkorea",
            "coreedusud",
        ],
    ),
    ("MA", &["mar", "morocco", "maroc"]),
    ("TN", &["tun", "tunisia", "tunisie"]),
    ("DZ", &["dza", "algeria", "algerie"]),
    ("UA", &["ukr", "ukraine"]),
    ("RS", &["srb", "serbia", "srbija", "serbie"]),
    ("SN", &["sen", "senegal"]),
    ("CI", &["civ", "ivorycoast", "cotedivoire"]),
    ("CM", &["cmr", "cameroon", "cameroun"]),
];

fn table() -> &'static HashMap<&'static str, &'static str> {
    static TABLE: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = HashMap::with_capacity(COUNTRIES.len() * 6);
        for &(code, names) in COUNTRIES {
            for &name in names {
                map.insert(name, code);
            }
        }
        map
    })
}

/// The ISO 3166-1 alpha-2 code of a country as written: a two-letter code in any case (`UK` is
/// `GB`, `EL` is `GR`), an alpha-3 code, or a name in English, the country's own languages or
/// French (`Deutschland`, `Royaume-Uni`, `U.S.A.`). `None` for anything else.
#[must_use]
pub fn country_code(raw: &str) -> Option<String> {
    let key: String = fold_text(raw).chars().filter(|c| *c != ' ').collect();
    if let Some(code) = table().get(key.as_str()) {
        return Some((*code).to_owned());
    }
    (key.len() == 2 && key.bytes().all(|b| b.is_ascii_lowercase()))
        .then(|| key.to_ascii_uppercase())
}

/// A country column's value for comparison: its alpha-2 code (see [`country_code`]), else the
/// folded text, so that two spellings of an unknown country still agree.
#[must_use]
pub fn normalize_country(raw: &str) -> Option<String> {
    country_code(raw).or_else(|| {
        let folded = fold_text(raw);
        (!folded.is_empty()).then_some(folded)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_read_as_the_alpha_2_code() {
        for (raw, want) in [
            ("Germany", "DE"),
            ("Deutschland", "DE"),
            ("DEU", "DE"),
            (" de ", "DE"),
            ("United Kingdom", "GB"),
            ("UK", "GB"),
            ("Royaume-Uni", "GB"),
            ("U.S.A.", "US"),
            ("United States", "US"),
            ("Pays-Bas", "NL"),
            ("The Netherlands", "NL"),
            ("España", "ES"),
            ("Österreich", "AT"),
            ("EL", "GR"),
            ("zz", "ZZ"),
        ] {
            assert_eq!(country_code(raw).as_deref(), Some(want), "{raw:?}");
        }
        assert_eq!(country_code("Narnia"), None);
        assert_eq!(country_code("F1"), None);
        assert_eq!(normalize_country("Narnia").as_deref(), Some("narnia"));
        assert_eq!(normalize_country("  "), None);
    }

    #[test]
    fn every_name_is_folded_without_spaces_and_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for &(code, names) in COUNTRIES {
            assert!(code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()));
            for &name in names {
                assert_eq!(fold_text(name).replace(' ', ""), name);
                assert!(seen.insert(name), "{name} listed twice");
            }
        }
    }
}
