//! Company names: legal form set apart, connectors and punctuation dropped; SIREN/SIRET checks.

use serde::Serialize;

use super::text::fold_text_into;

/// A company name split for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompanyParts {
    /// Folded name without legal form, connectors (`&`, `et`, `and`, `und`) or `Ste`/`Ets`.
    pub name: String,
    /// Canonical legal form (`sarl`, `sas`, `gmbh`, `ltd`, …) when one was found.
    pub legal_form: Option<String>,
}

/// Legal forms as folded word sequences, with their canonical code. Longer sequences first so
/// that `gmbh co kg` wins over `kg`.
const LEGAL_FORMS: &[(&[&str], &str)] = &[
    (&["societe", "a", "responsabilite", "limitee"], "sarl"),
    (
        &["societe", "par", "actions", "simplifiee", "unipersonnelle"],
        "sasu",
    ),
    (&["societe", "par", "actions", "simplifiee"], "sas"),
    (&["societe", "anonyme"], "sa"),
    (&["societe", "civile", "immobiliere"], "sci"),
    (&["societe", "en", "nom", "collectif"], "snc"),
    (
        &[
            "entreprise",
            "unipersonnelle",
            "a",
            "responsabilite",
            "limitee",
        ],
        "eurl",
    ),
    (&["public", "limited", "company"], "plc"),
    // Spelled out in German, Dutch, Italian, Spanish, Portuguese, Polish and Nordic languages.
    (&["gesellschaft", "mit", "beschrankter", "haftung"], "gmbh"),
    (&["aktiengesellschaft"], "ag"),
    (&["kommanditgesellschaft"], "kg"),
    (&["offene", "handelsgesellschaft"], "ohg"),
    (&["besloten", "vennootschap"], "bv"),
    (&["naamloze", "vennootschap"], "nv"),
    (&["societa", "a", "responsabilita", "limitata"], "srl"),
    (&["societa", "per", "azioni"], "spa"),
    (&["sociedad", "de", "responsabilidad", "limitada"], "srl"),
    (&["sociedad", "limitada"], "sl"),
    (&["sociedad", "anonima"], "sa"),
    (&["sociedade", "anonima"], "sa"),
    (
        &["spolka", "z", "ograniczona", "odpowiedzialnoscia"],
        "sp z oo",
    ),
    (&["spolka", "akcyjna"], "sa"),
    (&["aktiebolag"], "ab"),
    (&["aktiebolaget"], "ab"),
    (&["aktieselskab"], "as"),
    (&["aksjeselskap"], "as"),
    (&["osakeyhtio"], "oy"),
    (&["pty", "ltd"], "ltd"),
    (&["pvt", "ltd"], "ltd"),
    (&["pte", "ltd"], "ltd"),
    (&["gmbh", "co", "kg"], "gmbh & co kg"),
    (&["limited", "liability", "company"], "llc"),
    (&["co", "ltd"], "ltd"),
    (&["sarl"], "sarl"),
    (&["sas"], "sas"),
    (&["sasu"], "sasu"),
    (&["sa"], "sa"),
    (&["eurl"], "eurl"),
    (&["sci"], "sci"),
    (&["snc"], "snc"),
    (&["scop"], "scop"),
    (&["sca"], "sca"),
    (&["scs"], "scs"),
    (&["gie"], "gie"),
    (&["selarl"], "selarl"),
    (&["selas"], "selas"),
    (&["scm"], "scm"),
    (&["scp"], "scp"),
    (&["eirl"], "eirl"),
    (&["ei"], "ei"),
    (&["sprl"], "sprl"),
    (&["srl"], "srl"),
    (&["bvba"], "bvba"),
    (&["gmbh"], "gmbh"),
    (&["ag"], "ag"),
    (&["kg"], "kg"),
    (&["ohg"], "ohg"),
    (&["ug"], "ug"),
    (&["ev"], "ev"),
    (&["ltd"], "ltd"),
    (&["limited"], "ltd"),
    (&["llc"], "llc"),
    (&["llp"], "llp"),
    (&["plc"], "plc"),
    (&["inc"], "inc"),
    (&["incorporated"], "inc"),
    (&["corp"], "corp"),
    (&["corporation"], "corp"),
    (&["bv"], "bv"),
    (&["nv"], "nv"),
    (&["spa"], "spa"),
    (&["sl"], "sl"),
    (&["slu"], "slu"),
    (&["sapa"], "sapa"),
    (&["snc"], "snc"),
    (&["sagl"], "sagl"),
    (&["ab"], "ab"),
    (&["as"], "as"),
    (&["oy"], "oy"),
    (&["se"], "se"),
    (&["sp", "z", "oo"], "sp z oo"),
    // `Sp. z o.o.`, its one-letter words joined.
    (&["sp", "zoo"], "sp z oo"),
    (&["gesmbh"], "gmbh"),
    (&["aps"], "aps"),
    (&["asa"], "asa"),
    (&["oyj"], "oy"),
    (&["sro"], "sro"),
    (&["kft"], "kft"),
    (&["ltda"], "ltda"),
    (&["lda"], "lda"),
    (&["spzoo"], "sp z oo"),
];

