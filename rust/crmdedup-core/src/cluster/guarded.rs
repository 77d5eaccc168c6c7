//! Guarded clustering: union-find in decreasing probability order. Two lone records join
//! through any link above the threshold; a record joins a group, or two groups join, only
//! through a link of probability at least the guard, or through a second link between them
//! (another pair of records: the same pair given twice is one link).
//!
//! Between two groups of several records, the second link must share no record with the
//! first: two near-identical records of one group (`Alexa-Rose White` and `Alexa Rose White`)
//! weakly linked to the same record of another group say no more than one of them does. A
//! lone record's two links to a group always share it, and they join it as before.

use rustc_hash::FxHashMap;

use super::Edge;
use super::constraints::Guard;

/// Join the groups of `edges` (in the order given: decreasing probability, then id ranks) into
/// `groups`, guarded against chaining (see the module docs).
pub(crate) fn guarded(groups: &mut Guard, edges: &[&Edge], rank: &[u32], guard: f64) {
    // Pending links are counted between groups named by their smallest id rank, not by their
    // union-find roots: which row becomes a root follows row positions.
    let mut low: Vec<u32> = rank.to_vec();
    for row in 0..rank.len() as u32 {
        let root = groups.find(row) as usize;
        low[root] = low[root].min(rank[row as usize]);
    }
    let join = |groups: &mut Guard, low: &mut [u32], ra: u32, rb: u32| {
        let least = low[ra as usize].min(low[rb as usize]);
        if groups.union(ra, rb) {
            let root = groups.find(ra);
            low[root as usize] = least;
        }
    };
    // Per pair of groups, the rows of the weak links seen between them.
    let mut pending: FxHashMap<(u32, u32), Vec<(u32, u32)>> = FxHashMap::default();
    for e in edges {
        let (ra, rb) = (groups.find(e.a), groups.find(e.b));
        if ra == rb {
            continue;
        }
        let lone = groups.size_of(ra) == 1 && groups.size_of(rb) == 1;
        if lone || e.p >= guard {
            join(groups, &mut low, ra, rb);
            continue;
        }
        let (la, lb) = (low[ra as usize], low[rb as usize]);
        let groups_of_several = groups.size_of(ra) > 1 && groups.size_of(rb) > 1;
        let links = pending.entry((la.min(lb), la.max(lb))).or_default();
        // A second link: another pair of records (the same pair given twice is one link), and
        // between two groups of several, no record in common with the first.
        let second = |&(x, y): &(u32, u32)| {
            if groups_of_several {
                x != e.a && x != e.b && y != e.a && y != e.b
            } else {
                (x.min(y), x.max(y)) != (e.a.min(e.b), e.a.max(e.b))
            }
        };
        if links.iter().any(second) {
            join(groups, &mut low, ra, rb);
        } else {
            links.push((e.a, e.b));
        }
    }
}
