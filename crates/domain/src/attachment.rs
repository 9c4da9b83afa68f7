//! What a case may carry as attachments (SPEC §11 "Cases"): PNG, JPEG, GIF, WebP or PDF, at
//! most [`MAX_ATTACHMENTS`] per case and [`MAX_ATTACHMENT_BYTES`] each, images no larger than
//! [`MAX_IMAGE_SIDE`] pixels on either side, and the name a download is offered under.
//!
//! These are the rules only. Reading a file's bytes (which type it is, how large its header
//! says it is, which metadata to drop) is the byte-level work of `provisio-attachments`, which
//! asks these functions for every decision, so the limits live here and nowhere else. The
//! client's file name and `Content-Type` never decide the type: the bytes do.

use crate::values::is_forbidden_in_name;

/// The most attachments one case carries.
pub const MAX_ATTACHMENTS: usize = 5;
/// The largest attachment, in bytes (5 MiB).
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;
/// The longest side of an image, in pixels. Checked from the header, before anything decodes
/// the pixels, so that a small file claiming a huge canvas (a pixel flood) never allocates it.
pub const MAX_IMAGE_SIDE: u32 = 10_000;
/// The longest download name, in characters, extension included.
pub const MAX_FILENAME_CHARS: usize = 100;

/// The kinds of file a case accepts, decided from the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttachmentType {
    Png,
    Jpeg,
    Gif,
    Webp,
    Pdf,
}

impl AttachmentType {
    /// The media type the attachment is stored and served with.
    pub fn mime(self) -> &'static str {
        match self {
            AttachmentType::Png => "image/png",
            AttachmentType::Jpeg => "image/jpeg",
            AttachmentType::Gif => "image/gif",
            AttachmentType::Webp => "image/webp",
            AttachmentType::Pdf => "application/pdf",
        }
    }

    /// The extension a download's name ends with (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            AttachmentType::Png => "png",
            AttachmentType::Jpeg => "jpg",
            AttachmentType::Gif => "gif",
            AttachmentType::Webp => "webp",
            AttachmentType::Pdf => "pdf",
        }
    }
}

/// Why an attachment was refused. The server maps [`too_large`](Self::too_large) to
/// `payload_too_large` and the rest to `invalid_request`, and renders the words of
/// [`key`](Self::key) per edge; nothing here is prose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentRefusal {
    /// The file has no bytes.
    #[error("empty attachment")]
    Empty,
    /// The bytes are none of the accepted types (whatever the name or `Content-Type` said).
    #[error("attachment type not allowed")]
    NotAllowed,
    /// The bytes start like an accepted type but its structure cannot be read.
    #[error("damaged attachment")]
    Damaged,
    /// An image whose header claims a side longer than [`MAX_IMAGE_SIDE`].
    #[error("image of {width} x {height} pixels is too large")]
    TooManyPixels { width: u32, height: u32 },
    /// More than [`MAX_ATTACHMENT_BYTES`].
    #[error("attachment too large")]
    TooLarge,
    /// More than [`MAX_ATTACHMENTS`] on one case.
    #[error("too many attachments")]
    TooMany,
}

impl AttachmentRefusal {
    /// The translation key of the refusal's message.
    pub fn key(&self) -> &'static str {
        match self {
            AttachmentRefusal::Empty => "attachment-empty",
            AttachmentRefusal::NotAllowed => "attachment-not-allowed",
            AttachmentRefusal::Damaged => "attachment-damaged",
            AttachmentRefusal::TooManyPixels { .. } => "attachment-too-many-pixels",
            AttachmentRefusal::TooLarge => "attachment-too-large",
            AttachmentRefusal::TooMany => "attachment-too-many",
        }
    }

    /// The arguments the message of [`key`](Self::key) names (the limits it states, and an
    /// image's claimed size).
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            AttachmentRefusal::TooManyPixels { width, height } => vec![
                ("width", width.to_string()),
                ("height", height.to_string()),
                ("max", MAX_IMAGE_SIDE.to_string()),
            ],
            AttachmentRefusal::TooLarge => {
                vec![("max_mb", (MAX_ATTACHMENT_BYTES / (1024 * 1024)).to_string())]
            }
            AttachmentRefusal::TooMany => vec![("max", MAX_ATTACHMENTS.to_string())],
            AttachmentRefusal::Empty
            | AttachmentRefusal::NotAllowed
            | AttachmentRefusal::Damaged => vec![],
        }
    }

    /// Whether the refusal is about size (`payload_too_large`) rather than content
    /// (`invalid_request`).
    pub fn too_large(&self) -> bool {
        matches!(
            self,
            AttachmentRefusal::TooLarge | AttachmentRefusal::TooMany
        )
    }
}

