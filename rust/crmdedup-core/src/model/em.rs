//! Expectation–maximisation of m (and optionally u among the candidates) over the histogram of
//! comparison patterns, one session per blocking rule with the comparisons it blocks on left out.

use rustc_hash::FxHashMap;

use super::groups::{Group, grouped_sum, measure_groups};
use super::prior::{Fixed, RuleFields, candidate_prior, set_priors};
use super::{FLOOR, Model, PSEUDO_PAIRS};
use crate::compare::NULL_LEVEL;
use crate::settings::EmSettings;

/// Weight, in pairs, of the random-pair u when u is re-estimated among the candidates.
const U_PRIOR_PAIRS: f64 = 1000.0;

/// Histogram of comparison patterns: (levels, rules that block the pair) → pairs.
pub type Patterns = FxHashMap<(Vec<i8>, u32), u64>;

/// Sorted for determinism: hash map order never reaches the numbers.
fn sorted(patterns: &Patterns) -> Vec<(&[i8], u32, f64)> {
    let mut v: Vec<(&[i8], u32, f64)> = patterns
        .iter()
        .map(|((g, r), n)| (g.as_slice(), *r, *n as f64))
        .collect();
    v.sort_unstable_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
    v
}

/// Match probability of a pattern; `household = Some((shared, cap))` caps the summed positive
/// log-ratio of the shared comparisons at `cap` (natural log), as scoring does.
pub(crate) fn posterior(
    gamma: &[i8],
    active: &[bool],
    m: &[Vec<f64>],
    u: &[Vec<f64>],
    prior: f64,
    household: Option<(u64, f64)>,
    groups: &[Group],
) -> f64 {
    let mut counted = [0.0f64; crate::settings::MAX_COMPARISONS];
    let mut full = [0.0f64; crate::settings::MAX_COMPARISONS];
    let mut gain = 0.0;
    for (c, &g) in gamma.iter().enumerate() {
        if g != NULL_LEVEL && active[c] {
            let w = m[c][g as usize].max(FLOOR).ln() - u[c][g as usize].max(FLOOR).ln();
            full[c] = w;
            match household {
                Some((shared, _)) if w > 0.0 && c < 64 && shared & (1 << c) != 0 => gain += w,
                _ => counted[c] = w,
            }
        }
    }
    // The cap and the groups as in scoring, but not the guard on personal evidence: it would
    // feed back into EM, pushing duplicates with a mistyped name into the non-match class
    // (and their agreement into u).
    let mut log_odds = prior.ln() - (1.0 - prior).ln()
        + grouped_sum(
            &counted[..gamma.len()],
            &full[..gamma.len()],
            groups,
            std::f64::consts::LN_2,
        );
    if let Some((_, cap)) = household {
        log_odds += gain.min(cap);
    }
    1.0 / (1.0 + (-log_odds).exp())
}

/// One pattern: levels, rules that block its pairs, and how many pairs.
pub(crate) type Row<'a> = (&'a [i8], u32, f64);

/// Where every EM session starts: the default (or given) m, the random-pair u and the prior.
struct Start {
    m: Vec<Vec<f64>>,
    u: Vec<Vec<f64>>,
    prior: f64,
}

/// What one session learnt.
struct SessionFit {
    m: Vec<Vec<f64>>,
    u: Vec<Vec<f64>>,
    iterations: u32,
    converged: bool,
}

/// Each comparison's m and u summed over the sessions that learnt it.
struct Averages {
    m: Vec<Vec<f64>>,
    u: Vec<Vec<f64>>,
    sessions: Vec<u32>,
}

impl Averages {
    fn new(start: &Start) -> Self {
        let zeros = |v: &[Vec<f64>]| v.iter().map(|x| vec![0.0; x.len()]).collect();
        Self {
            m: zeros(&start.m),
            u: zeros(&start.u),
            sessions: vec![0; start.m.len()],
        }
    }

    fn add(&mut self, active: &[bool], fit: &SessionFit) {
        for (c, _) in active.iter().enumerate().filter(|(_, a)| **a) {
            self.sessions[c] += 1;
            for (s, v) in self.m[c].iter_mut().zip(&fit.m[c]) {
                *s += v;
            }
            for (s, v) in self.u[c].iter_mut().zip(&fit.u[c]) {
                *s += v;
            }
        }
    }

