//! WebP, through `img-parts`' RIFF reader (which reads exactly the length the RIFF header
//! gives, so anything appended after the image is dropped).
//!
//! The size is checked wherever a decoder takes one from: the extended header's canvas
//! (VP8X), every VP8 (lossy) and VP8L (lossless) bitstream header, and every animation frame
//! (its region and its bitstream). Kept: the image and animation chunks and the ICC colour
//! profile ([`KEPT`]); dropped: `EXIF`, `XMP ` and unknown chunks, also inside animation
//! frames, with the extended header's EXIF and XMP flags cleared to match.

use img_parts::Bytes;
use img_parts::riff::{RiffChunk, RiffContent};
use img_parts::webp::{
    CHUNK_ALPH, CHUNK_ANIM, CHUNK_ANMF, CHUNK_ICCP, CHUNK_VP8, CHUNK_VP8L, CHUNK_VP8X, WebP,
};
use provisio_domain::attachment::{AttachmentRefusal, check_dimensions};

use crate::check_frame;
use crate::read::{le16, le24, le32};
use AttachmentRefusal::Damaged;

/// The top-level chunks kept.
const KEPT: [[u8; 4]; 7] = [
    CHUNK_VP8X, CHUNK_VP8, CHUNK_VP8L, CHUNK_ALPH, CHUNK_ANIM, CHUNK_ANMF, CHUNK_ICCP,
];
/// The VP8X flags of the chunks removed here.
const EXIF_FLAG: u8 = 0b0000_1000;
const XMP_FLAG: u8 = 0b0000_0100;
/// An ANMF chunk's own fields before its frame's chunks: X, Y, width − 1, height − 1,
/// duration (three bytes each) and one byte of flags.
const ANMF_HEADER: usize = 16;

/// The image without its metadata, or why it cannot be kept.
pub(crate) fn clean(input: &[u8]) -> Result<Vec<u8>, AttachmentRefusal> {
    let mut webp = WebP::from_bytes(Bytes::copy_from_slice(input)).map_err(|_| Damaged)?;
    let first = webp.chunks().first().ok_or(Damaged)?.id();
    if ![CHUNK_VP8X, CHUNK_VP8, CHUNK_VP8L].contains(&first) {
        return Err(Damaged);
    }
    let mut images = 0;
    for chunk in webp.chunks() {
        let data = || chunk.content().data().ok_or(Damaged);
        match chunk.id() {
            CHUNK_VP8X => {
                let width = le24(data()?, 4).ok_or(Damaged)? + 1;
                let height = le24(data()?, 7).ok_or(Damaged)? + 1;
                check_dimensions(width, height)?;
            }
            CHUNK_VP8 | CHUNK_VP8L => {
                bitstream_fits(chunk.id(), data()?)?;
                images += 1;
            }
            CHUNK_ANMF => {
                frame_fits(data()?)?;
                images += 1;
            }
            _ => {}
        }
    }
    if images == 0 {
        return Err(Damaged);
    }

    let chunks = webp.chunks_mut();
    chunks.retain(|chunk| KEPT.contains(&chunk.id()));
    for chunk in chunks.iter_mut() {
        let id = chunk.id();
        if let RiffContent::Data(data) = chunk.content_mut() {
            if id == CHUNK_VP8X {
                let mut header = data.to_vec();
                if let Some(flags) = header.first_mut() {
                    *flags &= !(EXIF_FLAG | XMP_FLAG);
                }
                *data = Bytes::from(header);
            } else if id == CHUNK_ANMF {
                *data = Bytes::from(clean_frame(data)?);
            }
        }
    }
    Ok(webp.encoder().bytes().to_vec())
}

/// Whether a VP8 or VP8L bitstream's header can be read and its size is within the limit.
fn bitstream_fits(id: [u8; 4], data: &[u8]) -> Result<(), AttachmentRefusal> {
    let (width, height) = if id == CHUNK_VP8 {
        // A key frame: a 3-byte frame tag with bit 0 clear, the start code 9d 01 2a, then
        // 14-bit width and height (the top two bits are scaling).
        let tag = le24(data, 0).ok_or(Damaged)?;
        if tag & 1 != 0 || data.get(3..6) != Some(&[0x9d, 0x01, 0x2a][..]) {
            return Err(Damaged);
        }
        let width = le16(data, 6).ok_or(Damaged)? & 0x3FFF;
        let height = le16(data, 8).ok_or(Damaged)? & 0x3FFF;
        (u32::from(width), u32::from(height))
    } else {
        // The signature 0x2f, then width − 1 and height − 1 in 14 bits each.
        if data.first() != Some(&0x2f) {
            return Err(Damaged);
        }
        let bits = le32(data, 1).ok_or(Damaged)?;
        ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    };
    check_dimensions(width, height)
}

/// Whether an animation frame's region and every bitstream in it are within the limit.
fn frame_fits(data: &[u8]) -> Result<(), AttachmentRefusal> {
    let field = |at| le24(data, at).ok_or(Damaged);
    // Offsets are stored halved, sizes less one.
    check_frame(field(0)? * 2, field(3)? * 2, field(6)? + 1, field(9)? + 1)?;
    let mut bitstreams = 0;
    for (id, chunk) in frame_chunks(data)? {
        if id == CHUNK_VP8 || id == CHUNK_VP8L {
            bitstream_fits(id, chunk)?;
            bitstreams += 1;
        }
    }
    if bitstreams != 1 {
        return Err(Damaged);
    }
    Ok(())
}

/// An ANMF chunk's data with only its frame's image chunks (ALPH, VP8, VP8L) kept.
fn clean_frame(data: &[u8]) -> Result<Vec<u8>, AttachmentRefusal> {
    let mut out = data.get(..ANMF_HEADER).ok_or(Damaged)?.to_vec();
    for (id, chunk) in frame_chunks(data)? {
        if [CHUNK_ALPH, CHUNK_VP8, CHUNK_VP8L].contains(&id) {
            let kept = RiffChunk::new(id, RiffContent::Data(Bytes::copy_from_slice(chunk)));
            for piece in kept.encoder() {
                out.extend_from_slice(&piece);
            }
        }
    }
    Ok(out)
}

/// A chunk inside an animation frame: its id and its data.
type FrameChunk<'a> = ([u8; 4], &'a [u8]);

/// The chunks of an ANMF chunk's frame, each checked to lie within it.
fn frame_chunks(data: &[u8]) -> Result<Vec<FrameChunk<'_>>, AttachmentRefusal> {
    let mut chunks = Vec::new();
    let mut at = ANMF_HEADER;
    while at < data.len() {
        let id: [u8; 4] = data
            .get(at..at + 4)
            .and_then(|id| id.try_into().ok())
            .ok_or(Damaged)?;
        let len = usize::try_from(le32(data, at + 4).ok_or(Damaged)?).map_err(|_| Damaged)?;
        let start = at + 8;
        let end = start.checked_add(len).ok_or(Damaged)?;
        chunks.push((id, data.get(start..end).ok_or(Damaged)?));
        // Chunks of odd length are followed by one byte of padding.
        at = end + len % 2;
    }
    Ok(chunks)
}
