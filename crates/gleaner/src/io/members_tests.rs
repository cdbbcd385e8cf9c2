use super::*;
use std::io::Cursor;

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zst(data: &[u8], checksum: bool) -> Vec<u8> {
    let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    e.include_checksum(checksum).unwrap();
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Reads everything: the released bytes and the damage reported, in order of occurrence as
/// (released bytes before it, damage).
fn drain(r: &mut impl Read) -> (Vec<u8>, Vec<(usize, DamagedMember)>) {
    let mut out = Vec::new();
    let mut damage = Vec::new();
    let mut buf = [0u8; 1000];
    let mut errors_in_a_row = 0;
    loop {
        match r.read(&mut buf) {
            Ok(0) => return (out, damage),
            Ok(n) => {
                errors_in_a_row = 0;
                out.extend_from_slice(&buf[..n]);
            }
            Err(e) => {
                let d = damage_of(&e).unwrap_or_else(|| panic!("not recoverable: {e}"));
                damage.push((out.len(), d.clone()));
                errors_in_a_row += 1;
                assert!(errors_in_a_row < 100, "error loop");
            }
        }
    }
}

fn lines(n: std::ops::Range<usize>, tag: &str) -> Vec<u8> {
    n.map(|i| format!("{{\"id\":\"{tag}{i}\",\"text\":\"line {i} of {tag}\"}}\n"))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn a_bit_flipped_gzip_member_releases_nothing_and_the_next_member_reads() {
    let (a, b, c) = (lines(0..50, "a"), lines(0..400, "b"), lines(0..50, "c"));
    let (ga, mut gb, gc) = (gz(&a), gz(&b), gz(&c));
    let mid = gb.len() / 2;
    gb[mid] ^= 0x10;
    let file = [ga.clone(), gb.clone(), gc].concat();
    let (out, damage) = drain(&mut MemberReader::new(
        Cursor::new(file),
        Codec::Gzip,
        LargeMembers::Stream,
    ));
    assert_eq!(out, [a.clone(), c].concat());
    assert_eq!(damage.len(), 1);
    let (at, d) = &damage[0];
    assert_eq!(*at, a.len(), "reported between the members");
    assert_eq!(d.kind, "corrupt_gzip_member");
    assert_eq!(
        (d.start, d.end),
        (ga.len() as u64, (ga.len() + gb.len()) as u64)
    );
    assert!(d.decoded_lines <= 400 && d.decoded_lines > 0, "{d:?}");
}

#[test]
fn a_truncated_gzip_member_costs_only_itself() {
    // Per-record members: the second is cut short, the third must still read.
    let parts = [lines(0..3, "a"), lines(0..30, "b"), lines(0..3, "c")];
    let members: Vec<Vec<u8>> = parts.iter().map(|p| gz(p)).collect();
    let cut = members[1].len() - 20;
    let file = [
        members[0].clone(),
        members[1][..cut].to_vec(),
        members[2].clone(),
    ]
    .concat();
    let (out, damage) = drain(&mut MemberReader::new(
        Cursor::new(file),
        Codec::Gzip,
        LargeMembers::Stream,
    ));
    assert_eq!(out, [parts[0].clone(), parts[2].clone()].concat());
    assert_eq!(damage.len(), 1);
    let d = &damage[0].1;
    assert_eq!(
        (d.start, d.end),
        (members[0].len() as u64, (members[0].len() + cut) as u64)
    );
}

#[test]
fn a_corrupt_zstd_frame_costs_only_itself_and_skippable_frames_are_read() {
    let parts = [lines(0..40, "a"), lines(0..300, "b"), lines(0..40, "c")];
    let mut frames: Vec<Vec<u8>> = parts.iter().map(|p| zst(p, true)).collect();
    let mid = frames[1].len() / 2;
    for x in &mut frames[1][mid..mid + 8] {
        *x ^= 0xa5;
    }
    // A skippable frame (magic 0x184D2A53, 4 bytes of payload) between the last two.
    let skippable = [0x53, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4].to_vec();
    let file = [
        frames[0].clone(),
        frames[1].clone(),
        skippable,
        frames[2].clone(),
    ]
    .concat();
    let (out, damage) = drain(&mut MemberReader::new(
        Cursor::new(file),
        Codec::Zstd,
        LargeMembers::Stream,
    ));
    assert_eq!(out, [parts[0].clone(), parts[2].clone()].concat());
    assert_eq!(damage.len(), 1, "{damage:?}");
    let d = &damage[0].1;
    assert_eq!(d.kind, "corrupt_zstd_frame");
    assert_eq!(
        (d.start, d.end),
        (
            frames[0].len() as u64,
            (frames[0].len() + frames[1].len()) as u64
        )
    );
}

#[test]
fn a_checksum_failure_is_caught_in_a_zstd_frame_with_a_checksum() {
    let parts = [lines(0..10, "a"), lines(0..10, "b")];
    let mut frames: Vec<Vec<u8>> = parts.iter().map(|p| zst(p, true)).collect();
    // The last 4 bytes of a frame with a checksum are the checksum: flipping one leaves the
    // data decodable, so only the checksum can tell.
    let n = frames[0].len();
    frames[0][n - 1] ^= 1;
    let (out, damage) = drain(&mut MemberReader::new(
        Cursor::new(frames.concat()),
        Codec::Zstd,
        LargeMembers::Stream,
    ));
    assert_eq!(out, parts[1]);
    assert_eq!(damage.len(), 1);
    // zstd reports the checksum error without handing over the frame's last block, so "as far
    // as decoded" may be less than the frame held.
    assert!(damage[0].1.decoded_lines <= 10);
    assert_eq!((damage[0].1.start, damage[0].1.end), (0, n as u64));
}

#[test]
fn a_member_larger_than_the_hold_limit_spills_and_reads_whole() {
    let big = lines(0..5000, "big");
    let tail = lines(0..5, "t");
    for codec in [Codec::Gzip, Codec::Zstd] {
        let enc = |d: &[u8]| match codec {
            Codec::Gzip => gz(d),
            Codec::Zstd => zst(d, true),
        };
        let file = [enc(&big), enc(&tail)].concat();
        let mut r = MemberReader::with_limit(Cursor::new(file), codec, LargeMembers::Spill, 4096);
        let (out, damage) = drain(&mut r);
        assert!(damage.is_empty());
        assert_eq!(out, [big.clone(), tail.clone()].concat());

        // Damaged near its end, after several spills: nothing of it comes out.
        let mut damaged = enc(&big);
        let k = damaged.len() - 12;
        damaged[k] ^= 0x40;
        let file = [damaged.clone(), enc(&tail)].concat();
        let mut r = MemberReader::with_limit(Cursor::new(file), codec, LargeMembers::Spill, 4096);
        let (out, damage) = drain(&mut r);
        assert_eq!(out, tail, "{codec:?}");
        assert_eq!(damage.len(), 1);
        assert_eq!(
            (damage[0].1.start, damage[0].1.end),
            (0, damaged.len() as u64)
        );
    }
}

#[test]
fn bytes_that_start_no_member_are_one_damage() {
    let (a, c) = (lines(0..5, "a"), lines(0..5, "c"));
    let file = [gz(&a), b"\0\0 not gzip at all \0\0".to_vec(), gz(&c)].concat();
    let (out, damage) = drain(&mut MemberReader::new(
        Cursor::new(file),
        Codec::Gzip,
        LargeMembers::Stream,
    ));
    assert_eq!(out, [a, c].concat());
    assert_eq!(damage.len(), 1);
    assert_eq!(damage[0].1.kind, "not_compressed");
}

#[test]
fn two_damaged_members_apart_are_two_rejects() {
    let parts: Vec<Vec<u8>> = (0..5).map(|i| lines(0..20, &format!("m{i}"))).collect();
    let mut members: Vec<Vec<u8>> = parts.iter().map(|p| gz(p)).collect();
    for i in [1, 3] {
        let m = members[i].len() / 2;
        members[i][m] ^= 0x01;
    }
    let (out, damage) = drain(&mut MemberReader::new(
        Cursor::new(members.concat()),
        Codec::Gzip,
        LargeMembers::Stream,
    ));
    assert_eq!(
        out,
        [parts[0].clone(), parts[2].clone(), parts[4].clone()].concat()
    );
    assert_eq!(damage.len(), 2);
}

#[test]
fn a_header_split_across_input_reads_is_found() {
    // A candidate straddling the scanner's buffer edge must not be missed: garbage of every
    // length around the input chunk puts the next header at every offset near the edge.
    let c = lines(0..3, "c");
    for pad in INPUT_CHUNK - 6..INPUT_CHUNK + 2 {
        let file = [vec![b'x'; pad], gz(&c)].concat();
        let (out, damage) = drain(&mut MemberReader::new(
            Cursor::new(file),
            Codec::Gzip,
            LargeMembers::Stream,
        ));
        assert_eq!(out, c, "pad {pad}");
        assert_eq!(damage.len(), 1);
        assert_eq!(damage[0].1.end, pad as u64);
    }
}

/// Compressed bytes with a count of how many of them the reader has taken.
struct Metered {
    inner: Cursor<Vec<u8>>,
    taken: std::rc::Rc<std::cell::Cell<u64>>,
}

impl Read for Metered {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.taken.set(self.taken.get() + n as u64);
        Ok(n)
    }
}

impl Seek for Metered {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.inner.seek(to)
    }
}

