//! Malformed input is refused, never a panic: every truncation and many corruptions of every
//! valid fixture, and arbitrary bytes behind every signature.

use image::ImageFormat;
use proptest::prelude::*;
use provisio_attachments::check;

use crate::fixtures::encoded;

fn valid_images() -> Vec<(&'static str, Vec<u8>)> {
    [
        ("png", ImageFormat::Png),
        ("jpg", ImageFormat::Jpeg),
        ("gif", ImageFormat::Gif),
        ("webp", ImageFormat::WebP),
    ]
    .into_iter()
    .map(|(name, format)| (name, encoded(format, 16, 12)))
    .collect()
}

#[test]
fn every_truncated_image_is_refused() {
    for (name, image) in valid_images() {
        assert!(check(name, &image).is_ok(), "{name} whole");
        for len in 0..image.len() {
            assert!(check(name, &image[..len]).is_err(), "{name} cut at {len}");
        }
    }
}

#[test]
fn corrupting_any_byte_of_an_image_never_panics() {
    for (name, image) in valid_images() {
        for i in 0..image.len() {
            for value in [0x00, 0xFF, image[i] ^ 0x80] {
                let mut corrupt = image.clone();
                corrupt[i] = value;
                let _ = check(name, &corrupt);
            }
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_behind_a_signature_never_panic(
        signature in prop::sample::select(vec![
            &b"\x89PNG\r\n\x1a\n"[..],
            b"\xFF\xD8\xFF",
            b"GIF89a",
            b"RIFF\x00\x01\x00\x00WEBPVP8X",
            b"RIFF\x00\x01\x00\x00WEBPVP8 ",
            b"RIFF\x00\x01\x00\x00WEBPANMF",
        ]),
        rest in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut bytes = signature.to_vec();
        bytes.extend_from_slice(&rest);
        let _ = check("x", &bytes);
    }
}