/// A case may carry `n` attachments: none is fine, more than [`MAX_ATTACHMENTS`] is not.
pub fn check_count(n: usize) -> Result<(), AttachmentRefusal> {
    if n > MAX_ATTACHMENTS {
        return Err(AttachmentRefusal::TooMany);
    }
    Ok(())
}

/// A file of `len` bytes may be looked at: not empty, not over [`MAX_ATTACHMENT_BYTES`].
/// Checked before anything reads the bytes.
pub fn check_size(len: usize) -> Result<(), AttachmentRefusal> {
    if len == 0 {
        return Err(AttachmentRefusal::Empty);
    }
    if len > MAX_ATTACHMENT_BYTES {
        return Err(AttachmentRefusal::TooLarge);
    }
    Ok(())
}

/// An image (or one frame of it) whose header says `width` × `height` may be kept: a side of
/// zero is a damaged header, a side over [`MAX_IMAGE_SIDE`] is refused before decoding.
pub fn check_dimensions(width: u32, height: u32) -> Result<(), AttachmentRefusal> {
    if width == 0 || height == 0 {
        return Err(AttachmentRefusal::Damaged);
    }
    if width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE {
        return Err(AttachmentRefusal::TooManyPixels { width, height });
    }
    Ok(())
}

/// The name a download of an attachment of type `ty` is offered under, from the name the
/// client gave: its last path component only (`/` and `\` both separate), without control,
/// bidirectional or other format characters ([`is_forbidden_in_name`]) and without quotes,
/// trimmed of spaces and dots at either end, at most [`MAX_FILENAME_CHARS`] characters, and
/// ending in `ty`'s extension: an extension the name had (letters and digits after the last
/// dot) is replaced, so `x.png` that is a PDF is offered as `x.pdf`; anything else after the
/// last dot (`10.15.32`) stays and the extension is added. `attachment.<ext>` when nothing is
/// left.
pub fn safe_filename(name: &str, ty: AttachmentType) -> String {
    let ext = ty.extension();
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|&c| !is_forbidden_in_name(c) && !matches!(c, '"' | '\''))
        .collect();
    let cleaned = cleaned.trim_end_matches(|c: char| c.is_whitespace() || c == '.');
    let stem = match cleaned.rsplit_once('.') {
        Some((stem, old)) if is_extension(old) => trim_name(stem),
        _ => trim_name(cleaned),
    };
    let room = MAX_FILENAME_CHARS - 1 - ext.len();
    let stem: String = stem.chars().take(room).collect();
    let stem = trim_name(&stem);
    if stem.is_empty() {
        return format!("attachment.{ext}");
    }
    format!("{stem}.{ext}")
}

/// Without the spaces and dots at either end (a leading dot hides a file; `..` is no name).
fn trim_name(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '.')
}

/// Whether the text after a name's last dot is an extension (`png`, `JPG`, `mp4`) rather than
/// part of the name (`32` of `10.15.32`, `final draft`).
fn is_extension(s: &str) -> bool {
    (1..=10).contains(&s.len())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
        && s.chars().any(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
#[path = "attachment_tests.rs"]
mod tests;