/// `n` lines of pseudo-random hex: text that compresses to about half, so a member spans many
/// input reads.
fn noisy_lines(n: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = String::new();
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push_str(&format!(
            "{{\"id\":\"{i}\",\"text\":\"{x:016x}{:016x}\"}}\n",
            x.rotate_left(29)
        ));
    }
    out.into_bytes()
}

#[test]
fn a_large_member_streams_before_its_end_and_a_spilling_reader_waits_for_it() {
    // About 300 KiB compressed, several input reads: with a 4 KiB threshold the streaming
    // reader hands out its first bytes long before it has read the member's end; the
    // verifying reader only after.
    let big = noisy_lines(10_000);
    for codec in [Codec::Gzip, Codec::Zstd] {
        let file = match codec {
            Codec::Gzip => gz(&big),
            Codec::Zstd => zst(&big, true),
        };
        let size = file.len() as u64;
        for (large, first_before_end) in
            [(LargeMembers::Stream, true), (LargeMembers::Spill, false)]
        {
            let taken = std::rc::Rc::new(std::cell::Cell::new(0));
            let raw = Metered {
                inner: Cursor::new(file.clone()),
                taken: taken.clone(),
            };
            let mut r = MemberReader::with_limit(raw, codec, large, 4096);
            let mut first = [0u8; 100];
            r.read_exact(&mut first).unwrap();
            assert_eq!(
                taken.get() < size,
                first_before_end,
                "{codec:?} {large:?}: {} of {size} compressed bytes read before the first 100 came out",
                taken.get()
            );
            let (rest, damage) = drain(&mut r);
            assert!(damage.is_empty());
            assert_eq!([&first[..], &rest[..]].concat(), big, "{codec:?} {large:?}");
        }
    }
}