    /// Set each learnt comparison's m and u to its average over the sessions.
    fn apply(&self, model: &mut Model) {
        let shared = model.shared;
        for (c, params) in model.comparisons.iter_mut().enumerate() {
            let n = self.sessions[c];
            if n == 0 {
                continue;
            }
            params.m = self.m[c].iter().map(|s| s / f64::from(n)).collect();
            if c < 64 && shared & (1 << c) != 0 {
                floor_change(&mut params.m);
            }
            params.u = self.u[c].iter().map(|s| s / f64::from(n)).collect();
        }
    }
}

/// Fit m (per blocking-rule session) and the prior by EM over `patterns`.
///
/// `blocked[rule][c]` says whether comparison `c` reads a column rule `rule` blocks on;
/// `rules.determines[rule]` has bit `c` set when the rule's key is comparison `c`'s whole
/// value, so that every pair the rule finds agrees exactly on it (see
/// [`determined`](super::determined)); `rules.reads[rule]` when one of its keys reads `c`'s
/// column at all (which pairs each set's prior is fitted on: see [`RuleFields`]).
/// `all_pairs` is the number of record pairs there are (not only candidates): when u is not
/// re-estimated among the candidates, m and u describe random pairs, so the prior must be the
/// chance that two random records match, not that a candidate pair does. `personal` has bit
/// `c` for the comparisons that may identify a person by themselves (neither shared nor
/// names): those rare enough among random pairs are the identifiers groups are measured on
/// (see [`measure_groups`]).
pub fn fit_em(
    model: &mut Model,
    patterns: &Patterns,
    blocked: &[Vec<bool>],
    rules: RuleFields<'_>,
    em: &EmSettings,
    (all_pairs, personal): (f64, u64),
) {
    let rows = sorted(patterns);
    let start = Start {
        m: model.comparisons.iter().map(|c| c.m.clone()).collect(),
        u: model.comparisons.iter().map(|c| c.u.clone()).collect(),
        prior: model.prior,
    };
    let mut averages = Averages::new(&start);
    model.fit.patterns = rows.len();
    for (rule, blocked_here) in blocked.iter().enumerate() {
        let active: Vec<bool> = blocked_here.iter().map(|b| !b).collect();
        let session: Vec<&Row<'_>> = rows
            .iter()
            .filter(|r| r.1 & (1 << rule.min(31)) != 0)
            .collect();
        if session.is_empty() || !active.iter().any(|a| *a) {
            model.fit.iterations.push(0);
            model.fit.converged.push(false);
            continue;
        }
        let fit = run_session(model, &session, &active, &start, em);
        model.fit.iterations.push(fit.iterations);
        model.fit.converged.push(fit.converged);
        averages.add(&active, &fit);
    }
    averages.apply(model);
    // The prior among all candidates, with m and u now fixed.
    let m: Vec<Vec<f64>> = model.comparisons.iter().map(|c| c.m.clone()).collect();
    let u: Vec<Vec<f64>> = model.comparisons.iter().map(|c| c.u.clone()).collect();
    let household = model.household_cap_ln(&m);
    let fixed = Fixed {
        m: &m,
        u: &u,
        household,
    };
    let prior = candidate_prior(&rows, &fixed, start.prior, em);
    let identifying = identifying(personal, &start.u);
    measure_groups(
        &mut model.groups,
        &rows,
        (&m, &u),
        prior,
        household,
        identifying,
    );
    set_priors(model, &rows, &fixed, &start.u, prior, rules, em, all_pairs);
}

/// Largest chance that two random records agree exactly on a comparison that identifies a
/// person by itself (an email, a mobile, a birth date: one in a thousand or rarer).
const IDENTIFYING_U: f64 = 1e-3;

/// The comparisons among `personal` (bit `c`) whose exact level two random records reach at
/// most [`IDENTIFYING_U`] of the time (`random_u`): a gender or an initial is personal but
/// identifies no one.
fn identifying(personal: u64, random_u: &[Vec<f64>]) -> u64 {
    random_u
        .iter()
        .enumerate()
        .filter(|&(c, u)| {
            c < 64 && personal & (1 << c) != 0 && u.last().is_some_and(|&x| x <= IDENTIFYING_U)
        })
        .fold(0, |acc, (c, _)| acc | (1 << c))
}

