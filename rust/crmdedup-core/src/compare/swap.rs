//! Names written in each other's field (`Barnaby Siggins` against `Siggins Barnaby`): the first
//! two comparisons of method `name` on different columns (given name and surname in inferred
//! settings) are also graded crosswise, and a pair that disagrees on both but agrees crosswise
//! takes the crosswise levels.

use super::Comparison;
use super::similarity::jaro_winkler_similarity;
use crate::column::NULL;
use crate::settings::Method;

/// The two comparisons graded crosswise, if the settings have them.
#[must_use]
pub fn swap_pair(comparisons: &[Comparison<'_>]) -> Option<(usize, usize)> {
    let mut names = comparisons
        .iter()
        .enumerate()
        .filter(|(_, c)| c.spec.method == Method::Name);
    let (f, first) = names.next()?;
    let (l, _) = names.find(|(_, c)| c.spec.column != first.spec.column)?;
    Some((f, l))
}

impl Comparison<'_> {
    /// Level of a value of this comparison's column against `other`'s value of another column:
    /// exact, the Jaro-Winkler thresholds, a prefix, else.
    fn cross_level(&self, code: u32, other: &Comparison<'_>, other_code: u32) -> i8 {
        let (a, b) = (self.value(code as usize), other.value(other_code as usize));
        let top = self.n_levels - 1;
        if a.is_empty() || b.is_empty() {
            return 0;
        }
        if a == b {
            return top as i8;
        }
        let s = jaro_winkler_similarity(a, b);
        if let Some(i) = self.spec.thresholds.iter().position(|&x| s >= x) {
            return (top - 2 - i) as i8;
        }
        let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
        i8::from(long.starts_with(short))
    }
}

/// Replace the `levels` of the `swap` comparisons by their crosswise levels when both
/// disagree (level 0) and both agree crosswise. `left` and `right` give each row's value code
/// per comparison.
pub fn apply_swap(
    comparisons: &[Comparison<'_>],
    swap: Option<(usize, usize)>,
    left: impl Fn(usize) -> u32,
    right: impl Fn(usize) -> u32,
    levels: &mut [i8],
) {
    let Some((given, family)) = swap else { return };
    if levels[given] != 0 || levels[family] != 0 {
        return;
    }
    let (af, al, bf, bl) = (left(given), left(family), right(given), right(family));
    if [af, al, bf, bl].contains(&NULL) {
        return;
    }
    let (cf, cl) = (&comparisons[given], &comparisons[family]);
    let first = cf.cross_level(af, cl, bl);
    let last = cl.cross_level(al, cf, bf);
    if first > 0 && last > 0 {
        levels[given] = first;
        levels[family] = last;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::CodedColumn;
    use crate::normalize::{Normalizer, normalize};
    use crate::settings::ComparisonSpec;
    use arrow_array::StringViewArray;

    fn spec(column: &str, thresholds: Vec<f64>) -> ComparisonSpec {
        ComparisonSpec {
            name: column.to_owned(),
            column: column.to_owned(),
            normalizer: Normalizer::Name,
            method: Method::Name,
            thresholds,
            term_frequency: false,
            shared: false,
            group: String::new(),
        }
    }

    #[test]
    fn swapped_names_take_their_crosswise_levels() {
        let enc = |v: Vec<Option<&str>>| {
            CodedColumn::encode(&StringViewArray::from(v), |s| {
                normalize(Normalizer::Name, s)
            })
        };
        let first = enc(vec![
            Some("Barnaby"),
            Some("Siggins"),
            Some("Jessup"),
            Some("Anna"),
        ]);
        let last = enc(vec![
            Some("Siggins"),
            Some("Barnaby"),
            Some("Cameron"),
            Some("Smith"),
        ]);
        let (sf, sl) = (
            spec("first", vec![0.92, 0.85]),
            spec("last", vec![0.94, 0.85]),
        );
        let comps = [Comparison::new(&sf, &first), Comparison::new(&sl, &last)];
        assert_eq!(swap_pair(&comps), Some((0, 1)));
        let grade = |x: usize, y: usize| {
            let mut g: Vec<i8> = comps.iter().map(|c| c.level(x, y)).collect();
            apply_swap(
                &comps,
                swap_pair(&comps),
                |c| comps[c].column.codes[x],
                |c| comps[c].column.codes[y],
                &mut g,
            );
            g
        };
        let top = |c: usize| (comps[c].n_levels - 1) as i8;
        assert_eq!(grade(0, 1), vec![top(0), top(1)]);
        // Nothing crosswise: the levels stay.
        assert_eq!(grade(0, 3), vec![0, 0]);
        assert_eq!(grade(2, 3), vec![0, 0]);
    }
}
