//! Clustering of matched pairs: union-find, plain or guarded against chaining, honouring
//! steward decisions (must-link and cannot-link pairs).
//!
//! Cluster membership never depends on thread count or row order: edges are processed in an
//! order fixed by (probability, id ranks), and a cluster is named after its smallest-ranked id.

mod constraints;
mod guarded;
mod table;
mod union_find;

pub use constraints::{Conflict, Constraints, Guard};
pub use table::{Decisions, IdPairs, PairColumns, cluster_pairs, conflict_error};
pub(crate) use table::{id_text, pair_rows};
pub use union_find::UnionFind;

use crate::settings::ClusterMethod;

/// One matched pair: rows `a`, `b` and their match probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// First row.
    pub a: u32,
    /// Second row.
    pub b: u32,
    /// Match probability.
    pub p: f64,
}

/// Cluster `n` rows: returns, per row, the row that names its cluster (smallest `rank`).
///
/// `guarded` joins two single records through any link, but a record to a group, or two
/// groups, only through a link of probability at least `guard` or through a second link
/// between them (between two groups, one sharing no record with the first).
#[must_use]
pub fn cluster(
    n: usize,
    edges: &[Edge],
    rank: &[u32],
    method: ClusterMethod,
    guard: f64,
) -> Vec<u32> {
    match cluster_with(n, edges, rank, method, guard, &Constraints::default()) {
        Ok(reps) => reps,
        // Without decisions nothing can conflict.
        Err(_) => unreachable!("no decisions, no conflict"),
    }
}

/// [`cluster`] honouring steward decisions: every must-link pair ends in one cluster, no
/// cannot-link pair does.
///
/// 1. The scored links are clustered by `method`, every union that would join a cannot-link
///    pair refused.
/// 2. Each must-link then joins the clusters of its two records, as a steward's merge would: a
///    confirmed link never breaks the links around it.
/// 3. When such a merge would join a cannot-link pair, the clusters concerned are rebuilt
///    together from their own links: must-links first, then the strongest link first, every
///    union that would join a cannot-link pair refused.
///
/// # Errors
/// A [`Conflict`] when must-link pairs alone join a cannot-link pair.
pub fn cluster_with(
    n: usize,
    edges: &[Edge],
    rank: &[u32],
    method: ClusterMethod,
    guard: f64,
    constraints: &Constraints,
) -> Result<Vec<u32>, Conflict> {
    // Checks the must-links against the cannot-links before anything else.
    let with_must = Guard::new(n, constraints, rank)?;
    if constraints.must_link.is_empty() {
        let mut groups = with_must;
        scored_links(&mut groups, edges, rank, method, guard);
        return Ok(representatives(&mut groups, rank));
    }
    let cannot_only = Constraints {
        must_link: Vec::new(),
        cannot_link: constraints.cannot_link.clone(),
    };
    let mut groups = Guard::new(n, &cannot_only, rank)?;
    scored_links(&mut groups, edges, rank, method, guard);
    let mut must = constraints.must_link.clone();
    must.sort_by_key(|&(a, b)| pair_key(rank, a, b));
    let mut refused = Vec::new();
    for &(a, b) in &must {
        if groups.find(a) != groups.find(b) && !groups.union(a, b) {
            refused.push((a, b));
        }
    }
    let mut reps = representatives(&mut groups, rank);
    if !refused.is_empty() {
        rebuild(&mut reps, &refused, edges, rank, constraints)?;
    }
    Ok(reps)
}

/// Union the scored links into `groups` by `method`.
fn scored_links(
    groups: &mut Guard,
    edges: &[Edge],
    rank: &[u32],
    method: ClusterMethod,
    guard: f64,
) {
    match method {
        // Without cannot-link pairs, components do not depend on the order of the unions.
        ClusterMethod::ConnectedComponents if !groups.has_cannot_links() => {
            for e in edges {
                groups.union(e.a, e.b);
            }
        }
        ClusterMethod::ConnectedComponents => {
            for e in ordered(edges, rank) {
                groups.union(e.a, e.b);
            }
        }
        ClusterMethod::Guarded => guarded::guarded(groups, &ordered(edges, rank), rank, guard),
    }
}

