//! Concurrent union-find over dense document ordinals, for connected components of duplicate
//! edges.
//!
//! One `AtomicU32` per document (4 bytes/doc: 20 MB for 5 M documents) is the only per-document
//! state clustering holds; edges are streamed from sorted run files and never stored. Unions
//! always link the larger root under the smaller one, so whatever order threads apply edges in,
//! every component ends up rooted at its smallest ordinal, i.e. the first document in input order:
//! the kept document is deterministic without a separate pass.

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

/// Lock-free disjoint sets on `0..n`.
pub struct UnionFind {
    parent: Vec<AtomicU32>,
}

impl UnionFind {
    /// `n` singleton sets.
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).into_par_iter().map(AtomicU32::new).collect(),
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The root of `x`'s set, halving the path on the way (a benign race: any parent written is
    /// an ancestor, so concurrent halvings only shorten paths).
    pub fn find(&self, mut x: u32) -> u32 {
        loop {
            let p = self.parent[x as usize].load(Ordering::Acquire);
            if p == x {
                return x;
            }
            let gp = self.parent[p as usize].load(Ordering::Acquire);
            if gp != p {
                let _ = self.parent[x as usize].compare_exchange(
                    p,
                    gp,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                );
            }
            x = gp;
        }
    }

    /// Joins the sets of `a` and `b`; the smaller root becomes the root of both.
    pub fn union(&self, a: u32, b: u32) {
        loop {
            let ra = self.find(a);
            let rb = self.find(b);
            if ra == rb {
                return;
            }
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            // Only a root may be re-linked; if `hi` stopped being a root meanwhile, retry.
            if self.parent[hi as usize]
                .compare_exchange(hi, lo, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return;
            }
        }
    }

    /// The root of every element, computed in place (call after all unions): no second array of
    /// 4 bytes per document.
    pub fn into_roots(self) -> Vec<u32> {
        (0..self.parent.len() as u32).into_par_iter().for_each(|x| {
            let root = self.find(x);
            self.parent[x as usize].store(root, Ordering::Relaxed);
        });
        // Reuses the allocation (same layout), so no copy is made.
        self.parent.into_iter().map(AtomicU32::into_inner).collect()
    }

    /// The root of every element, in parallel (call after all unions).
    pub fn roots(&self) -> Vec<u32> {
        (0..self.parent.len() as u32)
            .into_par_iter()
            .map(|x| self.find(x))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_rooted_at_their_smallest_member_whatever_the_union_order() {
        let uf = UnionFind::new(10);
        // Chains 9-7-5 and 8-2, applied from many threads in reverse order.
        let edges = [(9u32, 7u32), (7, 5), (8, 2), (5, 9), (3, 3)];
        edges.par_iter().for_each(|&(a, b)| uf.union(a, b));
        let roots = uf.roots();
        assert_eq!(roots[9], 5);
        assert_eq!(roots[7], 5);
        assert_eq!(roots[5], 5);
        assert_eq!(roots[8], 2);
        assert_eq!(roots[3], 3);
        assert_eq!(roots[0], 0);
    }

    #[test]
    fn parallel_unions_of_a_long_chain_give_one_component() {
        let n = 20_000u32;
        let uf = UnionFind::new(n as usize);
        (1..n)
            .into_par_iter()
            .rev()
            .for_each(|i| uf.union(i, i - 1));
        assert!(uf.roots().iter().all(|&r| r == 0));
    }
}
