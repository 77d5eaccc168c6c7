//! Steward decisions inside the clustering: must-link pairs are certain edges, joined before
//! any scored pair; cannot-link pairs are checked at every union, which is refused when it would
//! put such a pair in one cluster.
//!
//! Each group keeps the list of records it must never join (its members' cannot-link partners);
//! a union checks the shorter of the two lists, and the lists merge small into large, so the
//! checks cost O(k log k) over k cannot-link pairs whatever the edges.

use rustc_hash::FxHashMap;

use super::UnionFind;

/// Steward decisions as row pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constraints {
    /// Pairs joined whatever their score (or lack of one).
    pub must_link: Vec<(u32, u32)>,
    /// Pairs never put in one cluster.
    pub cannot_link: Vec<(u32, u32)>,
}

impl Constraints {
    /// Whether there are no decisions.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.must_link.is_empty() && self.cannot_link.is_empty()
    }
}

/// Must-link pairs alone join a cannot-link pair: rows `left` and `right`, and the rows of a
/// must-link path between them (`left` first, `right` last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// One row of the cannot-link pair.
    pub left: u32,
    /// The other row.
    pub right: u32,
    /// Must-link path from `left` to `right`, both included.
    pub chain: Vec<u32>,
}

/// Union-find that refuses unions joining a cannot-link pair.
#[derive(Debug)]
pub struct Guard {
    uf: UnionFind,
    /// Per group root with cannot-link pairs: every member's partners.
    forbidden: FxHashMap<u32, Vec<u32>>,
}

impl Guard {
    /// `n` rows with the must-link pairs of `constraints` joined, and its cannot-link pairs
    /// kept apart from now on; `rank` orders rows by id, so that the conflict reported is the
    /// same in any row order.
    ///
    /// # Errors
    /// A [`Conflict`] when must-link pairs join a cannot-link pair (or it names one record twice).
    pub fn new(n: usize, constraints: &Constraints, rank: &[u32]) -> Result<Self, Conflict> {
        let mut uf = UnionFind::new(n);
        for &(a, b) in &constraints.must_link {
            uf.union(a, b);
        }
        let by_rank = |&(a, b): &(u32, u32)| {
            let (x, y) = (rank[a as usize], rank[b as usize]);
            (x.min(y), x.max(y))
        };
        if let Some(&(a, b)) = constraints
            .cannot_link
            .iter()
            .filter(|&&(a, b)| uf.find(a) == uf.find(b))
            .min_by_key(|p| by_rank(p))
        {
            let (a, b) = if rank[a as usize] <= rank[b as usize] {
                (a, b)
            } else {
                (b, a)
            };
            return Err(Conflict {
                left: a,
                right: b,
                chain: must_link_path(&constraints.must_link, a, b),
            });
        }
        let mut forbidden: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for &(a, b) in &constraints.cannot_link {
            forbidden.entry(uf.find(a)).or_default().push(b);
            forbidden.entry(uf.find(b)).or_default().push(a);
        }
        Ok(Self { uf, forbidden })
    }

    /// Root of `x`.
    pub fn find(&mut self, x: u32) -> u32 {
        self.uf.find(x)
    }

    /// Whether any cannot-link pair constrains the unions.
    #[must_use]
    pub fn has_cannot_links(&self) -> bool {
        !self.forbidden.is_empty()
    }

    /// Size of the group holding `x`.
    pub fn size_of(&mut self, x: u32) -> u32 {
        self.uf.size_of(x)
    }

    /// Whether the groups of `a` and `b` may become one: no cannot-link pair across them.
    fn allowed(&mut self, ra: u32, rb: u32) -> bool {
        let len = |r: u32| self.forbidden.get(&r).map_or(0, Vec::len);
        let (short, other) = if len(ra) <= len(rb) {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let Some(partners) = self.forbidden.get(&short) else {
            return true;
        };
        let uf = &mut self.uf;
        !partners.iter().any(|&p| uf.find(p) == other)
    }

    /// Join the groups of `a` and `b`: false when they are one already or a cannot-link pair
    /// forbids it.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        if self.forbidden.is_empty() {
            // No cannot-link pairs: a plain union.
            return self.uf.union(a, b);
        }
        let (ra, rb) = (self.uf.find(a), self.uf.find(b));
        if ra == rb || !self.allowed(ra, rb) {
            return false;
        }
        self.uf.union(ra, rb);
        let root = self.uf.find(ra);
        let gone = if root == ra { rb } else { ra };
        if let Some(mut moved) = self.forbidden.remove(&gone) {
            let kept = self.forbidden.entry(root).or_default();
            if kept.len() < moved.len() {
                std::mem::swap(kept, &mut moved);
            }
            kept.extend(moved);
        }
        true
    }
}

/// Rows of a shortest must-link path from `from` to `to` (both included; just the two when
/// there is none, which the caller rules out).
fn must_link_path(must: &[(u32, u32)], from: u32, to: u32) -> Vec<u32> {
    let mut next: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
    for &(a, b) in must {
        next.entry(a).or_default().push(b);
        next.entry(b).or_default().push(a);
    }
    let mut came_from: FxHashMap<u32, u32> = FxHashMap::default();
    came_from.insert(from, from);
    let mut queue = std::collections::VecDeque::from([from]);
    while let Some(x) = queue.pop_front() {
        if x == to {
            let mut path = vec![to];
            let mut at = to;
            while at != from {
                at = came_from[&at];
                path.push(at);
            }
            path.reverse();
            return path;
        }
        for &y in next.get(&x).map_or(&[][..], Vec::as_slice) {
            if let std::collections::hash_map::Entry::Vacant(e) = came_from.entry(y) {
                e.insert(x);
                queue.push_back(y);
            }
        }
    }
    vec![from, to]
}