/// The id ranks of a pair, smaller first: an order of pairs that does not follow row positions.
fn pair_key(rank: &[u32], a: u32, b: u32) -> (u32, u32) {
    let (x, y) = (rank[a as usize], rank[b as usize]);
    (x.min(y), x.max(y))
}

/// Rebuild, in `reps`, the clusters holding the ends of `refused` must-links (step 3 of
/// [`cluster_with`]). The region is closed under must-links: a must-link that left it was
/// either merged (both ends in one cluster) or refused (both ends in the region).
fn rebuild(
    reps: &mut [u32],
    refused: &[(u32, u32)],
    edges: &[Edge],
    rank: &[u32],
    constraints: &Constraints,
) -> Result<(), Conflict> {
    let touched: rustc_hash::FxHashSet<u32> = refused
        .iter()
        .flat_map(|&(a, b)| [reps[a as usize], reps[b as usize]])
        .collect();
    let region: Vec<u32> = (0..reps.len() as u32)
        .filter(|&row| touched.contains(&reps[row as usize]))
        .collect();
    let mut local = vec![u32::MAX; reps.len()];
    for (i, &row) in region.iter().enumerate() {
        local[row as usize] = i as u32;
    }
    let inside = |&(a, b): &(u32, u32)| {
        (local[a as usize] != u32::MAX && local[b as usize] != u32::MAX)
            .then(|| (local[a as usize], local[b as usize]))
    };
    let decisions = Constraints {
        must_link: constraints.must_link.iter().filter_map(inside).collect(),
        cannot_link: constraints.cannot_link.iter().filter_map(inside).collect(),
    };
    let links: Vec<Edge> = edges
        .iter()
        .filter_map(|e| inside(&(e.a, e.b)).map(|(a, b)| Edge { a, b, p: e.p }))
        .collect();
    let local_rank: Vec<u32> = region.iter().map(|&row| rank[row as usize]).collect();
    let mut groups = Guard::new(region.len(), &decisions, &local_rank)?;
    for e in ordered(&links, &local_rank) {
        groups.union(e.a, e.b);
    }
    for (i, rep) in representatives(&mut groups, &local_rank)
        .into_iter()
        .enumerate()
    {
        reps[region[i] as usize] = region[rep as usize];
    }
    Ok(())
}

/// `edges` by decreasing probability, then by the id ranks of their ends.
fn ordered<'e>(edges: &'e [Edge], rank: &[u32]) -> Vec<&'e Edge> {
    let key = |e: &Edge| pair_key(rank, e.a, e.b);
    let mut order: Vec<&Edge> = edges.iter().collect();
    order.sort_by(|x, y| y.p.total_cmp(&x.p).then_with(|| key(x).cmp(&key(y))));
    order
}

