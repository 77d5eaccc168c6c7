//! Phonetic keys for blocking and comparing person names.
//!
//! * [`phonetic_fr`]: a French key, for names written the French way (`Lefebvre`, `Thibault`).
//! * [`double_metaphone`]: Lawrence Philips' Double Metaphone, for English and other non-French
//!   names (`Schmidt`, `Smith`), from the `rphonetic` crate (Apache-2.0 port of commons-codec).
//!
//! Use both keys as blocking rules: two spellings of one name usually share one of them.

use rphonetic::DoubleMetaphone;

use super::text::fold_text_into;

/// French phonetic key of a name (any number of words), `""` when it has no letters.
///
/// This is crmdedup's own French key, written from the rules that Soundex FR (Brouard's
/// Soundex2), Phonex and Sonnex describe, and keeping vowel sounds as Sonnex does:
///
/// * graphemes become one symbol per sound: vowels in lower case (`a e i o u`=ou `y`=u, with
///   `é è ê ai ei eu œ` all `e`, `au eau o` all `o`), nasal vowels as digits (`1` an/en, `2`
///   in/ain/ein/un/ien, `3` on), consonants in upper case (`X` for ch/sh, `J` for j and soft g,
///   `Q` for gn, `Y` for the glide of `ill`/`y`, `W` for the `w` of `oi`);
/// * silent letters go: `h`, a final mute `e`, plural `s`/`x`, final `t`/`d` after a vowel or
///   `n`/`r` (`Durand` = `Durant`), `ault` → `au`, `b` in `bv` (`Lefebvre` = `Lefèvre`);
/// * `ph` → `F`, `th` → `T`, `qu`/`ck`/hard `c` → `K`, soft `c`/`ç`/`ss` → `S`, `s` between vowels
///   → `Z`, `w` → `V`, doubled sounds counted once.
///
/// Words are encoded separately and concatenated, so `de la Fontaine` and `Delafontaine` agree.
#[must_use]
pub fn phonetic_fr(value: &str) -> String {
    let mut folded = String::with_capacity(value.len());
    if value.contains(['ç', 'Ç']) {
        // ç is a soft c whatever follows; folding would turn it into a hard one.
        let softened: String = value
            .chars()
            .map(|c| if matches!(c, 'ç' | 'Ç') { 's' } else { c })
            .collect();
        fold_text_into(&softened, &mut folded);
    } else {
        fold_text_into(value, &mut folded);
    }
    let mut out = Vec::with_capacity(folded.len());
    for word in folded.split(' ') {
        let letters: Vec<u8> = word.bytes().filter(u8::is_ascii_lowercase).collect();
        encode_word(&letters, &mut out);
    }
    out.dedup();
    // Only ASCII symbols are ever pushed.
    String::from_utf8(out).unwrap_or_default()
}