#[test]
fn a_streamed_member_that_fails_its_checksum_asks_for_a_reread() {
    let big = lines(0..20_000, "big");
    let tail = lines(0..5, "t");
    for codec in [Codec::Gzip, Codec::Zstd] {
        let enc = |d: &[u8]| match codec {
            Codec::Gzip => gz(d),
            Codec::Zstd => zst(d, true),
        };
        // A bit flip in the checksum trailer: every byte decodes, only the check fails.
        let mut damaged = enc(&big);
        let k = damaged.len() - if codec == Codec::Gzip { 6 } else { 2 };
        damaged[k] ^= 0x40;
        let file = [damaged.clone(), enc(&tail)].concat();
        let mut r =
            MemberReader::with_limit(Cursor::new(file.clone()), codec, LargeMembers::Stream, 4096);
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).unwrap_err();
        assert!(needs_reread(&err), "{codec:?}: {err}");
        assert!(
            !is_recoverable(&err),
            "{codec:?}: a streamed member cannot be skipped"
        );
        assert!(!out.is_empty() && big.starts_with(&out), "{codec:?}");
        // The reader stays ended: nothing of the tail is released after the damage.
        assert_eq!(r.read(&mut [0u8; 64]).unwrap(), 0);

        // Read again verifying every member: the damaged member is one reject, the tail reads.
        let mut r = MemberReader::with_limit(Cursor::new(file), codec, LargeMembers::Spill, 4096);
        let (out, damage) = drain(&mut r);
        assert_eq!(out, tail, "{codec:?}");
        assert_eq!(damage.len(), 1);
        assert_eq!(damage[0].1.start, 0);
    }
}
