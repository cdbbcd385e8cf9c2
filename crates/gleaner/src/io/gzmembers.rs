//! Gzip decoding member by member, resuming after a damaged member: the crawl readers' name
//! for [`super::members`], which holds the logic for gzip and zstd alike.
//!
//! A damaged member surfaces once as an `InvalidData` error carrying a
//! [`DamagedMember`](super::members::DamagedMember) (byte range, what it held as far as
//! decoded); [`is_recoverable`] is true for it, and the next read returns the next intact
//! member. The framers treat that error as a reject and resynchronise on the next record.

use std::io::{Read, Seek};

use super::members::{Codec, LargeMembers, MemberReader};
pub use super::members::{DamagedMember as CorruptMember, damage_of, is_recoverable};

/// Decompresses a gzip stream member by member; see the module documentation.
pub struct GzMembers<R>(MemberReader<R>);

impl<R: Read + Seek> GzMembers<R> {
    /// Reads the gzip stream in `raw`, positioned at its start.
    pub fn new(raw: R) -> Self {
        GzMembers(MemberReader::new(raw, Codec::Gzip, LargeMembers::Stream))
    }
}

impl<R: Read + Seek> Read for GzMembers<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(out)
    }
}
