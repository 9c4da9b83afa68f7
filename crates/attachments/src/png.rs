//! PNG, through `img-parts` (which checks every chunk's CRC and stops at `IEND`, so anything
//! appended after the image is dropped).
//!
//! Kept: the chunks that draw the image, [`KEPT`]. Dropped: every other chunk, known or not:
//! `eXIf`, `tEXt`, `zTXt`, `iTXt` (where cameras and editors write EXIF, XMP and comments),
//! `tIME`, and private chunks.

use img_parts::Bytes;
use img_parts::png::Png;
use provisio_domain::attachment::{AttachmentRefusal, check_dimensions};

use crate::check_frame;
use crate::read::be32;
use AttachmentRefusal::Damaged;

/// The chunks kept: critical ones, transparency and colour (ICC profile, sRGB, gamma,
/// chromaticities, HDR), significant bits, background, pixel density, and APNG's animation.
const KEPT: [&[u8; 4]; 18] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB",
    b"cICP", b"mDCV", b"cLLI", b"bKGD", b"pHYs", b"acTL", b"fcTL", b"fdAT",
];

/// The image without its metadata, or why it cannot be kept.
pub(crate) fn clean(input: &[u8]) -> Result<Vec<u8>, AttachmentRefusal> {
    let mut png = Png::from_bytes(Bytes::copy_from_slice(input)).map_err(|_| Damaged)?;
    let chunks = png.chunks();

    // The header comes first, once; its size is checked before the rest is looked at.
    let header = chunks.first().ok_or(Damaged)?;
    if &header.kind() != b"IHDR" || header.contents().len() != 13 {
        return Err(Damaged);
    }
    let width = be32(header.contents(), 0).ok_or(Damaged)?;
    let height = be32(header.contents(), 4).ok_or(Damaged)?;
    check_dimensions(width, height)?;
    // APNG: every frame's region (width, height, x and y offsets) is within the limit too.
    for frame in chunks.iter().filter(|c| &c.kind() == b"fcTL") {
        let field = |at| be32(frame.contents(), at).ok_or(Damaged);
        check_frame(field(12)?, field(16)?, field(4)?, field(8)?)?;
    }

    let count = |kind: &[u8; 4]| chunks.iter().filter(|c| &c.kind() == kind).count();
    let ends = chunks.last().is_some_and(|c| &c.kind() == b"IEND");
    if count(b"IHDR") != 1 || count(b"IDAT") == 0 || !ends {
        return Err(Damaged);
    }

    png.chunks_mut()
        .retain(|chunk| KEPT.contains(&&chunk.kind()));
    Ok(png.encoder().bytes().to_vec())
}
