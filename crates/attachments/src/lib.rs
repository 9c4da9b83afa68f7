//! The bytes of a case's attachments (SPEC §11 "Cases"), made safe to keep: [`check`] decides
//! the type from the bytes alone, reads an image's size from its header before anything
//! decodes it, and removes the image's metadata (EXIF with a phone's GPS position, XMP, IPTC,
//! comments, text chunks) without re-encoding a pixel. Pure: no I/O, no clock.
//!
//! The rules (which types, which limits, the refusals, the download name) are the domain's
//! (`provisio_domain::attachment`); this crate only reads and rewrites bytes. Every format is
//! walked with bounds checks: malformed input is refused as
//! [`Damaged`](AttachmentRefusal::Damaged), never a panic.
//!
//! What is kept of an image is what draws it, its colour included: pixel data, palettes,
//! transparency, the ICC colour profile of JPEG, PNG and WebP (a screenshot from a wide-gamut
//! display looks wrong without it, and it says nothing about the person), JPEG's JFIF header
//! (its thumbnail removed) and Adobe colour-transform marker, PNG's colour and animation
//! chunks, GIF's looping extension. Everything else is dropped, including chunks this code
//! does not know, and everything after the image's end marker (a second, appended image or
//! file).
//!
//! A PDF is stored as it came: it is not rewritten, so whatever it carries (metadata,
//! scripts, forms) it keeps. It is safe only because it is served as a download
//! (`Content-Disposition: attachment`, `nosniff`, a sandboxing CSP), never rendered inline by
//! us.

mod gif;
mod jpeg;
mod png;
mod read;
mod webp;

use std::fmt;

pub use provisio_domain::attachment::{AttachmentRefusal, AttachmentType};
use provisio_domain::attachment::{check_size, safe_filename};

/// An attachment that passed every check, as it is to be stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Checked {
    /// The type the bytes are.
    pub kind: AttachmentType,
    /// The name a download is offered under (`provisio_domain::attachment::safe_filename`).
    pub filename: String,
    /// The bytes to store: an image without its metadata, a PDF as it came.
    pub bytes: Vec<u8>,
}

/// The bytes' length only: a log line is no place for megabytes of a person's picture.
impl fmt::Debug for Checked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checked")
            .field("kind", &self.kind)
            .field("filename", &self.filename)
            .field("bytes", &format_args!("{} bytes", self.bytes.len()))
            .finish()
    }
}

/// Checks one uploaded file, `filename` being the name the client gave (used only for the
/// download name, never for the type). In this order: empty → `Empty`; over the size limit →
/// `TooLarge`; none of the accepted types by its first bytes → `NotAllowed`; an image whose
/// header cannot be read → `Damaged`, or which claims a side over the limit (any frame of it)
/// → `TooManyPixels`; then the image's metadata is removed.
pub fn check(filename: &str, bytes: &[u8]) -> Result<Checked, AttachmentRefusal> {
    check_size(bytes.len())?;
    let kind = sniff(bytes).ok_or(AttachmentRefusal::NotAllowed)?;
    let bytes = match kind {
        AttachmentType::Png => png::clean(bytes)?,
        AttachmentType::Jpeg => jpeg::clean(bytes)?,
        AttachmentType::Gif => gif::clean(bytes)?,
        AttachmentType::Webp => webp::clean(bytes)?,
        AttachmentType::Pdf => bytes.to_vec(),
    };
    Ok(Checked {
        kind,
        filename: safe_filename(filename, kind),
        bytes,
    })
}

/// The type `bytes` are, by their signature at offset 0, or `None` for anything else (HTML,
/// SVG, XML, executables, archives, text).
///
/// Written here rather than taken from `infer`: its matchers are looser than a security check
/// may be (GIF by three bytes, WebP without the RIFF header, and PDF when `%PDF` occurs
/// anywhere in the first KiB, which an HTML file can arrange). Here every signature is whole
/// and at the start, so a file that starts as anything else is none of these.
pub fn sniff(bytes: &[u8]) -> Option<AttachmentType> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(PNG) {
        Some(AttachmentType::Png)
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some(AttachmentType::Jpeg)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(AttachmentType::Gif)
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some(AttachmentType::Webp)
    } else if bytes.starts_with(b"%PDF-") {
        Some(AttachmentType::Pdf)
    } else {
        None
    }
}

/// Whether a frame placed at `(x, y)` with size `width` × `height` stays within the image size
/// limit, as the domain's rule for one image; sums are taken without overflow.
fn check_frame(x: u32, y: u32, width: u32, height: u32) -> Result<(), AttachmentRefusal> {
    provisio_domain::attachment::check_dimensions(width, height)?;
    let right = u64::from(x) + u64::from(width);
    let bottom = u64::from(y) + u64::from(height);
    let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    provisio_domain::attachment::check_dimensions(clamp(right), clamp(bottom))
}