/// Words dropped wherever they stand: connectors.
const CONNECTORS: &[&str] = &["et", "and", "und"];

/// Words dropped at the start: "company"/"establishments" markers that are not legal forms.
const PREFIXES: &[&str] = &["ste", "societe", "ets", "etablissements", "the"];

/// Split a company name into its folded name and legal form; `None` when nothing is left.
///
/// `SARL Dupont & Fils`, `Dupont et Fils S.A.R.L.` and `DUPONT AND FILS` all give the name
/// `dupont fils`; dotted abbreviations (`S.A.R.L.`, `S.p.A.`) are read as one word.
#[must_use]
pub fn company_parts(value: &str) -> Option<CompanyParts> {
    let mut folded = String::with_capacity(value.len());
    fold_text_into(value, &mut folded);
    let mut words: Vec<String> = folded
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    if words.is_empty() {
        return None;
    }
    // Dropping connectors can make single letters adjacent and joining letters can spell a
    // connector, so repeat both until nothing changes.
    loop {
        let before = words.len();
        words.retain(|w| !CONNECTORS.contains(&w.as_str()));
        join_letter_runs(&mut words);
        if words.len() == before {
            break;
        }
    }
    let mut legal_form = None;
    let mut start = 0;
    let mut end = words.len();
    loop {
        let slice = &words[start..end];
        if let Some((len, form)) = legal_form_at(slice, false).filter(|&(len, _)| len < slice.len())
        {
            end -= len;
            legal_form.get_or_insert(form);
        } else if let Some((len, form)) =
            legal_form_at(slice, true).filter(|&(len, _)| len < slice.len())
        {
            start += len;
            legal_form.get_or_insert(form);
        } else if slice.len() > 1 && PREFIXES.contains(&slice[0].as_str()) {
            start += 1;
        } else {
            break;
        }
    }
    let name = words[start..end].join(" ");
    if name.is_empty() {
        return None;
    }
    Some(CompanyParts {
        name,
        legal_form: legal_form.map(str::to_owned),
    })
}

/// The legal forms by their last word (and by their first), longest first as listed.
type FormIndex = rustc_hash::FxHashMap<&'static str, Vec<(&'static [&'static str], &'static str)>>;

fn form_index(at_start: bool) -> &'static FormIndex {
    static INDEXES: std::sync::OnceLock<[FormIndex; 2]> = std::sync::OnceLock::new();
    let build = |at_start: bool| {
        let mut index = FormIndex::default();
        for &(form, code) in LEGAL_FORMS {
            let word = if at_start {
                form[0]
            } else {
                form[form.len() - 1]
            };
            index.entry(word).or_default().push((form, code));
        }
        index
    };
    &INDEXES.get_or_init(|| [build(false), build(true)])[usize::from(at_start)]
}

/// The legal form at the end (or the start) of `words`: its length in words and its code.
fn legal_form_at(words: &[String], at_start: bool) -> Option<(usize, &'static str)> {
    let edge = if at_start {
        words.first()
    } else {
        words.last()
    }?;
    form_index(at_start)
        .get(edge.as_str())?
        .iter()
        .find_map(|&(form, code)| {
            if form.len() > words.len() {
                return None;
            }
            let window = if at_start {
                &words[..form.len()]
            } else {
                &words[words.len() - form.len()..]
            };
            window
                .iter()
                .zip(form)
                .all(|(w, f)| w == f)
                .then_some((form.len(), code))
        })
}

/// Join runs of two or more one-letter words (`s a r l` → `sarl`).
fn join_letter_runs(words: &mut Vec<String>) {
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut run = 0;
    for word in words.drain(..) {
        if word.len() == 1 {
            if run > 0 {
                if let Some(last) = out.last_mut() {
                    last.push_str(&word);
                }
            } else {
                out.push(word);
            }
            run += 1;
        } else {
            run = 0;
            out.push(word);
        }
    }
    *words = out;
}

