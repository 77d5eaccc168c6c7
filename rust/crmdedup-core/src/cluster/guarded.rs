//! Guarded clustering: union-find in decreasing probability order that joins two groups of
//! several records only through a link of probability at least the guard, or through a second
//! link between them; a lone record may join a group through any link above the threshold.

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
    let mut pending: FxHashMap<(u32, u32), u32> = FxHashMap::default();
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
        let links = pending.entry((la.min(lb), la.max(lb))).or_default();
        *links += 1;
        if *links >= 2 {
            join(groups, &mut low, ra, rb);
        }
    }
}
