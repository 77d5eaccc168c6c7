//! String metrics of the fuzzy levels: similarities in [0, 1] (1 means identical) and
//! distances in characters, over at most [`MAX_COMPARED_CHARS`] characters of a value.

use rapidfuzz::distance::{jaro_winkler, levenshtein, osa};

/// Fuzzy levels compare at most this many characters of a value (exact agreement still
/// compares whole values): a pasted 1 MB "name" must not cost seconds per pair.
pub const MAX_COMPARED_CHARS: usize = 200;

/// The first [`MAX_COMPARED_CHARS`] characters of `value`.
pub(crate) fn compared_part(value: &str) -> &str {
    match value.char_indices().nth(MAX_COMPARED_CHARS) {
        Some((cut, _)) => &value[..cut],
        None => value,
    }
}

/// Jaro-Winkler similarity in [0, 1]; 1 means identical.
#[must_use]
pub fn jaro_winkler_similarity(a: &str, b: &str) -> f64 {
    if a.is_ascii() && b.is_ascii() {
        jaro_winkler::similarity(a.bytes(), b.bytes())
    } else {
        jaro_winkler::similarity(a.chars(), b.chars())
    }
}

/// Levenshtein distance in characters, or `None` when it exceeds `cutoff`.
#[must_use]
pub fn levenshtein_distance(a: &str, b: &str, cutoff: usize) -> Option<usize> {
    let args = levenshtein::Args::default().score_cutoff(cutoff);
    if a.is_ascii() && b.is_ascii() {
        levenshtein::distance_with_args(a.bytes(), b.bytes(), &args)
    } else {
        levenshtein::distance_with_args(a.chars(), b.chars(), &args)
    }
}

/// Optimal-string-alignment (Damerau) distance, or `None` when it exceeds `cutoff`.
#[must_use]
pub fn damerau_distance(a: &str, b: &str, cutoff: usize) -> Option<usize> {
    let args = osa::Args::default().score_cutoff(cutoff);
    if a.is_ascii() && b.is_ascii() {
        osa::distance_with_args(a.bytes(), b.bytes(), &args)
    } else {
        osa::distance_with_args(a.chars(), b.chars(), &args)
    }
}

/// Jaccard similarity of two sorted, deduplicated sets.
#[must_use]
pub fn jaccard_similarity(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f64 / (a.len() + b.len() - common) as f64
}

/// Shortest word a typo may be read in (`lumensoft` and `lumnesoft`): shorter words (house
/// numbers, initials, `sa`, `via`) must agree exactly.
const TYPO_WORD_CHARS: usize = 5;

/// Jaccard similarity of the words of `a` and `b` (split on whitespace), where a word of one
/// may match one word of the other at one edit or swap of two neighbours when both have at
/// least [`TYPO_WORD_CHARS`] characters; each word matches at most once. The words are paired
/// greedily from each side in turn and the better count is kept, so the similarity is the same
/// whichever value comes first.
#[must_use]
pub fn typo_jaccard_similarity(a: &str, b: &str) -> f64 {
    let (wa, wb) = (sorted_words(a), sorted_words(b));
    let (forward, near) = one_way_typo_jaccard(&wa, &wb);
    if near == 0 {
        // Without a typo read one way there is none the other way: the same words are left
        // over on each side, and one edit apart is symmetric.
        return forward;
    }
    forward.max(one_way_typo_jaccard(&wb, &wa).0)
}

fn sorted_words(s: &str) -> Vec<&str> {
    let mut w: Vec<&str> = s.split_whitespace().collect();
    w.sort_unstable();
    w.dedup();
    w
}

/// The similarity pairing `wa`'s words greedily, and how many pairs are a typo apart.
fn one_way_typo_jaccard(wa: &[&str], wb: &[&str]) -> (f64, usize) {
    if wa.is_empty() && wb.is_empty() {
        return (1.0, 0);
    }
    // Exact words first, so that a typo never takes the word another one spells exactly.
    let mut used = vec![false; wb.len()];
    let mut unmatched = Vec::new();
    for x in wa {
        match wb.binary_search(x) {
            Ok(j) => used[j] = true,
            Err(_) => unmatched.push(*x),
        }
    }
    let exact = wa.len() - unmatched.len();
    let mut near = 0;
    let long = |w: &str| w.chars().count() >= TYPO_WORD_CHARS;
    for x in unmatched.into_iter().filter(|x| long(x)) {
        let found = wb
            .iter()
            .enumerate()
            .position(|(j, y)| !used[j] && long(y) && damerau_distance(x, y, 1).is_some());
        if let Some(j) = found {
            used[j] = true;
            near += 1;
        }
    }
    let common = exact + near;
    (common as f64 / (wa.len() + wb.len() - common) as f64, near)
}