/// Per row, the smallest-ranked member of its group.
fn representatives(groups: &mut Guard, rank: &[u32]) -> Vec<u32> {
    let n = rank.len();
    let mut best: Vec<u32> = vec![u32::MAX; n];
    for row in 0..n as u32 {
        let r = groups.find(row) as usize;
        if best[r] == u32::MAX || rank[row as usize] < rank[best[r] as usize] {
            best[r] = row;
        }
    }
    (0..n as u32)
        .map(|row| best[groups.find(row) as usize])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn e(a: u32, b: u32, p: f64) -> Edge {
        Edge { a, b, p }
    }

    #[test]
    fn components_are_named_by_smallest_rank() {
        let rank = vec![3, 0, 1, 2, 4];
        let reps = cluster(
            5,
            &[e(0, 1, 0.95), e(2, 3, 0.99)],
            &rank,
            ClusterMethod::ConnectedComponents,
            0.99,
        );
        assert_eq!(reps, vec![1, 1, 2, 2, 4]);
    }

    #[test]
    fn guard_refuses_a_single_weak_bridge() {
        // {0,1} and {2,3} are tight; one weak link 1-2 must not chain them.
        let rank: Vec<u32> = (0..4).collect();
        let edges = [e(0, 1, 0.999), e(2, 3, 0.999), e(1, 2, 0.92)];
        let cc = cluster(4, &edges, &rank, ClusterMethod::ConnectedComponents, 0.99);
        assert_eq!(cc, vec![0, 0, 0, 0]);
        let guarded = cluster(4, &edges, &rank, ClusterMethod::Guarded, 0.99);
        assert_eq!(guarded, vec![0, 0, 2, 2]);
        // Two weak links between the same groups do join them.
        let edges = [e(0, 1, 0.999), e(2, 3, 0.999), e(1, 2, 0.92), e(0, 3, 0.93)];
        assert_eq!(
            cluster(4, &edges, &rank, ClusterMethod::Guarded, 0.99),
            vec![0, 0, 0, 0]
        );
    }

    #[test]
    fn two_weak_links_from_one_record_do_not_join_two_groups() {
        // {0,1} (two spellings of one person) both weakly linked to 2, of the group {2,3}: one
        // piece of evidence, not two (FEBRL3's `Alexa-Rose White` chain).
        let rank: Vec<u32> = (0..4).collect();
        let edges = [e(0, 1, 0.9999), e(2, 3, 0.9999), e(0, 2, 0.6), e(1, 2, 0.6)];
        let guarded = cluster(4, &edges, &rank, ClusterMethod::Guarded, 0.999);
        assert_eq!(guarded, vec![0, 0, 2, 2]);
        // A lone record's two weak links to a group share that record, and join it.
        let edges = [e(0, 1, 0.9999), e(0, 2, 0.6), e(1, 2, 0.6)];
        let lone = cluster(3, &edges, &rank[..3], ClusterMethod::Guarded, 0.999);
        assert_eq!(lone, vec![0, 0, 0]);
        // The same weak link given twice (both ways) is one link.
        let edges = [e(0, 1, 0.9999), e(0, 2, 0.6), e(2, 0, 0.6)];
        let twice = cluster(3, &edges, &rank[..3], ClusterMethod::Guarded, 0.999);
        assert_eq!(twice, vec![0, 0, 2]);
    }

    fn rows(pairs: &[(u32, u32)]) -> Vec<(u32, u32)> {
        pairs.to_vec()
    }

    #[test]
    fn a_cannot_link_splits_a_chain() {
        // 0 – 1 – 2 is one chain; 0 and 2 are two people: the weaker link 1-2 is refused.
        let rank: Vec<u32> = (0..3).collect();
        let edges = [e(0, 1, 0.99), e(1, 2, 0.95)];
        let decisions = Constraints {
            must_link: Vec::new(),
            cannot_link: rows(&[(2, 0)]),
        };
        for method in [ClusterMethod::ConnectedComponents, ClusterMethod::Guarded] {
            let reps = cluster_with(3, &edges, &rank, method, 0.999, &decisions).unwrap();
            assert_eq!(reps, vec![0, 0, 2], "{method:?}");
        }
    }

    #[test]
    fn a_must_link_joins_two_singletons_after_the_scored_links() {
        let rank: Vec<u32> = (0..4).collect();
        let decisions = Constraints {
            must_link: rows(&[(3, 1)]),
            cannot_link: Vec::new(),
        };
        for method in [ClusterMethod::ConnectedComponents, ClusterMethod::Guarded] {
            let reps = cluster_with(4, &[], &rank, method, 0.999, &decisions).unwrap();
            assert_eq!(reps, vec![0, 1, 2, 1], "{method:?}");
        }
        // Guarded: 3's one weak link to the group {0, 2} does not join; then the must-link
        // joins 1 and 3.
        let edges = [e(0, 2, 0.999), e(2, 3, 0.95)];
        let reps = cluster_with(4, &edges, &rank, ClusterMethod::Guarded, 0.99, &decisions);
        assert_eq!(reps.unwrap(), vec![0, 1, 0, 1]);
    }

    #[test]
    fn a_must_link_merges_the_clusters_of_its_ends() {
        // Scored: {0, 1} and {2, 3}. The steward says 1 and 2 are one person: all four join,
        // under the guard too (a confirmed link never breaks the links around it).
        let rank: Vec<u32> = (0..4).collect();
        let edges = [e(0, 1, 0.99), e(2, 3, 0.98)];
        let must = Constraints {
            must_link: rows(&[(1, 2)]),
            cannot_link: Vec::new(),
        };
        for method in [ClusterMethod::ConnectedComponents, ClusterMethod::Guarded] {
            let reps = cluster_with(4, &edges, &rank, method, 0.999, &must).unwrap();
            assert_eq!(reps, vec![0, 0, 0, 0], "{method:?}");
        }
        // With 0 and 3 two people, the four are rebuilt from the must-link and the strongest
        // link: {0, 1, 2}, and 3 alone (its link to 2 would join it with 0).
        let both = Constraints {
            must_link: rows(&[(1, 2)]),
            cannot_link: rows(&[(0, 3)]),
        };
        for method in [ClusterMethod::ConnectedComponents, ClusterMethod::Guarded] {
            let reps = cluster_with(4, &edges, &rank, method, 0.999, &both).unwrap();
            assert_eq!(reps, vec![0, 0, 0, 3], "{method:?}");
        }
    }

    #[test]
    fn must_links_forcing_a_cannot_link_pair_together_are_an_error() {
        let rank = vec![2, 1, 0];
        let decisions = Constraints {
            must_link: rows(&[(0, 1), (1, 2)]),
            cannot_link: rows(&[(0, 2)]),
        };
        let err =
            cluster_with(3, &[], &rank, ClusterMethod::Guarded, 0.99, &decisions).unwrap_err();
        // Named smallest rank first (row 2), with the must-link path between them.
        assert_eq!(
            err,
            Conflict {
                left: 2,
                right: 0,
                chain: vec![2, 1, 0]
            }
        );
    }

    /// Row pairs from raw draws, without self pairs.
    fn pairs_of(raw: &[(u32, u32)]) -> Vec<(u32, u32)> {
        raw.iter().copied().filter(|(a, b)| a != b).collect()
    }

    /// Whether the must-link pairs alone join a cannot-link pair.
    fn conflicting(n: usize, c: &Constraints) -> bool {
        let mut uf = UnionFind::new(n);
        for &(a, b) in &c.must_link {
            uf.union(a, b);
        }
        c.cannot_link.iter().any(|&(a, b)| uf.find(a) == uf.find(b))
    }

    /// `perm` applied to rows, with ranks following their records.
    fn moved(
        edges: &[Edge],
        c: &Constraints,
        rank: &[u32],
        perm: &[u32],
    ) -> (Vec<Edge>, Constraints, Vec<u32>) {
        let to = |x: u32| perm[x as usize];
        let edges = edges.iter().map(|x| e(to(x.a), to(x.b), x.p)).collect();
        let both = |v: &[(u32, u32)]| v.iter().map(|&(a, b)| (to(a), to(b))).collect();
        let c = Constraints {
            must_link: both(&c.must_link),
            cannot_link: both(&c.cannot_link),
        };
        let mut moved_rank = vec![0u32; rank.len()];
        for (row, &t) in perm.iter().enumerate() {
            moved_rank[t as usize] = rank[row];
        }
        (edges, c, moved_rank)
    }

    fn shuffle<T>(v: &mut [T], rng: &mut crate::model::SplitMix) {
        for i in (1..v.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
    }

    proptest! {
        /// Every cannot-link pair apart, every must-link pair together, unless the must-links
        /// alone join a cannot-link pair (then an error); the same clusters whatever the order
        /// of edges and decisions and whatever the row order.
        #[test]
        fn decisions_are_honoured_whatever_the_order(
            raw in proptest::collection::vec((0u32..10, 0u32..10, 0.9f64..1.0), 0..30),
            must in proptest::collection::vec((0u32..10, 0u32..10), 0..4),
            cannot in proptest::collection::vec((0u32..10, 0u32..10), 0..4),
            seed in 0u64..1000,
        ) {
            const N: usize = 10;
            let edges: Vec<Edge> = raw.iter().filter(|(a, b, _)| a != b).map(|&(a, b, p)| e(a, b, p)).collect();
            let c = Constraints { must_link: pairs_of(&must), cannot_link: pairs_of(&cannot) };
            let rank: Vec<u32> = (0..N as u32).collect();
            let mut rng = crate::model::SplitMix::new(seed);
            for method in [ClusterMethod::ConnectedComponents, ClusterMethod::Guarded] {
                let got = cluster_with(N, &edges, &rank, method, 0.97, &c);
                prop_assert_eq!(got.is_err(), conflicting(N, &c));
                let Ok(reps) = got else { continue };
                for &(a, b) in &c.must_link {
                    prop_assert_eq!(reps[a as usize], reps[b as usize]);
                }
                for &(a, b) in &c.cannot_link {
                    prop_assert_ne!(reps[a as usize], reps[b as usize]);
                }
                let (mut e2, mut c2) = (edges.clone(), c.clone());
                shuffle(&mut e2, &mut rng);
                shuffle(&mut c2.must_link, &mut rng);
                shuffle(&mut c2.cannot_link, &mut rng);
                prop_assert_eq!(&cluster_with(N, &e2, &rank, method, 0.97, &c2).unwrap(), &reps);
                let mut perm: Vec<u32> = (0..N as u32).collect();
                shuffle(&mut perm, &mut rng);
                let (e3, c3, rank3) = moved(&edges, &c, &rank, &perm);
                let there = cluster_with(N, &e3, &rank3, method, 0.97, &c3).unwrap();
                for row in 0..N {
                    prop_assert_eq!(perm[reps[row] as usize], there[perm[row] as usize]);
                }
            }
        }
    }

    proptest! {
        #[test]
        fn membership_ignores_edge_order(raw in proptest::collection::vec((0u32..12, 0u32..12, 0.9f64..1.0), 0..30), seed in 0u64..1000) {
            let edges: Vec<Edge> = raw.iter().filter(|(a, b, _)| a != b).map(|&(a, b, p)| e(a, b, p)).collect();
            let rank: Vec<u32> = (0..12).collect();
            let mut shuffled = edges.clone();
            let mut rng = crate::model::SplitMix::new(seed);
            for i in (1..shuffled.len()).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                shuffled.swap(i, j);
            }
            for method in [ClusterMethod::ConnectedComponents, ClusterMethod::Guarded] {
                prop_assert_eq!(cluster(12, &edges, &rank, method, 0.97), cluster(12, &shuffled, &rank, method, 0.97));
            }
            // The same records stored in another row order: the same clusters, by id rank.
            let mut perm: Vec<u32> = (0..12).collect();
            for i in (1..perm.len()).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                perm.swap(i, j);
            }
            let moved: Vec<Edge> = edges.iter().map(|x| e(perm[x.a as usize], perm[x.b as usize], x.p)).collect();
            let mut moved_rank = vec![0u32; 12];
            for (row, &to) in perm.iter().enumerate() {
                moved_rank[to as usize] = rank[row];
            }
            for method in [ClusterMethod::ConnectedComponents, ClusterMethod::Guarded] {
                let here = cluster(12, &edges, &rank, method, 0.97);
                let there = cluster(12, &moved, &moved_rank, method, 0.97);
                for row in 0..12 {
                    prop_assert_eq!(perm[here[row] as usize], there[perm[row] as usize]);
                }
            }
            // Connected components: both ends of every edge share a cluster.
            let reps = cluster(12, &edges, &rank, ClusterMethod::ConnectedComponents, 0.97);
            for x in &edges {
                prop_assert_eq!(reps[x.a as usize], reps[x.b as usize]);
            }
        }
    }
}
