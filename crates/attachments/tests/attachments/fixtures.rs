//! Files made in code: small pictures encoded by `image`, and the metadata a phone or an
//! editor adds to them, built by hand.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};

/// A `width` × `height` gradient, so decoded pixels can be compared.
pub fn picture(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([(x * 16) as u8, (y * 16) as u8, 128, 255])
    })
}

/// `picture(width, height)` encoded as `format` (JPEG without the alpha channel).
pub fn encoded(format: ImageFormat, width: u32, height: u32) -> Vec<u8> {
    let pixels = picture(width, height);
    let image = match format {
        ImageFormat::Jpeg => DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
            let p = pixels.get_pixel(x, y).0;
            image::Rgb([p[0], p[1], p[2]])
        })),
        _ => DynamicImage::ImageRgba8(pixels),
    };
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encode fixture");
    out.into_inner()
}

/// What a decoder makes of `bytes`: width, height and RGBA pixels.
pub fn decoded(bytes: &[u8], format: ImageFormat) -> (u32, u32, Vec<u8>) {
    let image = image::load_from_memory_with_format(bytes, format).expect("decodes");
    let rgba = image.to_rgba8();
    (rgba.width(), rgba.height(), rgba.into_raw())
}

/// The GPS latitude entry of [`exif_with_gps`]'s GPS directory (tag 2, RATIONAL, 3 values),
/// as it appears in the file.
pub const GPS_LATITUDE_ENTRY: [u8; 8] = [0x02, 0x00, 0x05, 0x00, 0x03, 0x00, 0x00, 0x00];
/// The GPS directory pointer entry of [`exif_with_gps`]'s first directory (tag 0x8825, LONG).
pub const GPS_POINTER_ENTRY: [u8; 4] = [0x25, 0x88, 0x04, 0x00];
/// The latitude's seconds, 4711/100, as stored.
pub const GPS_SECONDS: [u8; 8] = [0x67, 0x12, 0, 0, 100, 0, 0, 0];

/// A little-endian TIFF structure as a phone writes it in EXIF: a camera make and a GPS
/// directory with the latitude 59° 19' 47.11" N.
pub fn exif_with_gps() -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(b"II\x2a\x00");
    t.extend_from_slice(&8u32.to_le_bytes());
    // Directory 0 at 8: two entries, then no next directory; it ends at 38.
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0x010F, 2, 6, 38); // Make, ASCII, at 38
    entry(&mut t, 0x8825, 4, 1, 44); // GPS directory at 44
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(b"Phone\0");
    // GPS directory at 44: two entries, no next directory; the rationals at 74.
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0"));
    entry(&mut t, 0x0002, 5, 3, 74);
    t.extend_from_slice(&0u32.to_le_bytes());
    for (num, den) in [(59u32, 1u32), (19, 1), (4711, 100)] {
        t.extend_from_slice(&num.to_le_bytes());
        t.extend_from_slice(&den.to_le_bytes());
    }
    assert_eq!(t.len(), 98);
    t
}

fn entry(t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32) {
    t.extend_from_slice(&tag.to_le_bytes());
    t.extend_from_slice(&kind.to_le_bytes());
    t.extend_from_slice(&count.to_le_bytes());
    t.extend_from_slice(&value.to_le_bytes());
}

/// An XMP packet with a position in it, as editors write it.
pub const XMP: &[u8] = b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF><rdf:Description \
    exif:GPSLatitude=\"59,19.785N\"/></rdf:RDF></x:xmpmeta>";

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Asserts that `bytes` carry none of the EXIF, GPS or XMP bytes the fixtures put in.
pub fn assert_no_location(bytes: &[u8]) {
    for (what, needle) in [
        ("EXIF header", &b"Exif\0\0"[..]),
        ("TIFF header", b"II\x2a\x00"),
        ("GPS pointer", &GPS_POINTER_ENTRY),
        ("GPS latitude", &GPS_LATITUDE_ENTRY),
        ("GPS seconds", &GPS_SECONDS),
        ("XMP", b"GPSLatitude"),
    ] {
        assert!(!contains(bytes, needle), "{what} is still in the file");
    }
}