/// Double Metaphone keys `(primary, alternate)` of a name, each at most 4 letters, after accent
/// folding. Suited to English, German, Slavic and other non-French spellings.
#[must_use]
pub fn double_metaphone(value: &str) -> (String, String) {
    let mut folded = String::with_capacity(value.len());
    fold_text_into(value, &mut folded);
    folded.retain(|c| c.is_ascii_alphabetic());
    if folded.is_empty() {
        return (String::new(), String::new());
    }
    let result = DoubleMetaphone::default().double_metaphone(&folded);
    (result.primary(), result.alternate())
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

/// Where the encoding stops: trailing letters that French does not pronounce are cut off.
/// The letters after the cut stay visible to look-ahead (`Martine` keeps its `n` oral).
fn pronounced_end(w: &[u8]) -> usize {
    let mut end = w.len();
    let last = |end: usize| w[end - 1];
    let plural = end > 3
        && match last(end) {
            b's' => w[end - 2] != b's',
            b'x' => w[end - 2] == b'u',
            _ => false,
        };
    if plural {
        end -= 1;
    }
    if end > 2 && last(end) == b'e' {
        while end > 2 && last(end) == b'e' {
            end -= 1;
        }
        return end;
    }
    if end <= 2 {
        return end;
    }
    let prev = w[end - 2];
    match last(end) {
        b't' | b'd'
            if is_vowel(prev)
                || matches!(prev, b'n' | b'r')
                || (last(end) == b't' && prev == b'l') =>
        {
            end -= 1;
            if w[..end].ends_with(b"aul") {
                end -= 1;
            }
        }
        b'z' if prev == b'e' => end -= 1,
        b'p' if prev == b'm' => end -= 1,
        b'c' if prev == b'n' => end -= 1,
        b'r' if prev == b'e' && end > 4 => end -= 1,
        _ => {}
    }
    end
}

/// Encode one word of lower-case ASCII letters, appending symbols to `out`.
#[allow(clippy::too_many_lines)] // one match over the letter rules, read top to bottom like the algorithm
fn encode_word(w: &[u8], out: &mut Vec<u8>) {
    let end = pronounced_end(w);
    let at = |j: usize| w.get(j).copied().unwrap_or(0);
    let starts = |i: usize, pat: &[u8]| w[i..].starts_with(pat);
    // An `n`/`m` at `k` closes a nasal vowel unless a vowel or another n/m follows it.
    let nasal = |k: usize| {
        matches!(at(k), b'n' | b'm') && {
            let next = at(k + 1);
            !is_vowel(next) && next != b'n' && next != b'm'
        }
    };
    let mut i = 0;
    while i < end {
        let c = w[i];
        let prev = if i > 0 { w[i - 1] } else { 0 };
        let (sym, adv): (&[u8], usize) = match c {
            b'a' => {
                if starts(i, b"aill") {
                    (b"aY", 4)
                } else if (starts(i, b"ain") || starts(i, b"aim")) && nasal(i + 2) {
                    (b"2", 3)
                } else if starts(i, b"ai") || starts(i, b"ay") {
                    (b"e", 2)
                } else if starts(i, b"au") {
                    (b"o", 2)
                } else if nasal(i + 1) {
                    (b"1", 2)
                } else {
                    (b"a", 1)
                }
            }
            b'e' => encode_e(w, i, prev, &nasal),
            b'i' | b'y' => {
                if c == b'y' && (i == 0 || is_vowel(prev)) && is_vowel(at(i + 1)) {
                    (b"Y", 1)
                } else if nasal(i + 1) {
                    (b"2", 2)
                } else {
                    (b"i", 1)
                }
            }
            b'o' => {
                if starts(i, b"oin") && nasal(i + 2) {
                    (b"W2", 3)
                } else if starts(i, b"oi") || starts(i, b"oy") {
                    (b"Wa", 2)
                } else if starts(i, b"ouill") {
                    (b"uY", 5)
                } else if starts(i, b"ou") || starts(i, b"oo") {
                    (b"u", 2)
                } else if starts(i, b"oeu") {
                    (b"e", 3)
                } else if nasal(i + 1) {
                    (b"3", 2)
                } else {
                    (b"o", 1)
                }
            }
            b'u' => {
                if nasal(i + 1) {
                    (b"2", 2)
                } else {
                    (b"y", 1)
                }
            }
            b'b' => (if at(i + 1) == b'v' { b"" } else { b"B" }, 1),
            b'c' => encode_c(w, i, prev),
            b'g' => {
                if at(i + 1) == b'n' {
                    (b"Q", 2)
                } else if at(i + 1) == b'u' && matches!(at(i + 2), b'e' | b'i' | b'y') {
                    (b"G", 2)
                } else if matches!(at(i + 1), b'e' | b'i' | b'y') {
                    (b"J", 1)
                } else {
                    (b"G", 1)
                }
            }
            b'p' => {
                if at(i + 1) == b'h' {
                    (b"F", 2)
                } else {
                    (b"P", 1)
                }
            }
            b'q' => {
                if at(i + 1) == b'u' {
                    (b"K", 2)
                } else {
                    (b"K", 1)
                }
            }
            b's' => {
                if starts(i, b"sch") {
                    (b"X", 3)
                } else if at(i + 1) == b'h' {
                    (b"X", 2)
                } else if at(i + 1) == b's'
                    || (at(i + 1) == b'c' && matches!(at(i + 2), b'e' | b'i' | b'y'))
                {
                    (b"S", 2)
                } else if is_vowel(prev) && is_vowel(at(i + 1)) {
                    (b"Z", 1)
                } else {
                    (b"S", 1)
                }
            }
            b't' => {
                if at(i + 1) == b'h' {
                    (b"T", 2)
                } else {
                    (b"T", 1)
                }
            }
            b'd' => (b"D", 1),
            b'f' => (b"F", 1),
            b'j' => (b"J", 1),
            b'k' => (b"K", 1),
            b'l' => (b"L", 1),
            b'm' => (b"M", 1),
            b'n' => (b"N", 1),
            b'r' => (b"R", 1),
            b'v' | b'w' => (b"V", 1),
            b'x' => (b"KS", 1),
            b'z' => (b"Z", 1),
            _ => (b"", 1),
        };
        out.extend_from_slice(sym);
        i += adv;
    }
}

fn encode_e(w: &[u8], i: usize, prev: u8, nasal: &dyn Fn(usize) -> bool) -> (&'static [u8], usize) {
    let at = |j: usize| w.get(j).copied().unwrap_or(0);
    let starts = |pat: &[u8]| w[i..].starts_with(pat);
    if matches!(prev, b'j' | b'g') && matches!(at(i + 1), b'a' | b'o' | b'u') {
        // `Jean`, `Georges`: the e only softens the consonant.
        (b"", 1)
    } else if starts(b"eau") {
        (b"o", 3)
    } else if starts(b"euill") {
        (b"eY", 5)
    } else if starts(b"eill") {
        (b"eY", 4)
    } else if (starts(b"ein") || starts(b"eim")) && nasal(i + 2) {
        (b"2", 3)
    } else if starts(b"ei") || starts(b"ey") || starts(b"eu") {
        (b"e", 2)
    } else if nasal(i + 1) {
        (
            if matches!(prev, b'i' | b'y') {
                b"2"
            } else {
                b"1"
            },
            2,
        )
    } else {
        (b"e", 1)
    }
}

fn encode_c(w: &[u8], i: usize, prev: u8) -> (&'static [u8], usize) {
    let at = |j: usize| w.get(j).copied().unwrap_or(0);
    let soft = |c: u8| matches!(c, b'e' | b'i' | b'y');
    match at(i + 1) {
        b'h' if matches!(at(i + 2), b'r' | b'l') => (b"K", 2),
        b'h' => (b"X", 2),
        b'c' if soft(at(i + 2)) => (b"KS", 2),
        b'k' | b'c' => (b"K", 2),
        // `Francois` typed without its cedilla.
        b'o' if prev == b'n' && at(i + 2) == b'i' => (b"S", 1),
        next if soft(next) => (b"S", 1),
        _ => (b"K", 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_homophones_share_a_key() {
        let groups: &[&[&str]] = &[
            &["Lefebvre", "Lefèvre", "Lefeuvre", "LEFEVRE", "Lefebvre "],
            &["Thibault", "Thibaut", "Tibo", "Thibaud", "THIBAULT"],
            &["Philippe", "Filipe", "Philipe", "Phillippe"],
            &["François", "Francois", "Françoi"],
            &["Durand", "Durant", "Duran"],
            &["Dupont", "Dupond", "Du Pont"],
            &["Renaud", "Renault", "Renaut"],
            &["Thomas", "Tomas"],
            &["Leroy", "Leroi"],
            &["Moreau", "Morot", "Moreaux"],
            &["Gauthier", "Gautier", "Gauthiez"],
            &["Jacques", "Jacque", "Jaques"],
            &["Mathieu", "Matthieu", "Matieu"],
            &["Rousseau", "Roussot"],
            &["Vincent", "Vinssent"],
            &["Catherine", "Katherine", "Kathérine"],
            &["Christophe", "Cristophe", "Kristof"],
            &["De La Fontaine", "Delafontaine", "de la fontaine"],
            &["Faure", "Fore"],
            &["Bernard", "Bernart"],
            &["Stéphane", "Stefane"],
        ];
        for group in groups {
            let key = phonetic_fr(group[0]);
            for name in &group[1..] {
                assert_eq!(phonetic_fr(name), key, "{} vs {name}", group[0]);
            }
        }
    }

    #[test]
    #[allow(clippy::too_many_lines)] // a table of test vectors
    fn different_names_get_different_keys() {
        let names = [
            "Martin",
            "Martine",
            "Bernard",
            "Dubois",
            "Thomas",
            "Robert",
            "Richard",
            "Petit",
            "Durand",
            "Leroy",
            "Moreau",
            "Simon",
            "Laurent",
            "Laurence",
            "Lefebvre",
            "Michel",
            "Garcia",
            "David",
            "Bertrand",
            "Roux",
            "Vincent",
            "Fournier",
            "Morel",
            "Girard",
            "Gérard",
            "Andre",
            "Mercier",
            "Dupont",
            "Lambert",
            "Bonnet",
            "Francois",
            "Françoise",
            "Martinez",
            "Legrand",
            "Garnier",
            "Faure",
            "Rousseau",
            "Blanc",
            "Guerin",
            "Muller",
            "Henry",
            "Roussel",
            "Nicolas",
            "Perrin",
            "Morin",
            "Mathieu",
            "Clement",
            "Gauthier",
            "Dumont",
            "Lopez",
            "Fontaine",
            "Chevalier",
            "Robin",
            "Masson",
            "Sanchez",
            "Denis",
            "Lemaire",
            "Julien",
            "Julienne",
            "Jean",
            "Jeanne",
            "Marie",
            "Pierre",
            "Paul",
            "Louis",
            "Luc",
            "Anne",
            "Philippe",
            "Thibault",
            "Caroline",
            "Charles",
            "Georges",
            "Guillaume",
            "Olivier",
            "Xavier",
            "Sophie",
            "Isabelle",
            "Nathalie",
            "Christine",
            "Christian",
            "Agnès",
            "Benoît",
            "Camille",
            "Sébastien",
            "Emmanuel",
            "Hélène",
            "Valérie",
            "Schmidt",
            "Smith",
        ];
        let mut seen = std::collections::HashMap::new();
        for name in names {
            let key = phonetic_fr(name);
            assert!(!key.is_empty(), "{name}");
            if let Some(other) = seen.insert(key.clone(), name) {
                panic!("{other} and {name} share the key {key}");
            }
        }
    }

    #[test]
    fn keys_of_messy_input() {
        assert_eq!(phonetic_fr(""), "");
        assert_eq!(phonetic_fr("  -- 42 "), "");
        assert_eq!(phonetic_fr("Jean-Pierre"), phonetic_fr("jean pierre"));
        assert_eq!(phonetic_fr("Thibault"), "TiBo");
        assert_eq!(phonetic_fr("Lefebvre"), "LeFeVR");
        assert_eq!(phonetic_fr("Philippe"), "FiLiP");
        // A key is made of its own alphabet only, so keying a key is stable.
        for name in [
            "Lefebvre",
            "Guillaume",
            "Christophe",
            "Jean-Pierre",
            "Œillet",
        ] {
            let key = phonetic_fr(name);
            assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()), "{key}");
        }
    }

    #[test]
    fn double_metaphone_for_non_french_names() {
        assert_eq!(double_metaphone("Schmidt"), double_metaphone("Schmitt"));
        assert_eq!(double_metaphone("Smith").0, double_metaphone("Smyth").0);
        assert_eq!(double_metaphone("Müller"), double_metaphone("Muller"));
        assert_ne!(double_metaphone("Smith").0, double_metaphone("Jones").0);
        assert_eq!(double_metaphone("  "), (String::new(), String::new()));
        let (primary, alternate) = double_metaphone("Schmidt");
        assert_eq!((primary.as_str(), alternate.as_str()), ("XMT", "SMT"));
    }
}
