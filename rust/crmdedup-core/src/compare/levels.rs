//! Grading two values of one comparison into its level: exact, the fuzzy levels of its method
//! (strictest threshold met first), else.

use super::similarity::{
    compared_part, damerau_distance, digits_apart, initial_apart, jaccard_similarity,
    jaro_winkler_similarity, levenshtein_distance, lines_apart, same_mailbox_name, same_subscriber,
    typo_jaccard_similarity,
};
use super::{Comparison, NULL_LEVEL};
use crate::column::NULL;
use crate::settings::Method;

impl Comparison<'_> {
    /// Level of two value codes of the column (`NULL` for a missing value).
    #[must_use]
    pub fn level_of_codes(&self, ca: u32, cb: u32) -> i8 {
        if ca == NULL || cb == NULL {
            return NULL_LEVEL;
        }
        let top = self.n_levels - 1;
        if ca == cb {
            return top as i8;
        }
        let (a, b) = (ca as usize, cb as usize);
        match self.spec.method {
            Method::Name => self.name_level(a, b, top),
            Method::Date => self.date_level(a, b),
            Method::Exact => 0,
            Method::JaroWinkler | Method::TokenJaccard => {
                let s = if self.spec.method == Method::JaroWinkler {
                    jaro_winkler_similarity(self.value(a), self.value(b))
                } else {
                    let exact = jaccard_similarity(self.tokens_of(a), self.tokens_of(b));
                    // Read typos in long words (company names, job titles) only where exact
                    // words fall short of the strictest level: the similarity with typos is
                    // never below the exact one.
                    // Not in addresses: two streets a letter apart are often two streets,
                    // and the suite's addresses lost more than they gained.
                    let words_may_have_typos =
                        self.spec.normalizer != crate::normalize::Normalizer::Address;
                    if words_may_have_typos
                        && self.spec.thresholds.first().is_some_and(|&t| exact < t)
                    {
                        let part = |code: usize| compared_part(&self.column.values[code]);
                        typo_jaccard_similarity(part(a), part(b))
                    } else {
                        exact
                    }
                };
                threshold_level(self.spec.thresholds.iter().position(|&x| s >= x), top)
            }
            Method::Levenshtein | Method::DamerauLevenshtein => self.distance_level(a, b, top),
        }
    }

    /// Names: same canonical given name, then Jaro-Winkler thresholds, then the same phonetic
    /// key, then one a truncation or initial of the other.
    fn name_level(&self, a: usize, b: usize, top: usize) -> i8 {
        if self.canonical[a] == self.canonical[b] {
            return (top - 1) as i8;
        }
        let (va, vb) = (self.value(a), self.value(b));
        let s = jaro_winkler_similarity(va, vb);
        if let Some(i) = self.spec.thresholds.iter().position(|&x| s >= x) {
            return (top - 2 - i) as i8;
        }
        if !va.is_empty() && self.phonetic[a] == self.phonetic[b] {
            return 2;
        }
        // A truncated or initialised name (`ca` for `caroline`, `s` for `scott`).
        let (short, long) = if va.len() <= vb.len() {
            (va, vb)
        } else {
            (vb, va)
        };
        i8::from(!short.is_empty() && long.starts_with(short))
    }

    /// Dates: how the two ISO dates agree (see [`crate::normalize::date_agreement`]).
    fn date_level(&self, a: usize, b: usize) -> i8 {
        let parse = |code| crate::normalize::Ymd::from_iso(self.value(code));
        match (parse(a), parse(b)) {
            (Some(left), Some(right)) => crate::normalize::date_agreement(left, right) as i8,
            _ => 0,
        }
    }

    /// Edit distances at or below each threshold.
    fn distance_level(&self, a: usize, b: usize, top: usize) -> i8 {
        let t = &self.spec.thresholds;
        let max = t.last().map_or(0, |x| *x as usize);
        let (va, vb) = (self.value(a), self.value(b));
        if self.spec.normalizer == crate::normalize::Normalizer::Email
            && (initial_apart(va, vb) || digits_apart(va, vb))
        {
            // `raubry@` and `naubry@`: an initial and a surname, two people; `catherine@` and
            // `catherine2@`: a namesake's mailbox.
            return 0;
        }
        if self.spec.normalizer == crate::normalize::Normalizer::Phone {
            if lines_apart(va, vb) {
                // `+494050916743` and `+494050916735`: two direct lines of one switchboard.
                return 0;
            }
            if same_subscriber(va, vb) {
                // One number under two country codes: the same number.
                return top as i8;
            }
        }
        let d = if self.spec.method == Method::Levenshtein {
            levenshtein_distance(va, vb, max)
        } else {
            damerau_distance(va, vb, max)
        };
        let level = threshold_level(d.and_then(|d| t.iter().position(|&x| d as f64 <= x)), top);
        if level == 0
            && !t.is_empty()
            && self.spec.normalizer == crate::normalize::Normalizer::Email
            && same_mailbox_name(va, vb)
        {
            // One person's mailbox name at a new employer or provider (`jan.novak@` at two
            // domains): at least the loosest fuzzy level, whose weight each set of blocking
            // rules learns among its own non-matches (namesakes share such names too).
            return 1;
        }
        level
    }
}

/// Level of the strictest threshold met (`index` among the thresholds), else 0.
fn threshold_level(index: Option<usize>, top: usize) -> i8 {
    index.map_or(0, |i| (top - 1 - i) as i8)
}
