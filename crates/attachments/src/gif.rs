//! GIF, walked block by block here (no well-kept crate rewrites a GIF's blocks without
//! decoding it): the header and logical screen, then images, extensions and the trailer.
//!
//! The size is checked for the logical screen and for every image's region. Kept: the
//! colour tables, every image, graphic control extensions (frame timing and transparency) and
//! the looping extensions (`NETSCAPE2.0`, `ANIMEXTS1.0`). Dropped: comments, plain-text
//! extensions, every other application extension (XMP, ICC, editors' private data), unknown
//! extensions and anything after the trailer. A file without a trailer is `Damaged`.

use provisio_domain::attachment::{AttachmentRefusal, check_dimensions};

use crate::check_frame;
use crate::read::{Cursor, le16};
use AttachmentRefusal::Damaged;

const IMAGE: u8 = 0x2C;
const EXTENSION: u8 = 0x21;
const TRAILER: u8 = 0x3B;
const GRAPHIC_CONTROL: u8 = 0xF9;
const APPLICATION: u8 = 0xFF;
/// The application extensions kept: they only say how often an animation loops.
const LOOPING: [&[u8; 11]; 2] = [b"NETSCAPE2.0", b"ANIMEXTS1.0"];

/// The image without its metadata, or why it cannot be kept.
pub(crate) fn clean(input: &[u8]) -> Result<Vec<u8>, AttachmentRefusal> {
    let mut r = Cursor::new(input);
    let mut out = Vec::with_capacity(input.len());

    // "GIF87a" or "GIF89a" (checked when the type was sniffed), then the logical screen:
    // width, height, flags, background colour, aspect ratio.
    r.take(6)?;
    let screen = r.take(7)?;
    let width = le16(screen, 0).ok_or(Damaged)?;
    let height = le16(screen, 2).ok_or(Damaged)?;
    check_dimensions(width.into(), height.into())?;
    let flags = *screen.get(4).ok_or(Damaged)?;
    skip_colour_table(&mut r, flags)?;
    out.extend_from_slice(r.since(0)?);

    let mut images = 0;
    loop {
        let start = r.pos();
        match r.byte()? {
            IMAGE => {
                // x, y, width, height, flags; then the colour table, the LZW code size and
                // the data.
                let descriptor = r.take(9)?;
                let field = |at| le16(descriptor, at).map(u32::from).ok_or(Damaged);
                check_frame(field(0)?, field(2)?, field(4)?, field(6)?)?;
                skip_colour_table(&mut r, *descriptor.get(8).ok_or(Damaged)?)?;
                r.byte()?;
                skip_sub_blocks(&mut r)?;
                out.extend_from_slice(r.since(start)?);
                images += 1;
            }
            EXTENSION => {
                let label = r.byte()?;
                let keep = match label {
                    GRAPHIC_CONTROL => true,
                    APPLICATION => {
                        // The first sub-block is the application's 8-byte name and 3-byte
                        // code; read it without consuming, so the walk below skips it too.
                        let id = input.get(r.pos()..r.pos() + 12).ok_or(Damaged)?;
                        match id.split_first() {
                            Some((11, name)) => LOOPING.iter().any(|l| l.as_slice() == name),
                            _ => false,
                        }
                    }
                    _ => false,
                };
                skip_sub_blocks(&mut r)?;
                if keep {
                    out.extend_from_slice(r.since(start)?);
                }
            }
            TRAILER => {
                out.push(TRAILER);
                break;
            }
            _ => return Err(Damaged),
        }
    }
    if images == 0 {
        return Err(Damaged);
    }
    Ok(out)
}

/// Past the colour table that `flags` (of the logical screen or an image) announces.
fn skip_colour_table(r: &mut Cursor<'_>, flags: u8) -> Result<(), AttachmentRefusal> {
    if flags & 0x80 != 0 {
        // 2^(n + 1) colours of three bytes each.
        r.take(3 << ((flags & 0x07) + 1))?;
    }
    Ok(())
}

/// Past a run of data sub-blocks: each a length byte and that many bytes, ending with an
/// empty one.
fn skip_sub_blocks(r: &mut Cursor<'_>) -> Result<(), AttachmentRefusal> {
    loop {
        match r.byte()? {
            0 => return Ok(()),
            n => {
                r.take(n.into())?;
            }
        }
    }
}