/// Normalised company name (see [`company_parts`]).
#[must_use]
pub fn normalize_company(value: &str) -> Option<String> {
    company_parts(value).map(|p| p.name)
}

/// Whether `value` is a valid French SIREN (9 digits) or SIRET (14 digits): Luhn checksum, or
/// for La Poste's establishments (SIREN 356 000 000) a digit sum divisible by 5. Spaces, dots
/// and dashes between digits are ignored.
#[must_use]
pub fn siren_siret_valid(value: &str) -> bool {
    let mut digits = [0u8; 14];
    let mut len = 0;
    for c in value.chars() {
        match c {
            '0'..='9' => {
                if len == 14 {
                    return false;
                }
                digits[len] = c as u8 - b'0';
                len += 1;
            }
            ' ' | '.' | '-' | '\u{a0}' => {}
            _ => return false,
        }
    }
    let digits = &digits[..len];
    match len {
        9 => luhn(digits),
        14 => {
            luhn(digits)
                || (digits.starts_with(&[3, 5, 6, 0, 0, 0, 0, 0, 0])
                    && digits
                        .iter()
                        .map(|&d| u32::from(d))
                        .sum::<u32>()
                        .is_multiple_of(5))
        }
        _ => false,
    }
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(value: &str) -> Option<(String, Option<String>)> {
        company_parts(value).map(|p| (p.name, p.legal_form))
    }

    #[test]
    fn messy_companies() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("SARL Dupont & Fils", "dupont fils", Some("sarl")),
            ("Dupont et Fils SARL", "dupont fils", Some("sarl")),
            ("DUPONT AND FILS S.A.R.L.", "dupont fils", Some("sarl")),
            ("Dupont S.A.", "dupont", Some("sa")),
            ("Société Dupont", "dupont", None),
            ("Ste Dupont SAS", "dupont", Some("sas")),
            ("Ets. Martin", "martin", None),
            ("Dupont SASU", "dupont", Some("sasu")),
            ("EURL Boulangerie Paul", "boulangerie paul", Some("eurl")),
            ("SCI Les Tilleuls", "les tilleuls", Some("sci")),
            ("Müller GmbH", "muller", Some("gmbh")),
            ("Müller GmbH & Co. KG", "muller", Some("gmbh & co kg")),
            ("Siemens AG", "siemens", Some("ag")),
            ("Acme Ltd.", "acme", Some("ltd")),
            ("Acme Limited", "acme", Some("ltd")),
            ("ACME, Inc.", "acme", Some("inc")),
            ("Acme LLC", "acme", Some("llc")),
            ("Philips B.V.", "philips", Some("bv")),
            ("Fiat S.p.A.", "fiat", Some("spa")),
            ("Zara S.L.", "zara", Some("sl")),
            ("Marks & Spencer plc", "marks spencer", Some("plc")),
            ("L'Oréal SA", "l oreal", Some("sa")),
            ("Société Anonyme des Eaux", "des eaux", Some("sa")),
            (
                "Schmidt Energie Aktiengesellschaft",
                "schmidt energie",
                Some("ag"),
            ),
            (
                "Müller Gesellschaft mit beschränkter Haftung",
                "muller",
                Some("gmbh"),
            ),
            ("Rossi Società per Azioni", "rossi", Some("spa")),
            ("Garcia Sociedad Limitada", "garcia", Some("sl")),
            ("Kowalski Sp. z o.o.", "kowalski", Some("sp z oo")),
            ("Volvo Aktiebolag", "volvo", Some("ab")),
            ("Dupont", "dupont", None),
            ("SA", "sa", None),
            ("A.B.C. Conseil", "abc conseil", None),
            ("  ", "", None),
        ];
        for &(raw, name, form) in cases {
            let want = if name.is_empty() {
                None
            } else {
                Some((name.to_owned(), form.map(str::to_owned)))
            };
            assert_eq!(parts(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn siren_and_siret() {
        assert!(siren_siret_valid("732 829 320"));
        assert!(siren_siret_valid("732829320"));
        assert!(siren_siret_valid("552 100 554"));
        assert!(siren_siret_valid("73282932000074"));
        assert!(siren_siret_valid("356 000 000 00048"));
        assert!(!siren_siret_valid("732829321"));
        assert!(!siren_siret_valid("73282932"));
        assert!(!siren_siret_valid("7328293200007"));
        assert!(!siren_siret_valid("ABC"));
        assert!(!siren_siret_valid(""));
        assert!(!siren_siret_valid("732829320000740"));
    }
}