pub(crate) fn token_set(value: &str) -> Vec<u64> {
    use std::hash::Hasher;
    let mut out: Vec<u64> = value
        .split_whitespace()
        .map(|w| {
            let mut h = rustc_hash::FxHasher::default();
            h.write(w.as_bytes());
            h.finish()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether two addresses differ only in the first character of their local parts.
pub(crate) fn initial_apart(a: &str, b: &str) -> bool {
    let mut ca = a.chars();
    let mut cb = b.chars();
    match (ca.next(), cb.next()) {
        (Some(x), Some(y)) => x != y && x.is_alphabetic() && y.is_alphabetic() && ca.eq(cb),
        _ => false,
    }
}

/// Whether two addresses differ only in the digits of their local parts (`catherine@` and
/// `catherine2@`, `williams2@` and `williams3@`): the numbers a mail system appends to tell
/// namesakes apart, two mailboxes.
pub(crate) fn digits_apart(a: &str, b: &str) -> bool {
    let (Some((la, da)), Some((lb, db))) = (a.rsplit_once('@'), b.rsplit_once('@')) else {
        return false;
    };
    let letters = |s: &str| {
        s.chars()
            .filter(|c: &char| !c.is_ascii_digit())
            .collect::<String>()
    };
    a != b
        && da == db
        && !letters(la).is_empty()
        && letters(la) == letters(lb)
        && (la.bytes().any(|c| c.is_ascii_digit()) || lb.bytes().any(|c| c.is_ascii_digit()))
}

/// How many of the last digits of a number are the line within an organisation's block of
/// numbers (a direct-dial extension).
const LINE_DIGITS: usize = 3;

/// Whether two numbers of the same length differ only in their last [`LINE_DIGITS`]
/// characters, in at least two of them, and not by swapping two neighbours (`…6743` and
/// `…6735`): two lines of one switchboard's block, i.e. colleagues, where one mistyped digit
/// or two swapped ones is a typo of one number.
pub(crate) fn lines_apart(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len()
        || a.len() <= LINE_DIGITS
        || a[..a.len() - LINE_DIGITS] != b[..b.len() - LINE_DIGITS]
    {
        return false;
    }
    let differ: Vec<usize> = (a.len() - LINE_DIGITS..a.len())
        .filter(|&i| a[i] != b[i])
        .collect();
    let swapped = differ.len() == 2
        && differ[1] == differ[0] + 1
        && a[differ[0]] == b[differ[1]]
        && a[differ[1]] == b[differ[0]];
    differ.len() >= 2 && !swapped
}

/// Digits of a national number below which two numbers are not told to be one subscriber's.
const SUBSCRIBER_DIGITS: u64 = 10_000_000;

/// Whether two different numbers (E.164) are one subscriber's national number under two
/// country codes: a number written nationally in a record of another country (`3354484418`
/// read as `+443354484418` beside `+393354484418`), or with its trunk zero kept
/// (`+340620310144` beside `+33620310144`). Same-country numbers that differ in an area code
/// are not (`+16135551234`, `+14135551234`), nor national numbers under eight digits.
pub(crate) fn same_subscriber(a: &str, b: &str) -> bool {
    let tail = |s: &str| {
        s.bytes()
            .rev()
            .filter(u8::is_ascii_digit)
            .take(8)
            .collect::<Vec<_>>()
    };
    if a == b || tail(a).len() < 8 || tail(a) != tail(b) {
        return false;
    }
    match (phonenumber::parse(None, a), phonenumber::parse(None, b)) {
        (Ok(x), Ok(y)) => {
            x.code().value() != y.code().value()
                && x.national().value() == y.national().value()
                && x.national().value() >= SUBSCRIBER_DIGITS
        }
        _ => false,
    }
}

/// Words that make a mailbox a role rather than a person (`service.client@`, `no-reply@`,
/// `ne-pas-repondre@`, `sales_team@`), in English, French, German, Spanish and Italian.
const ROLE_MAILBOX_WORDS: &[&str] = &[
    "accounting",
    "accounts",
    "accueil",
    "admin",
    "administration",
    "billing",
    "bonjour",
    "booking",
    "careers",
    "client",
    "clients",
    "comercial",
    "commande",
    "commandes",
    "commercial",
    "compta",
    "comptabilite",
    "contact",
    "contacto",
    "contatti",
    "customer",
    "direction",
    "do",
    "donotreply",
    "equipe",
    "facturation",
    "factures",
    "hello",
    "help",
    "helpdesk",
    "hr",
    "info",
    "infos",
    "invoice",
    "invoices",
    "jobs",
    "kontakt",
    "mail",
    "marketing",
    "ne",
    "news",
    "newsletter",
    "no",
    "noreply",
    "not",
    "office",
    "orders",
    "pas",
    "postmaster",
    "presse",
    "press",
    "rh",
    "recrutement",
    "repondre",
    "reply",
    "reservation",
    "sales",
    "secretariat",
    "service",
    "services",
    "support",
    "team",
    "vente",
    "ventes",
    "webmaster",
];

/// The mailbox name of a valid address, without a `+tag` (`jan.novak+news@free.fr` →
/// `jan.novak`), when it names a person: at least five characters, none of its words (`.`,
/// `_` or `-` apart) a role word, and several words.
///
/// Separators are kept: equating `jannovak@gmail.com` (Gmail ignores dots) with `jan.novak@`
/// elsewhere was measured to cost French 10k and b2b F1 about 0.002 (more namesakes at the
/// level, so a lower weight for it).
fn personal_mailbox_name(address: &str) -> Option<(&str, &str)> {
    let (local, domain) = address.rsplit_once('@')?;
    let local = local.split_once('+').map_or(local, |(name, _)| name);
    let valid_domain = domain.len() >= 3
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.');
    let mut words = local.split(['.', '_', '-']).filter(|w| !w.is_empty());
    let several = words.clone().nth(1).is_some();
    if !valid_domain || !several || words.any(|w| ROLE_MAILBOX_WORDS.contains(&w)) {
        return None;
    }
    (local.chars().count() >= 5).then_some((local, domain))
}

/// Whether two addresses share a personal mailbox name at two domains (`jan.novak@` at an old
/// and a new employer, or at two providers, with or without a `+tag`): see
/// [`personal_mailbox_name`]. Role mailboxes such as `info@`, `service.client@` or `no-reply@`
/// never qualify, nor does an address without a valid domain.
pub(crate) fn same_mailbox_name(a: &str, b: &str) -> bool {
    match (personal_mailbox_name(a), personal_mailbox_name(b)) {
        (Some((na, da)), Some((nb, db))) => na == nb && da != db,
        _ => false,
    }
}
