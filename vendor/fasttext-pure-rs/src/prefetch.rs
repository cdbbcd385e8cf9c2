//! A software prefetch hint (gleaner patch).
//!
//! Prediction sums hundreds of rows scattered over an input matrix far larger than the cache,
//! and looks tokens up in a table of megabytes; each is a cache miss whose address is known well
//! before it is needed (the rows of a document are all known once it is tokenised). Asking for
//! them a few steps ahead overlaps the misses instead of waiting on each in turn.

/// Hints the CPU to load the cache line holding `p`. Never faults, whatever `p` is.
#[inline(always)]
pub(crate) fn prefetch(p: *const u8) {
   #[cfg(target_arch = "x86_64")]
   // SAFETY: a prefetch is a hint: it reads nothing architecturally and cannot fault, for any
   // address. SSE is part of the x86_64 baseline.
   unsafe {
      core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast());
   }
   #[cfg(not(target_arch = "x86_64"))]
   let _ = p;
}
