//! JPEG: the segments before the first scan are read by `img-parts`; the scans after it by
//! [`clean_scans`], since `img-parts` keeps everything from the first scan to the end of the
//! file as one opaque piece (appended files and a phone's second, MPF-linked image with its
//! own EXIF included).
//!
//! Kept: every segment that draws the image (frame and scan headers, tables, restart
//! intervals), the JFIF header without its thumbnail, the ICC colour profile (APP2
//! `ICC_PROFILE`) and Adobe's colour-transform marker (APP14, which CMYK images need).
//! Dropped: every other application segment (APP1 EXIF and XMP, APP2 MPF, APP13 IPTC, …),
//! comments, and everything after the end-of-image marker.

use img_parts::Bytes;
use img_parts::jpeg::{Jpeg, JpegSegment, markers};
use provisio_domain::attachment::{AttachmentRefusal, check_dimensions};

use crate::read::be16;

use AttachmentRefusal::Damaged;

/// The first bytes of a JFIF APP0 segment, without its optional thumbnail: identifier (5),
/// version (2), density unit (1), densities (2 + 2), thumbnail width and height (1 + 1).
const JFIF_LEN: usize = 14;

/// The image without its metadata, or why it cannot be kept.
pub(crate) fn clean(input: &[u8]) -> Result<Vec<u8>, AttachmentRefusal> {
    let mut jpeg = Jpeg::from_bytes(Bytes::copy_from_slice(input)).map_err(|_| Damaged)?;
    let segments = jpeg.segments();
    // One frame, whose header gives the image's size; a second one would be a second image.
    let frames = segments
        .iter()
        .filter(|s| is_frame_header(s.marker()))
        .count();
    if frames != 1 {
        return Err(Damaged);
    }
    // `None` for a side of zero, as when the height is only given after the first scan.
    let (width, height) = jpeg.dimensions().ok_or(Damaged)?;
    check_dimensions(width.into(), height.into())?;

    // The parse ends at the first scan header, which holds the rest of the file.
    let (scan, header) = segments.split_last().ok_or(Damaged)?;
    if scan.marker() != markers::SOS || !scan.has_entropy() {
        return Err(Damaged);
    }
    let rest_len = scan.len_with_entropy() - scan.len();
    let rest = input
        .len()
        .checked_sub(rest_len)
        .and_then(|start| input.get(start..))
        .ok_or(Damaged)?;
    let scans = clean_scans(rest)?;

    let mut kept: Vec<JpegSegment> = header.iter().filter_map(keep).collect();
    kept.push(JpegSegment::new_with_entropy(
        markers::SOS,
        scan.contents().clone(),
        Bytes::from(scans),
    ));
    *jpeg.segments_mut() = kept;
    Ok(jpeg.encoder().bytes().to_vec())
}

/// A segment before the first scan as it is to be kept, or `None` to drop it.
fn keep(segment: &JpegSegment) -> Option<JpegSegment> {
    let marker = segment.marker();
    let contents = segment.contents();
    match marker {
        markers::APP0 if contents.starts_with(b"JFIF\0") => {
            // The same header with a thumbnail of 0 × 0: a thumbnail can show what an edit
            // of the picture removed. A header too short to be one is dropped.
            let mut jfif = contents.get(..JFIF_LEN)?.to_vec();
            if let Some(sizes) = jfif.get_mut(JFIF_LEN - 2..) {
                sizes.fill(0);
            }
            Some(JpegSegment::new_with_contents(marker, Bytes::from(jfif)))
        }
        markers::APP2 if contents.starts_with(b"ICC_PROFILE\0") => Some(segment.clone()),
        markers::APP14 if contents.starts_with(b"Adobe") => Some(segment.clone()),
        markers::APP0..=markers::APP15 | markers::COM => None,
        _ => Some(segment.clone()),
    }
}

/// Whether `marker` starts a frame header (SOF0–SOF15 less DHT, JPG and DAC).
fn is_frame_header(marker: u8) -> bool {
    matches!(
        marker,
        markers::SOF0..=markers::SOF3
            | markers::SOF5..=markers::SOF7
            | markers::SOF9..=markers::SOF11
            | markers::SOF13..=markers::SOF15
    )
}

/// `rest`, the file after the first scan header (entropy-coded data and any further scans
/// and tables of a progressive image), up to and including the end-of-image marker, without
/// the application and comment segments between scans. Everything after the end marker is
/// dropped. No end marker, a second frame header, a marker that may not appear here or a
/// segment running past the end is `Damaged`.
fn clean_scans(rest: &[u8]) -> Result<Vec<u8>, AttachmentRefusal> {
    let mut out = Vec::with_capacity(rest.len());
    // `rest[..copied]` is either in `out` or dropped.
    let mut copied = 0;
    let mut at = 0;
    loop {
        let ff = rest
            .get(at..)
            .and_then(|tail| tail.iter().position(|&b| b == markers::P))
            .map(|i| at + i)
            .ok_or(Damaged)?;
        let marker = *rest.get(ff + 1).ok_or(Damaged)?;
        match marker {
            // A stuffed 0xFF data byte, or a restart marker inside the entropy-coded data.
            markers::Z | markers::RST0..=markers::RST7 => at = ff + 2,
            // A fill byte before a marker.
            markers::P => at = ff + 1,
            markers::EOI => {
                out.extend_from_slice(rest.get(copied..ff + 2).ok_or(Damaged)?);
                return Ok(out);
            }
            m if m < markers::SOF0 || m == markers::SOI || is_frame_header(m) => {
                return Err(Damaged);
            }
            m => {
                let len = usize::from(be16(rest, ff + 2).ok_or(Damaged)?);
                let end = ff + 2 + len;
                if len < 2 || end > rest.len() {
                    return Err(Damaged);
                }
                if matches!(m, markers::APP0..=markers::APP15 | markers::COM) {
                    out.extend_from_slice(rest.get(copied..ff).ok_or(Damaged)?);
                    copied = end;
                }
                at = end;
            }
        }
    }
}