/// EM over the patterns of one blocking rule's session, on the `active` comparisons.
fn run_session(
    model: &Model,
    session: &[&Row<'_>],
    active: &[bool],
    start: &Start,
    em: &EmSettings,
) -> SessionFit {
    let mut fit = SessionFit {
        m: start.m.clone(),
        u: start.u.clone(),
        iterations: 0,
        converged: false,
    };
    let mut prior = model.prior;
    while fit.iterations < em.max_iterations {
        fit.iterations += 1;
        let delta = em_step(model, session, active, start, em, &mut fit, &mut prior);
        if delta < em.tolerance {
            fit.converged = true;
            break;
        }
    }
    fit
}

/// Expected counts of each level among matches and non-matches of a session.
struct Expected {
    num: Vec<Vec<f64>>,
    den: Vec<f64>,
    num_u: Vec<Vec<f64>>,
    den_u: Vec<f64>,
    matched: f64,
    total: f64,
}

/// The E step: each pattern's match probability under `m`, `u` and `prior`, summed per level.
fn expect(
    model: &Model,
    session: &[&Row<'_>],
    active: &[bool],
    (m, u): (&[Vec<f64>], &[Vec<f64>]),
    prior: f64,
) -> Expected {
    let n_comp = m.len();
    let zeros = || m.iter().map(|v| vec![0.0; v.len()]).collect::<Vec<_>>();
    let mut e = Expected {
        num: zeros(),
        den: vec![0.0; n_comp],
        num_u: zeros(),
        den_u: vec![0.0; n_comp],
        matched: 0.0,
        total: 0.0,
    };
    for (gamma, _, n) in session {
        let p = posterior(gamma, active, m, u, prior, model.household_cap_ln(m), &[]);
        e.matched += p * n;
        e.total += n;
        for (c, &g) in gamma.iter().enumerate() {
            if g != NULL_LEVEL {
                e.num[c][g as usize] += p * n;
                e.den[c] += p * n;
                e.num_u[c][g as usize] += (1.0 - p) * n;
                e.den_u[c] += (1.0 - p) * n;
            }
        }
    }
    e
}

/// One EM iteration (E step, then the M step into `fit` and `prior`); returns the largest change.
fn em_step(
    model: &Model,
    session: &[&Row<'_>],
    active: &[bool],
    start: &Start,
    em: &EmSettings,
    fit: &mut SessionFit,
    prior: &mut f64,
) -> f64 {
    let e = expect(model, session, active, (&fit.m, &fit.u), *prior);
    let mut delta: f64 = 0.0;
    for (c, &on) in active.iter().enumerate() {
        if !on || e.den[c] <= 0.0 {
            continue;
        }
        for (l, v) in e.num[c].iter().enumerate() {
            let new = ((v + PSEUDO_PAIRS * start.m[c][l]) / (e.den[c] + PSEUDO_PAIRS)).max(FLOOR);
            delta = delta.max((new - fit.m[c][l]).abs());
            fit.m[c][l] = new;
        }
        if em.estimate_u && e.den_u[c] > 0.0 {
            // u among the candidates, with the random-pair u as a prior worth
            // `U_PRIOR_PAIRS`, so that levels few candidates reach stay rare.
            for (l, v) in e.num_u[c].iter().enumerate() {
                let new =
                    ((v + U_PRIOR_PAIRS * start.u[c][l]) / (e.den_u[c] + U_PRIOR_PAIRS)).max(FLOOR);
                delta = delta.max((new - fit.u[c][l]).abs());
                fit.u[c][l] = new;
            }
        }
    }
    let new_prior = ((e.matched + PSEUDO_PAIRS * start.prior) / (e.total + PSEUDO_PAIRS))
        .clamp(FLOOR, 1.0 - FLOOR);
    delta = delta.max((new_prior - *prior).abs());
    *prior = new_prior;
    delta
}

/// Smallest m of "else" for a shared comparison: people move, marry, change jobs, so a
/// disagreeing address or surname is never near-certain proof of two people.
const SHARED_CHANGE: f64 = 0.05;

/// Raise `m[0]` (else) to [`SHARED_CHANGE`], scaling the other levels to keep the sum.
fn floor_change(m: &mut [f64]) {
    if m.len() < 2 || m[0] >= SHARED_CHANGE {
        return;
    }
    let rest: f64 = m[1..].iter().sum();
    let scale = (1.0 - SHARED_CHANGE) / rest.max(FLOOR);
    m[0] = SHARED_CHANGE;
    for v in &mut m[1..] {
        *v *= scale;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SplitMix;
    use crate::settings::tests::sample;

    /// EM settings that re-estimate u among the candidates, run to convergence.
    fn estimating_u() -> EmSettings {
        EmSettings {
            max_iterations: 200,
            tolerance: 1e-9,
            u_sample_size: 0,
            seed: 1,
            estimate_u: true,
        }
    }

    /// Rules whose keys are whole values: each reads exactly what it determines.
    fn exact_keys(determines: &[u64]) -> RuleFields<'_> {
        RuleFields {
            determines,
            reads: determines,
        }
    }

    /// Random-pair u: `exact` on the exact level, 0.01 on each fuzzy level, the rest on "else".
    fn random_u(model: &mut Model, exact: f64) {
        for p in &mut model.comparisons {
            let n = p.u.len();
            p.u = vec![0.01; n];
            p.u[0] = 1.0 - 0.01 * (n - 2) as f64 - exact;
            p.u[n - 1] = exact;
        }
    }

    /// Simulate patterns from a known model and check EM recovers m and the prior.
    #[test]
    fn em_recovers_known_parameters() {
        let settings = sample();
        let mut truth = Model::defaults(&settings);
        let true_m = [
            vec![0.05, 0.1, 0.15, 0.7],
            vec![0.02, 0.08, 0.1, 0.8],
            vec![0.1, 0.05, 0.05, 0.8],
        ];
        let true_u = [
            vec![0.9, 0.05, 0.03, 0.02],
            vec![0.85, 0.08, 0.05, 0.02],
            vec![0.97, 0.015, 0.01, 0.005],
        ];
        for (c, p) in truth.comparisons.iter_mut().enumerate() {
            p.m.clone_from(&true_m[c]);
            p.u.clone_from(&true_u[c]);
        }
        let true_prior = 0.3;
        let mut rng = SplitMix::new(7);
        let mut draw = |probs: &[f64]| {
            let x = rng.next_u64() as f64 / u64::MAX as f64;
            let mut acc = 0.0;
            for (i, p) in probs.iter().enumerate() {
                acc += p;
                if x < acc {
                    return i as i8;
                }
            }
            (probs.len() - 1) as i8
        };
        let mut patterns = Patterns::default();
        for i in 0..200_000 {
            let is_match = f64::from(i) < true_prior * 200_000.0;
            let gamma: Vec<i8> = (0..3)
                .map(|c| draw(if is_match { &true_m[c] } else { &true_u[c] }))
                .collect();
            *patterns.entry((gamma, 0b1)).or_default() += 1;
        }
        let mut model = Model::defaults(&settings);
        for (c, p) in model.comparisons.iter_mut().enumerate() {
            p.u.clone_from(&true_u[c]);
        }
        let em = EmSettings {
            max_iterations: 500,
            tolerance: 1e-9,
            u_sample_size: 0,
            seed: 1,
            estimate_u: false,
        };
        fit_em(
            &mut model,
            &patterns,
            &[vec![false, false, false]],
            exact_keys(&[0]),
            &em,
            (200_000.0, 0),
        );
        assert!(model.fit.converged[0]);
        for (c, p) in model.comparisons.iter().enumerate() {
            for (got, want) in p.m.iter().zip(&true_m[c]) {
                assert!(
                    (got - want).abs() < 0.02,
                    "comparison {c}: m {:?} vs {:?}",
                    p.m,
                    true_m[c]
                );
            }
        }
        assert!(
            (model.prior - true_prior).abs() < 0.02,
            "prior {}",
            model.prior
        );
    }

    /// Pairs that share only an address (rule 0 on comparison 2, "email" standing for it here)
    /// but disagree on both names are households, not duplicates: the address agreement they
    /// were blocked on must not count again as evidence: the rule's prior is fitted on the
    /// other comparisons.
    #[test]
    fn agreement_on_the_blocking_key_is_not_counted_twice() {
        let mut settings = sample();
        // Comparison 2 stands for the address: a value households share.
        settings.comparisons[2].shared = true;
        let mut model = Model::defaults(&settings);
        // Random-pair u: exact agreement on the address is rare between random records.
        random_u(&mut model, 0.01);
        model.comparisons[2].u = vec![0.9989, 0.0005, 0.0005, 0.0001];
        let mut patterns = Patterns::default();
        // Rule 0 (address): 9,000 households (names differ), 500 duplicates (names agree).
        *patterns.entry((vec![0, 0, 3], 0b01)).or_default() += 9_000;
        *patterns.entry((vec![3, 3, 3], 0b01)).or_default() += 500;
        // Rule 1 (names): 2,000 duplicates that moved, 3,000 homonyms elsewhere.
        *patterns.entry((vec![3, 3, 0], 0b10)).or_default() += 2_000;
        *patterns.entry((vec![3, 3, 3], 0b10)).or_default() += 0;
        *patterns.entry((vec![3, 2, 0], 0b10)).or_default() += 3_000;
        let em = estimating_u();
        let blocked = [vec![false, false, true], vec![true, true, false]];
        fit_em(
            &mut model,
            &patterns,
            &blocked,
            exact_keys(&[0b100, 0b011]),
            &em,
            (1e8, 0),
        );
        let prior = |mask: u32| {
            let w = model.prior_weight_for(mask);
            1.0 / (1.0 + (-w).exp2())
        };
        // About 500 of the 9,500 address-only pairs are duplicates.
        assert!(
            prior(0b01) < 0.2,
            "address-only prior {} (rule priors {:?})",
            prior(0b01),
            model.rule_priors
        );
    }

    /// A set found by personal keys (given name and email) whose pairs all disagree on what is
    /// left (the surname: marriages) is not emptied by EM: its prior stays at least what the
    /// given name and email say by themselves. A set found by a shared key alone (a surname:
    /// households) gets nothing from that floor.
    #[test]
    fn personal_agreement_bounds_a_sets_prior_from_below() {
        let mut settings = sample();
        settings.comparisons[1].shared = true;
        let mut model = Model::defaults(&settings);
        // Random-pair u: exact agreement is rare between random records.
        random_u(&mut model, 0.001);
        let mut patterns = Patterns::default();
        // Rule 0 (given name and email): 50,000 pairs, every one with another surname.
        *patterns.entry((vec![3, 0, 3], 0b01)).or_default() += 50_000;
        // Rule 1 (surname): households, other given name and email; and some duplicates.
        *patterns.entry((vec![0, 3, 0], 0b10)).or_default() += 20_000;
        *patterns.entry((vec![3, 3, 3], 0b11)).or_default() += 5_000;
        let em = estimating_u();
        let blocked = [vec![true, false, true], vec![false, true, false]];
        let all_pairs = 1e8;
        fit_em(
            &mut model,
            &patterns,
            &blocked,
            exact_keys(&[0b101, 0b010]),
            &em,
            (all_pairs, 0),
        );
        let prior = |mask: u32| 1.0 / (1.0 + (-model.prior_weight_for(mask)).exp2());
        // What the given name and email say alone: random-pair odds of a match times their
        // likelihood ratios (m of exact over the random-pair u of exact, 0.001 each).
        let base = model.prior * 75_000.0 / all_pairs;
        let top = |c: usize| *model.comparisons[c].m.last().unwrap();
        let odds = base / (1.0 - base) * (top(0) / 0.001) * (top(2) / 0.001);
        let floor = odds / (1.0 + odds);
        assert!(floor > 0.5, "floor {floor}");
        assert!(
            prior(0b01) >= floor * (1.0 - 1e-9),
            "given name and email prior {} below {floor} (rule priors {:?})",
            prior(0b01),
            model.rule_priors
        );
        // The surname set's prior is the share of duplicates among every pair sharing the
        // surname (5,000 of 25,000), no more: the floor gives it nothing.
        assert!(prior(0b10) < 0.21, "surname-only prior {}", prior(0b10));
    }

    /// A set of rules without the email rule cannot agree on the email: fitted on its own
    /// pairs, every one of which disagrees there, EM read a large set (a base of millions) as
    /// mostly non-matches, however strong the rest. Fitted among every pair found by at least
    /// its rules, the email agrees as often as it does among matches.
    #[test]
    fn a_set_is_not_emptied_by_the_rules_it_lacks() {
        let mut settings = sample();
        // Comparison 0 stands for a household's phone (shared: no floor from it), comparison 1
        // for a birth date, comparison 2 for the email.
        settings.comparisons[0].shared = true;
        let mut model = Model::defaults(&settings);
        random_u(&mut model, 0.001);
        let mut patterns = Patterns::default();
        // Rule 0 (phone) alone: 8,000 duplicates who changed email (6,000 without a birth
        // date) and 900 other people (600 without a birth date).
        *patterns.entry((vec![3, -1, 0], 0b01)).or_default() += 6_600;
        *patterns.entry((vec![3, 3, 0], 0b01)).or_default() += 2_000;
        *patterns.entry((vec![3, 0, 0], 0b01)).or_default() += 300;
        // Rules 0 and 1 (phone and email): 14,000 duplicates.
        *patterns.entry((vec![3, 3, 3], 0b11)).or_default() += 14_000;
        // Rule 1 (email) alone: 3,000 duplicates with another phone.
        *patterns.entry((vec![0, 3, 3], 0b10)).or_default() += 3_000;
        let em = estimating_u();
        let blocked = [vec![true, false, false], vec![false, false, true]];
        fit_em(
            &mut model,
            &patterns,
            &blocked,
            exact_keys(&[0b001, 0b100]),
            &em,
            (1e9, 0),
        );
        let weight = |mask: u32, gamma: &[i8]| {
            let skip = super::super::determined(&[0b001, 0b100], mask, 3);
            model.prior_weight_for(mask)
                + gamma
                    .iter()
                    .enumerate()
                    .filter(|(c, g)| skip & (1 << c) == 0 && **g >= 0)
                    .map(|(c, g)| {
                        let p = &model.comparisons[c];
                        let l = usize::try_from(*g).unwrap();
                        (p.m[l] / p.u[l]).log2()
                    })
                    .sum::<f64>()
        };
        // Nine in ten phone-only pairs without a birth date are duplicates: they score as
        // matches.
        let w = weight(0b01, &[3, -1, 0]);
        assert!(
            w > 0.0,
            "phone-only pair weight {w} (rule priors {:?})",
            model.rule_priors
        );
    }

    #[test]
    fn a_sets_population_leaves_out_further_rules_on_what_it_reads_coarsely() {
        // Rule 0: a phonetic code of comparison 0 (reads it, determines nothing); rule 1: the
        // whole value of comparison 0; rule 2: the whole value of comparison 2.
        let rules = RuleFields {
            determines: &[0, 0b001, 0b100],
            reads: &[0b001, 0b001, 0b100],
        };
        // The phonetic set reads comparison 0 coarsely: pairs also found by the exact rule on
        // it are left out; pairs also found by the rule on comparison 2 are in.
        assert!(rules.in_population(0b001, 0b001, 0b001));
        assert!(!rules.in_population(0b001, 0b001, 0b011));
        assert!(rules.in_population(0b001, 0b001, 0b101));
        // The exact set determines comparison 0: every superset is in, no subset is.
        assert!(rules.in_population(0b010, 0, 0b011));
        assert!(rules.in_population(0b010, 0, 0b111));
        assert!(!rules.in_population(0b010, 0, 0b100));
        // A further rule on a column no comparison reads, and pairs blocked by no rule.
        let uncompared = RuleFields {
            determines: &[0b001, 0],
            reads: &[0b001, super::super::UNCOMPARED],
        };
        assert!(!uncompared.in_population(0b01, 0, 0b11));
        assert!(uncompared.in_population(0b00, 0, 0b00));
        assert!(!uncompared.in_population(0b00, 0, 0b01));
    }
}
