//! The test frames' payload: what txonly writes into every frame and rxdrop verifies.

/// IEEE 802 local experimental EtherType 2.
pub const ETHERTYPE: u16 = 0x88B5;
/// Marks a frame of ours.
pub const MAGIC: [u8; 8] = *b"XNSTRAF1";
const OFF_MAGIC: usize = 14;
const OFF_STREAM: usize = OFF_MAGIC + 8;
const OFF_LEN: usize = OFF_STREAM + 2;
const OFF_SEQ: usize = OFF_LEN + 2;
const OFF_SUM: usize = OFF_SEQ + 8;
const OFF_FILL: usize = OFF_SUM + 4;
/// Smallest frame: Ethernet header and our header, no filler.
pub const MIN_FRAME_LEN: usize = OFF_FILL;
/// Largest frame: a 1500-byte MTU plus the Ethernet header.
pub const MAX_FRAME_LEN: usize = 1514;

/// FNV-1a, 32 bits.
fn fnv1a(mut h: u32, data: &[u8]) -> u32 {
    for &b in data {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

const FNV_OFFSET: u32 = 0x811c_9dc5;

/// The checksum of a frame: FNV-1a over everything but the checksum field itself.
fn frame_sum(frame: &[u8]) -> u32 {
    fnv1a(fnv1a(FNV_OFFSET, &frame[..OFF_SUM]), &frame[OFF_FILL..])
}

/// Write test frame `seq` of stream `stream` into `buf[..len]`; returns `len`.
///
/// Layout: broadcast destination, source `02:78:64:70:01:<stream>`, EtherType [`ETHERTYPE`],
/// then [`MAGIC`], stream (u16), frame length (u16), sequence number (u64), checksum (u32,
/// FNV-1a over the whole frame without the checksum field), filler bytes derived from `seq`.
/// All numbers big endian.
///
/// # Panics
/// When `len` is outside [`MIN_FRAME_LEN`]..=[`MAX_FRAME_LEN`] or `buf` is shorter than `len`.
pub fn encode_frame(buf: &mut [u8], stream: u16, seq: u64, len: usize) -> usize {
    assert!(
        (MIN_FRAME_LEN..=MAX_FRAME_LEN).contains(&len),
        "frame length {len}"
    );
    let f = &mut buf[..len];
    f[0..6].fill(0xff);
    f[6..12].copy_from_slice(&[0x02, 0x78, 0x64, 0x70, 0x01, stream as u8]);
    f[12..14].copy_from_slice(&ETHERTYPE.to_be_bytes());
    f[OFF_MAGIC..OFF_STREAM].copy_from_slice(&MAGIC);
    f[OFF_STREAM..OFF_LEN].copy_from_slice(&stream.to_be_bytes());
    f[OFF_LEN..OFF_SEQ].copy_from_slice(&(len as u16).to_be_bytes());
    f[OFF_SEQ..OFF_SUM].copy_from_slice(&seq.to_be_bytes());
    let seed = seq.to_le_bytes();
    for (i, b) in f[OFF_FILL..].iter_mut().enumerate() {
        *b = seed[i % 8].wrapping_add(i as u8);
    }
    let sum = frame_sum(f);
    f[OFF_SUM..OFF_FILL].copy_from_slice(&sum.to_be_bytes());
    len
}

/// What a received frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// One of ours, undamaged.
    Intact {
        /// The stream (the sender's queue).
        stream: u16,
        /// Its position in the stream.
        seq: u64,
    },
    /// Ours (our EtherType) but damaged: bad magic, length or checksum.
    Corrupted,
    /// Not ours (another EtherType): ignored.
    Foreign,
}

/// Check a received frame. Trailing bytes past the encoded length (padding) are allowed.
pub fn verify_frame(data: &[u8]) -> Verdict {
    if data.len() < 14 || data[12..14] != ETHERTYPE.to_be_bytes() {
        return Verdict::Foreign;
    }
    if data.len() < MIN_FRAME_LEN || data[OFF_MAGIC..OFF_STREAM] != MAGIC {
        return Verdict::Corrupted;
    }
    let be16 = |o: usize| u16::from_be_bytes([data[o], data[o + 1]]);
    let len = usize::from(be16(OFF_LEN));
    if len < MIN_FRAME_LEN || len > data.len() {
        return Verdict::Corrupted;
    }
    let f = &data[..len];
    let sum = u32::from_be_bytes(f[OFF_SUM..OFF_FILL].try_into().expect("4 bytes"));
    if sum != frame_sum(f) {
        return Verdict::Corrupted;
    }
    Verdict::Intact {
        stream: be16(OFF_STREAM),
        seq: u64::from_be_bytes(f[OFF_SEQ..OFF_SUM].try_into().expect("8 bytes")),
    }
}

/// How many of `total` frames stream `stream` of `streams` carries (the first `total % streams`
/// streams carry one more).
pub fn stream_share(total: u64, streams: u32, stream: u32) -> u64 {
    let streams = u64::from(streams.max(1));
    total / streams + u64::from(u64::from(stream) < total % streams)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_round_trip() {
        let mut buf = [0u8; MAX_FRAME_LEN];
        for len in [MIN_FRAME_LEN, 60, 64, 1000, MAX_FRAME_LEN] {
            for (stream, seq) in [(0u16, 0u64), (1, 1), (7, u64::MAX)] {
                let n = encode_frame(&mut buf, stream, seq, len);
                assert_eq!(n, len);
                assert_eq!(verify_frame(&buf[..n]), Verdict::Intact { stream, seq });
                // Padding after the frame is fine.
                assert_eq!(
                    verify_frame(&buf[..(n + 4).min(MAX_FRAME_LEN)]),
                    Verdict::Intact { stream, seq }
                );
                // Any flipped bit is caught.
                for i in 12..n {
                    let mut bad = buf;
                    bad[i] ^= 0x10;
                    let v = verify_frame(&bad[..n]);
                    assert!(
                        matches!(v, Verdict::Corrupted | Verdict::Foreign),
                        "flip at {i} of {len}: {v:?}"
                    );
                }
                // Truncation is caught.
                assert_eq!(verify_frame(&buf[..n - 1]), Verdict::Corrupted);
            }
        }
        let mut other = [0u8; 60];
        other[12] = 0x08;
        assert_eq!(verify_frame(&other), Verdict::Foreign);
        assert_eq!(verify_frame(&[]), Verdict::Foreign);
    }

    #[test]
    fn shares_add_up() {
        for total in [0u64, 1, 2, 3, 100_000, 100_001] {
            for streams in 1..5u32 {
                let sum: u64 = (0..streams).map(|s| stream_share(total, streams, s)).sum();
                assert_eq!(sum, total);
            }
        }
    }

    fn intact(stream: u16, seq: u64) -> Verdict {
        Verdict::Intact { stream, seq }
    }
}
