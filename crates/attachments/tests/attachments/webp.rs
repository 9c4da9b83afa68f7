use image::ImageFormat;
use img_parts::Bytes;
use img_parts::riff::{RiffChunk, RiffContent};
use img_parts::webp::WebP;
use provisio_attachments::{AttachmentRefusal, AttachmentType, check};

use crate::fixtures::{XMP, assert_no_location, contains, decoded, encoded, exif_with_gps};

fn data(id: &[u8; 4], bytes: &[u8]) -> RiffChunk {
    RiffChunk::new(*id, RiffContent::Data(Bytes::copy_from_slice(bytes)))
}

fn webp(chunks: Vec<RiffChunk>) -> Vec<u8> {
    let list = RiffContent::List {
        kind: Some(*b"WEBP"),
        subchunks: chunks,
    };
    RiffChunk::new(*b"RIFF", list).encoder().bytes().to_vec()
}

/// The extended header: flags, three reserved bytes, canvas width − 1 and height − 1.
fn vp8x(flags: u8, width: u32, height: u32) -> RiffChunk {
    let mut header = vec![flags, 0, 0, 0];
    header.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    header.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    data(b"VP8X", &header)
}

/// The lossless bitstream of a 16 × 12 picture, as `image` encodes it.
fn lossless() -> (Vec<u8>, RiffChunk) {
    let file = encoded(ImageFormat::WebP, 16, 12);
    let parsed = WebP::from_bytes(Bytes::from(file.clone())).unwrap();
    let vp8l = parsed.chunk_by_id(*b"VP8L").unwrap().clone();
    (file, vp8l)
}

const ALPHA: u8 = 0x10;
const EXIF: u8 = 0x08;
const XMP_FLAG: u8 = 0x04;
const ANIMATION: u8 = 0x02;

#[test]
fn exif_and_xmp_chunks_go_with_their_flags_and_the_picture_stays() {
    let (simple, vp8l) = lossless();
    let tagged = webp(vec![
        vp8x(ALPHA | EXIF | XMP_FLAG, 16, 12),
        vp8l,
        data(b"EXIF", &exif_with_gps()),
        data(b"XMP ", XMP),
        data(b"prVt", b"private notes"),
    ]);
    let checked = check("a.webp", &tagged).unwrap();
    assert_eq!(checked.kind, AttachmentType::Webp);
    assert_no_location(&checked.bytes);
    assert!(!contains(&checked.bytes, b"private notes"));
    let kept = WebP::from_bytes(Bytes::from(checked.bytes.clone())).unwrap();
    let ids: Vec<_> = kept.chunks().iter().map(|c| c.id()).collect();
    assert_eq!(ids, [*b"VP8X", *b"VP8L"]);
    let flags = kept
        .chunk_by_id(*b"VP8X")
        .unwrap()
        .content()
        .data()
        .unwrap()[0];
    assert_eq!(flags, ALPHA);
    assert_eq!(
        decoded(&checked.bytes, ImageFormat::WebP),
        decoded(&simple, ImageFormat::WebP)
    );
}

/// An animation of one frame `frame_width` wide, drawn by `bitstream`, whose frame data also
/// carries an XMP chunk.
fn animation(frame_width: u32, bitstream: RiffChunk) -> Vec<u8> {
    let mut anmf = vec![0; 6];
    anmf.extend_from_slice(&(frame_width - 1).to_le_bytes()[..3]);
    anmf.extend_from_slice(&11u32.to_le_bytes()[..3]);
    anmf.extend_from_slice(&[100, 0, 0, 0]);
    for chunk in [data(b"XMP ", XMP), bitstream] {
        for piece in chunk.encoder() {
            anmf.extend_from_slice(&piece);
        }
    }
    webp(vec![
        vp8x(ALPHA | ANIMATION, 16, 12),
        data(b"ANIM", &[0, 0, 0, 0, 0, 0]),
        data(b"ANMF", &anmf),
    ])
}

#[test]
fn metadata_inside_an_animation_frame_goes_too() {
    let tagged = animation(16, lossless().1);
    assert!(contains(&tagged, b"GPSLatitude"));
    let checked = check("anim.webp", &tagged).unwrap();
    assert_no_location(&checked.bytes);
    let (width, height, _) = decoded(&checked.bytes, ImageFormat::WebP);
    assert_eq!((width, height), (16, 12));
}

#[test]
fn every_size_a_decoder_reads_is_checked() {
    let (_, vp8l) = lossless();
    let canvas = webp(vec![vp8x(ALPHA, 16_384, 12), vp8l.clone()]);
    let vp8l_flood = data(b"VP8L", b"\x2f\xff\xff\xff\x0f\x00\x00\x00");
    let lossless_flood = webp(vec![vp8l_flood.clone()]);
    // A lossy key frame: frame tag, start code, width 12000 and height 10.
    let lossy_flood = webp(vec![data(
        b"VP8 ",
        b"\x00\x00\x00\x9d\x01\x2a\xe0\x2e\x0a\x00\x00\x00",
    )]);
    let cases = [
        (canvas, 16_384, 12),
        (lossless_flood, 16_384, 16_384),
        (lossy_flood, 12_000, 10),
        (animation(12_000, vp8l.clone()), 12_000, 12),
        // A frame whose region is small but whose bitstream is not.
        (animation(16, vp8l_flood), 16_384, 16_384),
    ];
    for (file, width, height) in cases {
        assert_eq!(
            check("flood.webp", &file),
            Err(AttachmentRefusal::TooManyPixels { width, height })
        );
    }
}

#[test]
fn a_webp_without_a_picture_or_cut_short_is_damaged() {
    let only_metadata = webp(vec![data(b"EXIF", &exif_with_gps())]);
    assert_eq!(
        check("a.webp", &only_metadata),
        Err(AttachmentRefusal::Damaged)
    );
    let (simple, _) = lossless();
    assert_eq!(
        check("a.webp", &simple[..simple.len() - 4]),
        Err(AttachmentRefusal::Damaged)
    );
}
