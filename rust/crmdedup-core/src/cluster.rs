//! Clustering of matched pairs: union-find, plain or guarded against chaining.
//!
//! Cluster membership never depends on thread count or row order: edges are processed in an
//! order fixed by (probability, id ranks), and a cluster is named after its smallest-ranked id.

use crate::settings::ClusterMethod;

/// Union-find over `u32` rows: union by size, path halving.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singletons.
    #[must_use]
    pub fn new(n: usize) -> Self {
        Self {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    /// Root of `x`.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    /// Size of the set holding `x`.
    pub fn size_of(&mut self, x: u32) -> u32 {
        let r = self.find(x);
        self.size[r as usize]
    }

    /// Join the sets of `a` and `b`; false when already joined.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        if self.size[ra as usize] < self.size[rb as usize] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb as usize] = ra;
        self.size[ra as usize] += self.size[rb as usize];
        true
    }
}

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
/// `guarded` joins two groups that both already hold several records only through a link of
/// probability at least `guard`, or through a second link between them; a lone record may join
/// a group through any link above the threshold.
#[must_use]
pub fn cluster(
    n: usize,
    edges: &[Edge],
    rank: &[u32],
    method: ClusterMethod,
    guard: f64,
) -> Vec<u32> {
    let mut uf = UnionFind::new(n);
    match method {
        ClusterMethod::ConnectedComponents => {
            for e in edges {
                uf.union(e.a, e.b);
            }
        }
        ClusterMethod::Guarded => {
            let key = |e: &Edge| {
                let (x, y) = (
                    rank[e.a as usize].min(rank[e.b as usize]),
                    rank[e.a as usize].max(rank[e.b as usize]),
                );
                (x, y)
            };
            let mut order: Vec<&Edge> = edges.iter().collect();
            order.sort_by(|x, y| y.p.total_cmp(&x.p).then_with(|| key(x).cmp(&key(y))));
            // Pending links are counted between groups named by their smallest id rank, not by
            // their union-find roots: which row becomes a root follows row positions.
            let mut low: Vec<u32> = rank.to_vec();
            let join = |uf: &mut UnionFind, low: &mut [u32], ra: u32, rb: u32| {
                let least = low[ra as usize].min(low[rb as usize]);
                uf.union(ra, rb);
                let root = uf.find(ra);
                low[root as usize] = least;
            };
            let mut pending: rustc_hash::FxHashMap<(u32, u32), u32> =
                rustc_hash::FxHashMap::default();
            for e in order {
                let (ra, rb) = (uf.find(e.a), uf.find(e.b));
                if ra == rb {
                    continue;
                }
                let lone = uf.size_of(ra) == 1 && uf.size_of(rb) == 1;
                if lone || e.p >= guard {
                    join(&mut uf, &mut low, ra, rb);
                    continue;
                }
                let (la, lb) = (low[ra as usize], low[rb as usize]);
                let links = pending.entry((la.min(lb), la.max(lb))).or_default();
                *links += 1;
                if *links >= 2 {
                    join(&mut uf, &mut low, ra, rb);
                }
            }
        }
    }
    // Name every cluster after its smallest-ranked member.
    let mut best: Vec<u32> = vec![u32::MAX; n];
    for row in 0..n as u32 {
        let r = uf.find(row) as usize;
        if best[r] == u32::MAX || rank[row as usize] < rank[best[r] as usize] {
            best[r] = row;
        }
    }
    (0..n as u32)
        .map(|row| best[uf.find(row) as usize])
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
