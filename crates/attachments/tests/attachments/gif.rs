use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::{AnimationDecoder, Delay, Frame};
use provisio_attachments::{AttachmentRefusal, AttachmentType, check};

use crate::fixtures::{XMP, contains, picture};

/// A looping two-frame 16 × 12 animation.
fn animation() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        encoder.set_repeat(Repeat::Infinite).unwrap();
        let frames = [
            picture(16, 12),
            image::imageops::flip_vertical(&picture(16, 12)),
        ]
        .map(|p| Frame::from_parts(p, 0, 0, Delay::from_numer_denom_ms(100, 1)));
        encoder.encode_frames(frames).unwrap();
    }
    out
}

/// Where the first block after the header, logical screen and global colour table starts.
fn first_block(gif: &[u8]) -> usize {
    let flags = gif[10];
    13 + if flags & 0x80 != 0 {
        3 << ((flags & 0x07) + 1)
    } else {
        0
    }
}

/// Where the first image descriptor starts, past the extensions before it.
fn first_image(gif: &[u8]) -> usize {
    let mut at = first_block(gif);
    while gif[at] == 0x21 {
        at += 2;
        while gif[at] != 0 {
            at += 1 + usize::from(gif[at]);
        }
        at += 1;
    }
    assert_eq!(gif[at], 0x2C);
    at
}

/// A comment extension and an XMP application extension (as one sub-block each).
fn metadata_blocks() -> Vec<u8> {
    let mut blocks = b"\x21\xFE\x0Dtaken at home\x00".to_vec();
    blocks.extend_from_slice(b"\x21\xFF\x0BXMP DataXMP");
    blocks.push(XMP.len() as u8);
    blocks.extend_from_slice(XMP);
    blocks.push(0);
    blocks
}

fn frames(gif: &[u8]) -> Vec<Vec<u8>> {
    let decoder = GifDecoder::new(std::io::Cursor::new(gif)).unwrap();
    decoder
        .into_frames()
        .map(|f| f.unwrap().into_buffer().into_raw())
        .collect()
}

#[test]
fn comments_and_xmp_go_and_the_loop_and_frames_stay() {
    let plain = animation();
    assert!(contains(&plain, b"NETSCAPE2.0"));
    let mut tagged = plain.clone();
    let at = first_block(&tagged);
    tagged.splice(at..at, metadata_blocks());
    // Before the trailer too, and a file appended after it.
    let trailer = tagged.len() - 1;
    tagged.splice(trailer..trailer, b"\x21\xFE\x05later\x00".to_vec());
    tagged.extend_from_slice(b"PK\x03\x04appended archive");

    let checked = check("anim.gif", &tagged).unwrap();
    assert_eq!(checked.kind, AttachmentType::Gif);
    assert_eq!(checked.bytes, plain);
    assert_eq!(frames(&checked.bytes).len(), 2);
    assert_eq!(frames(&checked.bytes), frames(&tagged));
}

#[test]
fn a_logical_screen_or_a_frame_over_the_limit_is_refused() {
    let mut screen = animation();
    screen[6..8].copy_from_slice(&65_535u16.to_le_bytes());
    assert_eq!(
        check("flood.gif", &screen),
        Err(AttachmentRefusal::TooManyPixels {
            width: 65_535,
            height: 12
        })
    );
    // A frame placed far outside a small screen.
    let mut frame = animation();
    let descriptor = first_image(&frame);
    frame[descriptor + 1..descriptor + 3].copy_from_slice(&9_990u16.to_le_bytes());
    assert_eq!(
        check("frame.gif", &frame),
        Err(AttachmentRefusal::TooManyPixels {
            width: 10_006,
            height: 12
        })
    );
}

#[test]
fn a_gif_that_is_really_a_script_or_lacks_its_trailer_is_refused() {
    let polyglot = b"GIF89a/*\x00\x00\x00\x00*/=alert(document.domain);//";
    assert!(check("x.gif", polyglot).is_err());
    let gif = animation();
    assert_eq!(
        check("x.gif", &gif[..gif.len() - 1]),
        Err(AttachmentRefusal::Damaged)
    );
    // A header and a trailer with no picture between them.
    let mut empty = gif[..first_block(&gif)].to_vec();
    empty.push(0x3B);
    assert_eq!(check("x.gif", &empty), Err(AttachmentRefusal::Damaged));
}
