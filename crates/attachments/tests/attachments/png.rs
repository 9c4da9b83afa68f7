use image::ImageFormat;
use img_parts::Bytes;
use img_parts::png::{Png, PngChunk};
use provisio_attachments::{AttachmentRefusal, AttachmentType, check};

use crate::fixtures::{XMP, assert_no_location, contains, decoded, encoded, exif_with_gps};

const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fn chunk(kind: &[u8; 4], contents: &[u8]) -> PngChunk {
    PngChunk::new(*kind, Bytes::copy_from_slice(contents))
}

fn kinds(bytes: &[u8]) -> Vec<String> {
    let png = Png::from_bytes(Bytes::copy_from_slice(bytes)).unwrap();
    png.chunks()
        .iter()
        .map(|c| String::from_utf8_lossy(&c.kind()).into_owned())
        .collect()
}

/// A 16 × 12 PNG with an editor's metadata before its data, and a file appended after it.
fn edited_screenshot() -> Vec<u8> {
    let mut png = Png::from_bytes(encoded(ImageFormat::Png, 16, 12).into()).unwrap();
    let mut itxt = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
    itxt.extend_from_slice(XMP);
    let added = [
        chunk(b"sRGB", &[0]),
        chunk(b"pHYs", b"\x00\x00\x0e\xc4\x00\x00\x0e\xc4\x01"),
        chunk(b"eXIf", &exif_with_gps()),
        chunk(b"tEXt", b"Author\0Kim Kund"),
        chunk(b"zTXt", b"Comment\0\0x\x9c\x03\x00\x00\x00\x00\x01"),
        chunk(b"iTXt", &itxt),
        chunk(b"tIME", b"\x07\xe8\x01\x05\x0a\x0f\x20"),
        chunk(b"prVt", b"editor's private notes"),
    ];
    png.chunks_mut().splice(1..1, added);
    let mut bytes = png.encoder().bytes().to_vec();
    bytes.extend_from_slice(b"<script>alert(1)</script>");
    bytes
}

#[test]
fn metadata_chunks_go_and_the_picture_stays() {
    let screenshot = edited_screenshot();
    let checked = check("skärmbild.png", &screenshot).unwrap();
    assert_eq!(checked.kind, AttachmentType::Png);
    assert_no_location(&checked.bytes);
    assert_eq!(
        kinds(&checked.bytes),
        ["IHDR", "sRGB", "pHYs", "IDAT", "IEND"]
    );
    for gone in [&b"Kim Kund"[..], b"private notes", b"<script>"] {
        assert!(!contains(&checked.bytes, gone));
    }
    assert_eq!(
        decoded(&checked.bytes, ImageFormat::Png),
        decoded(&screenshot, ImageFormat::Png)
    );
}

#[test]
fn a_header_claiming_a_hundred_thousand_pixels_square_is_refused_unread() {
    // Only the signature and the header: no image data at all to decode.
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut flood = SIGNATURE.to_vec();
    flood.extend_from_slice(&chunk(b"IHDR", &ihdr).encoder().bytes());
    assert_eq!(flood.len(), 33);
    assert_eq!(
        check("flood.png", &flood),
        Err(AttachmentRefusal::TooManyPixels {
            width: 100_000,
            height: 100_000
        })
    );
}

#[test]
fn an_animation_frame_larger_than_the_limit_is_refused() {
    let mut png = Png::from_bytes(encoded(ImageFormat::Png, 16, 12).into()).unwrap();
    let mut fctl = 0u32.to_be_bytes().to_vec(); // sequence number
    for field in [20_000u32, 12, 0, 0] {
        fctl.extend_from_slice(&field.to_be_bytes()); // width, height, x, y
    }
    fctl.extend_from_slice(&[0, 1, 0, 10, 0, 0]); // delay, dispose, blend
    let added = [
        chunk(b"acTL", &[0, 0, 0, 1, 0, 0, 0, 0]),
        chunk(b"fcTL", &fctl),
    ];
    png.chunks_mut().splice(1..1, added);
    assert_eq!(
        check("anim.png", &png.encoder().bytes()),
        Err(AttachmentRefusal::TooManyPixels {
            width: 20_000,
            height: 12
        })
    );
}

#[test]
fn a_png_without_its_end_or_with_a_bad_checksum_is_damaged() {
    let png = encoded(ImageFormat::Png, 16, 12);
    // Without the IEND chunk (12 bytes).
    assert_eq!(
        check("a.png", &png[..png.len() - 12]),
        Err(AttachmentRefusal::Damaged)
    );
    let mut flipped = png.clone();
    let last_idat_byte = png.len() - 12 - 5;
    flipped[last_idat_byte] ^= 0x01;
    assert_eq!(check("a.png", &flipped), Err(AttachmentRefusal::Damaged));
}
